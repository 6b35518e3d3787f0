/**
 * Child process for the turn-log crash test: plays three turns through `turnLog`, and SIGKILLs itself in
 * the middle of the third (after its transcript, before its reply), as a crash would.
 */
import { Subject } from 'rxjs';
import type { PipelineEvent } from '../../../src/events.js';
import { turnLog } from '../../../operators/turnLog.js';

const path = process.argv[2]!;
const events = new Subject<PipelineEvent>();
events.pipe(turnLog(path, { settleMs: 20 })).subscribe();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (const n of [1, 2, 3]) {
  const turnId = `turn-${n}`;
  events.next({ type: 'speech.started', turnId, audioMs: n * 1000 });
  events.next({ type: 'transcript', turnId, text: `utterance ${n}`, final: true });
  if (n === 3) {
    process.stdout.write('crashing\n');
    process.kill(process.pid, 'SIGKILL');
  }
  events.next({ type: 'assistant.done', turnId, text: `reply ${n}` });
  events.next({ type: 'metric', turnId, name: 'first_audio_out', valueMs: 400 + n, atMs: 0 });
  await sleep(100);
}

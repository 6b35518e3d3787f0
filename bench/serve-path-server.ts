/**
 * The server half of bench/serve-path.ts: `serve()` from the source tree at `$RXVOICE_SERVE_PATH_ROOT`
 * (this worktree, or an older commit exported elsewhere) with a synthetic pipeline and no providers, so
 * its CPU is the server path alone. Prints `listening <url>` on stdout.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Observable, type OperatorFunction } from 'rxjs';
import type { AudioFrame } from '../src/audio/frame.js';
import type { PipelineEvent } from '../src/events.js';

const root = process.env.RXVOICE_SERVE_PATH_ROOT ?? process.cwd();
const { serve } = (await import(pathToFileURL(join(root, 'src/server/index.ts')).href)) as typeof import('../src/server/index.js');

/** Every 4 s of caller audio, a 2 s reply as a TTS hands it on: 8 chunks of 12 frames, 250 ms apart. */
const synthetic: OperatorFunction<AudioFrame, PipelineEvent> = (frames) =>
  new Observable<PipelineEvent>((out) => {
    const timers: NodeJS.Timeout[] = [];
    let n = 0;
    let seq = 0;
    const sub = frames.subscribe({
      next: (frame) => {
        out.next({ type: 'audio.in', frame });
        if (++n % 200 !== 100) return;
        const turnId = `turn-${n / 200}`;
        for (let chunk = 0; chunk < 8; chunk++) {
          timers.push(
            setTimeout(() => {
              for (let k = 0; k < 12; k++) {
                const samples = new Int16Array(320);
                out.next({ type: 'assistant.audio', turnId, frame: { samples, sampleRate: 16000, startMs: seq * 20, seq: seq++ } });
              }
            }, chunk * 250),
          );
        }
      },
      error: (err: unknown) => out.error(err),
      complete: () => out.complete(),
    });
    return () => {
      timers.forEach(clearTimeout);
      sub.unsubscribe();
    };
  });

const server = await serve({ port: 0, pipelineFactory: () => synthetic, staticDir: false, limits: { maxSessions: 1000, maxEventLoopLagMs: 100_000 } });
process.stdout.write(`listening ${server.url}\n`);
process.once('SIGTERM', () => void server.close(500).then(() => process.exit(0)));

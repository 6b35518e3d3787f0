import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { turnMetrics } from '../../operators/metrics.js';
import type { MetricEvent, PipelineEvent } from '../../src/events.js';

const frame = { samples: new Int16Array(160), sampleRate: 16000 as const, startMs: 0, seq: 0 };

function run(marble: string, values: Record<string, PipelineEvent>): { frame: number; event: PipelineEvent }[] {
  const scheduler = new TestScheduler(() => undefined);
  const out: { frame: number; event: PipelineEvent }[] = [];
  scheduler.run(({ cold }) => {
    cold(marble, values)
      .pipe(turnMetrics({ scheduler }))
      .subscribe((event) => out.push({ frame: scheduler.now(), event }));
  });
  return out;
}

const metrics = (out: { event: PipelineEvent }[]) =>
  out.map((o) => o.event).filter((e): e is MetricEvent => e.type === 'metric');

describe('turnMetrics', () => {
  const values: Record<string, PipelineEvent> = {
    E: { type: 'speech.ended', turnId: 'turn-1', audioMs: 2000, decidedAudioMs: 2500, reason: 'silence' },
    T: { type: 'transcript', turnId: 'turn-1', text: 'hi', final: true },
    x: { type: 'assistant.text', turnId: 'turn-1', delta: 'Hello' },
    y: { type: 'assistant.text', turnId: 'turn-1', delta: ' there' },
    a: { type: 'assistant.audio', turnId: 'turn-1', frame },
  };

  it('measures every stage from the true end of speech and passes events through', () => {
    // speech.ended decided 500 ms after the speech ended, at t=1000 => true end at t=500.
    const out = run('1000ms E 99ms T 199ms x 9ms y 289ms a 9ms a', values);
    expect(out.filter((o) => o.event.type !== 'metric').map((o) => o.event.type)).toEqual([
      'speech.ended', 'transcript', 'assistant.text', 'assistant.text', 'assistant.audio', 'assistant.audio',
    ]);
    const m = metrics(out).map((e) => [e.name, e.stage ?? '', e.valueMs, e.atMs]);
    expect(m).toEqual([
      ['speech_end', '', 2000, 1000],
      ['transcript_final', 'transcribe', 600, 1100],
      ['llm_first_token', 'llm', 800, 1300],
      ['tts_first_byte', 'tts', 1100, 1600],
      ['first_audio_out', '', 1100, 1600],
      ['stage_duration', 'transcribe', 600, 1600],
      ['stage_duration', 'llm', 200, 1600],
      ['stage_duration', 'tts', 300, 1600],
      ['stage_duration', 'pipeline', 1100, 1600],
    ]);
  });

  it('re-expresses an upstream tts_first_byte from the end of speech', () => {
    const out = run('100ms E 99ms T 99ms x 99ms F 99ms a', {
      ...values,
      F: { type: 'metric', turnId: 'turn-1', name: 'tts_first_byte', valueMs: 80, atMs: 403, stage: 'tts' },
    });
    const tts = metrics(out).filter((e) => e.name === 'tts_first_byte');
    expect(tts).toEqual([
      { type: 'metric', turnId: 'turn-1', name: 'tts_first_byte', valueMs: 803, atMs: 403, stage: 'tts', detail: { sinceRequestMs: 80 } },
    ]);
  });

  it('keeps turns apart', () => {
    const out = run('E 9ms T 9ms e 9ms t', {
      ...values,
      e: { type: 'speech.ended', turnId: 'turn-2', audioMs: 5000, decidedAudioMs: 5000, reason: 'silence' },
      t: { type: 'transcript', turnId: 'turn-2', text: 'b', final: true },
    });
    const finals = metrics(out).filter((e) => e.name === 'transcript_final').map((e) => [e.turnId, e.valueMs]);
    expect(finals).toEqual([['turn-1', 510], ['turn-2', 10]]);
  });
});

/**
 * The two VADs behind one small interface, so the runner feeds both the same frames at the same times.
 *
 * - rxvoice: `createSpeechDetector` from src/vad (the library as it ships: Silero v4, batched across
 *   streams, energy gate on by default, onnxruntime-node from the root node_modules).
 * - LiveKit: `@livekit/agents-plugin-silero` (`VAD.load()` then one `vad.stream()` per stream, Silero v5,
 *   onnxruntime-node installed into this folder). API read from the installed dist/vad.js (1.9.0):
 *   `stream.pushFrame(AudioFrame)` (@livekit/rtc-node), events read with `for await (const ev of stream)`:
 *   INFERENCE_DONE once per 512-sample window (`samplesIndex` = 16 kHz samples so far), START_OF_SPEECH
 *   (`timestamp - speechDuration` = first speech window), END_OF_SPEECH (`timestamp - silenceDuration` =
 *   end of the last speech window). See also livekit/agents-js plugins/silero/src/vad.ts.
 *
 * LiveKit's packages are imported by a variable specifier with the few types written here: the root
 * typecheck must pass whether or not this folder's node_modules is installed.
 */
import { createSpeechDetector } from '../../src/vad/detector.js';
import type { AudioFrame, SampleRate } from '../../src/audio/frame.js';

/** Both engines are configured to these (rxvoice's defaults; LiveKit has one threshold, no hysteresis). */
export const COMPARABLE = {
  /** rxvoice positiveThreshold = LiveKit activationThreshold. */
  threshold: 0.5,
  /** rxvoice negativeThreshold (LiveKit has none: it ends speech below activationThreshold). */
  negativeThreshold: 0.35,
  /** rxvoice minSpeechMs = LiveKit minSpeechDuration. */
  minSpeechMs: 250,
  /** rxvoice silenceMs = LiveKit minSilenceDuration. */
  silenceMs: 500,
  /** rxvoice prePaddingMs = LiveKit prefixPaddingDuration (changes the audio kept, not the times). */
  paddingMs: 300,
} as const;

export type EngineName = 'rxvoice' | 'livekit';

export interface Segment {
  startMs: number;
  endMs: number;
  /** Still open when the audio ended (LiveKit does not close it; rxvoice reports `end_of_stream`). */
  openAtEnd?: boolean;
}

export interface StreamHooks {
  /** `windows` 512-sample windows were decided now; `lastSampleIndex` (16 kHz) ends the last of them. */
  onWindows(windows: number, lastSampleIndex: number): void;
}

export interface VadStreamUnderTest {
  push(samples: Int16Array, rate: SampleRate, startMs: number, seq: number): void;
  /** Resolves when every pushed window is decided, or after `idleMs` without progress. */
  drain(idleMs: number): Promise<void>;
  segments(): Segment[];
  close(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  readonly description: string;
  stream(hooks?: StreamHooks): VadStreamUnderTest;
  close(): Promise<void>;
}

const WINDOW = 512;

export async function createEngine(name: EngineName): Promise<Engine> {
  return name === 'rxvoice' ? rxvoiceEngine() : livekitEngine();
}

function rxvoiceEngine(): Engine {
  return {
    name: 'rxvoice',
    description: 'rxvoice src/vad createSpeechDetector (Silero v4, batched, energy gate on)',
    stream(hooks) {
      const detector = createSpeechDetector({
        positiveThreshold: COMPARABLE.threshold,
        negativeThreshold: COMPARABLE.negativeThreshold,
        minSpeechMs: COMPARABLE.minSpeechMs,
        silenceMs: COMPARABLE.silenceMs,
        prePaddingMs: COMPARABLE.paddingMs,
      });
      const segments: Segment[] = [];
      let open: number | undefined;
      let samples16k = 0;
      let windowsDone = 0;
      let last: Promise<unknown> = Promise.resolve();
      const take = (ts: Awaited<ReturnType<typeof detector.push>>) => {
        for (const t of ts) {
          if (t.type === 'start') open = t.audioMs;
          else if (t.type === 'end' && open !== undefined) {
            segments.push({ startMs: open, endMs: t.audioMs, ...(t.reason === 'end_of_stream' ? { openAtEnd: true } : {}) });
            open = undefined;
          }
        }
      };
      return {
        push(samples, rate, startMs, seq) {
          const frame: AudioFrame = { samples, sampleRate: rate, startMs, seq };
          // Windows this frame completes (exact at 16 kHz, the load runs' rate).
          samples16k += Math.round((samples.length * 16000) / rate);
          const windows = Math.floor(samples16k / WINDOW) - windowsDone;
          windowsDone += windows;
          const end = windowsDone * WINDOW;
          last = detector.push(frame).then((ts) => {
            if (windows > 0) hooks?.onWindows(windows, end);
            take(ts);
          });
        },
        async drain() {
          await last;
        },
        segments: () => segments,
        async close() {
          take(await detector.end());
          await detector.release();
        },
      };
    },
    async close() {},
  };
}

/** The parts of LiveKit's API this bench uses (checked against the installed 1.9.0 .d.ts / dist). */
interface LkFrameCtor {
  new (data: Int16Array, sampleRate: number, channels: number, samplesPerChannel: number): unknown;
}
interface LkEvent {
  type: number;
  samplesIndex: number;
  timestamp: number;
  probability: number;
  speechDuration: number;
  silenceDuration: number;
}
interface LkStream extends AsyncIterable<LkEvent> {
  pushFrame(frame: unknown): void;
  endInput(): void;
  close(): void;
}
interface LkVad {
  stream(): LkStream;
  close(): Promise<void>;
}
interface LkSileroModule {
  VAD: { load(opts: Record<string, number | boolean>): Promise<LkVad> };
}

async function livekitEngine(): Promise<Engine> {
  const specifiers = ['@livekit/agents-plugin-silero', '@livekit/agents', '@livekit/rtc-node'] as const;
  const [silero, agents, rtc] = (await Promise.all(specifiers.map((s) => import(s as string)))) as [
    LkSileroModule,
    { VADEventType: Record<string, number>; initializeLogger(o: { pretty: boolean; level: string }): void },
    { AudioFrame: LkFrameCtor },
  ];
  const ev = agents.VADEventType;
  agents.initializeLogger({ pretty: false, level: 'warn' }); // required before the first stream
  const vad = await silero.VAD.load({
    activationThreshold: COMPARABLE.threshold,
    minSpeechDuration: COMPARABLE.minSpeechMs,
    minSilenceDuration: COMPARABLE.silenceMs,
    prefixPaddingDuration: COMPARABLE.paddingMs,
    sampleRate: 16000,
    forceCPU: true,
  });
  return {
    name: 'livekit',
    description: '@livekit/agents-plugin-silero VAD.load() + stream() per stream (Silero v5, one window per run)',
    stream(hooks) {
      const stream = vad.stream();
      const segments: Segment[] = [];
      let open: number | undefined;
      let decidedSamples = 0;
      let progressAt = performance.now();
      let pushed16k = 0;
      let closed = false;
      /** End of the last window over the threshold: where an utterance still open at the end stops. */
      let lastSpeechEndMs = 0;
      const reading = (async () => {
        for await (const e of stream) {
          if (e.type === ev.INFERENCE_DONE) {
            decidedSamples = e.samplesIndex;
            progressAt = performance.now();
            hooks?.onWindows(1, e.samplesIndex);
            if (e.probability > COMPARABLE.threshold) lastSpeechEndMs = e.timestamp;
          } else if (e.type === ev.START_OF_SPEECH) {
            open = e.timestamp - e.speechDuration;
          } else if (e.type === ev.END_OF_SPEECH && open !== undefined) {
            segments.push({ startMs: open, endMs: e.timestamp - e.silenceDuration });
            open = undefined;
          }
        }
      })().catch(() => undefined);
      return {
        push(samples, rate) {
          pushed16k += Math.round((samples.length * 16000) / rate);
          stream.pushFrame(new rtc.AudioFrame(samples, rate, 1, samples.length));
        },
        async drain(idleMs) {
          const target = Math.floor(pushed16k / WINDOW) * WINDOW - WINDOW; // the resampler may hold one back
          progressAt = performance.now();
          while (decidedSamples < target && performance.now() - progressAt < idleMs) {
            await new Promise((r) => setTimeout(r, 10));
          }
        },
        segments: () => (open !== undefined ? [...segments, { startMs: open, endMs: lastSpeechEndMs, openAtEnd: true }] : segments),
        async close() {
          if (closed) return;
          closed = true;
          try {
            // Not endInput(): in 1.9.0 it closes a writable its own writer still locks (a rejected promise).
            stream.close();
          } catch {
            // already closing
          }
          await Promise.race([reading, new Promise((r) => setTimeout(r, 100))]);
        },
      };
    },
    close: () => vad.close(),
  };
}

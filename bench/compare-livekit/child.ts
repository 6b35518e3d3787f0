/**
 * One engine in one process (the runner starts one of these per engine and stream count, so both get the
 * same process layout). Prints one JSON line.
 *
 *   load:     --engine rxvoice|livekit --streams N --seconds S   N streams of demo-call.wav paced at real
 *             time (20 ms frames; one process-wide clock; start times spread over 4 slots of 5 ms; stream i
 *             starts 53*i frames into the file and loops, so speech and silence are mixed across streams).
 *   segments: --engine rxvoice|livekit --segments   every fixture, one stream each, as fast as it goes.
 */
import { loadavg } from 'node:os';
import { loadFixture, loadManifest } from '../../src/testing/index.js';
import type { SampleRate } from '../../src/audio/frame.js';
import { createEngine, type EngineName, type Segment } from './engines.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const engineName = opt('engine', 'rxvoice') as EngineName;
const FRAME_MS = 20;
const SLOTS = 4;

async function framesOf(name: string): Promise<{ frames: Int16Array[]; rate: SampleRate }> {
  const wav = await (await loadFixture(name)).read();
  const rate = wav.sampleRate as SampleRate;
  const step = (rate * FRAME_MS) / 1000;
  const frames: Int16Array[] = [];
  for (let i = 0; i + step <= wav.samples.length; i += step) frames.push(wav.samples.slice(i, i + step));
  return { frames, rate };
}

const gc = (globalThis as { gc?: () => void }).gc;

async function runLoad(streams: number, seconds: number) {
  const engine = await createEngine(engineName);
  const { frames, rate } = await framesOf('demo-call');
  if (rate !== 16000) throw new Error('the load audio must be 16 kHz (window accounting)');
  // Warm-up: model load, JIT, worker start; then dropped.
  {
    const warm = engine.stream();
    for (let j = 0; j < 100; j++) warm.push(frames[j]!, rate, j * FRAME_MS, j);
    await warm.drain(2000);
    await warm.close();
  }
  gc?.();
  await new Promise((r) => setTimeout(r, 200));
  gc?.();
  const rssBase = process.memoryUsage().rss;

  const totalFrames = Math.round((seconds * 1000) / FRAME_MS);
  const lags: number[] = [];
  let t0 = 0;
  const slotOf = (i: number) => i % SLOTS;
  const handles = Array.from({ length: streams }, (_, i) => {
    const offsetMs = (slotOf(i) * FRAME_MS) / SLOTS;
    return engine.stream({
      onWindows(windows, lastSampleIndex) {
        const now = performance.now();
        // Window k ends at sample (k+1)*512; it was due with the frame holding that sample.
        for (let w = windows - 1; w >= 0; w--) {
          const endSample = lastSampleIndex - w * 512;
          const frame = Math.floor((endSample - 1) / ((16000 * FRAME_MS) / 1000));
          lags.push(now - (t0 + offsetMs + (frame + 1) * FRAME_MS));
        }
      },
    });
  });
  const offsets = handles.map((_, i) => (i * 53) % frames.length);

  let rssPeak = rssBase;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 250);
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  let tick = 0;
  let lateTicks = 0;
  await new Promise<void>((done) => {
    const step = () => {
      const j = Math.floor(tick / SLOTS);
      if (j >= totalFrames) return done();
      const due = t0 + (tick * FRAME_MS) / SLOTS + FRAME_MS; // the frame's end: its last sample is due
      if (performance.now() - due > FRAME_MS) lateTicks++;
      for (let i = slotOf(tick); i < streams; i += SLOTS) {
        handles[i]!.push(frames[(offsets[i]! + j) % frames.length]!, rate, j * FRAME_MS, j);
      }
      tick++;
      setTimeout(step, Math.max(0, t0 + (tick * FRAME_MS) / SLOTS + FRAME_MS - performance.now()));
    };
    setTimeout(step, FRAME_MS);
  });
  const audioEnd = performance.now();
  const pacedWallMs = audioEnd - t0;
  // An engine behind real time gets at most 10 s more: then the undecided windows count as missing.
  const capMs = 10_000;
  await Promise.race([Promise.all(handles.map((h) => h.drain(capMs))), new Promise((r) => setTimeout(r, capMs))]);
  const drainMs = performance.now() - audioEnd;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(rssTimer);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  const expectedWindows = streams * Math.floor((totalFrames * 320) / 512);
  await Promise.all(handles.map((h) => h.close()));
  await engine.close();
  lags.sort((a, b) => a - b);
  const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(lags.length * p))] ?? NaN;
  const streamSeconds = streams * seconds;
  return {
    engine: engineName,
    streams,
    seconds,
    cpuMsPerStreamSecond: (cpu.user + cpu.system) / 1000 / streamSeconds,
    lagMs: { p50: q(0.5), p99: q(0.99), max: lags[lags.length - 1] ?? NaN },
    windowsDecided: lags.length,
    windowsExpected: expectedWindows,
    drainMs,
    pacedWallMs,
    lateTicks,
    rssBaseMiB: rssBase / 2 ** 20,
    rssPeakMiB: rssPeak / 2 ** 20,
    rssPerStreamMiB: (rssPeak - rssBase) / 2 ** 20 / streams,
    loadavg: loadavg(),
  };
}

async function runSegments() {
  const engine = await createEngine(engineName);
  const out: Record<string, { segments: Segment[]; expected: { startMs: number; endMs: number }[] }> = {};
  for (const entry of await loadManifest()) {
    const { frames, rate } = await framesOf(entry.name);
    const s = engine.stream();
    frames.forEach((f, j) => s.push(f, rate, j * FRAME_MS, j));
    await s.drain(1500);
    await s.close();
    out[entry.name] = {
      segments: s.segments().map((x) => ({ ...x, startMs: Math.round(x.startMs), endMs: Math.round(x.endMs) })),
      expected: (entry.utterances ?? []).map((u) => ({ startMs: u.startMs, endMs: u.endMs })),
    };
  }
  await engine.close();
  return { engine: engineName, fixtures: out };
}

const result = args.includes('--segments')
  ? await runSegments()
  : await runLoad(Number(opt('streams', '25')), Number(opt('seconds', '20')));
process.stdout.write(`${JSON.stringify(result)}\n`);
// LiveKit's native FFI keeps the event loop alive: end the process explicitly.
process.exit(0);

import { RxVoiceError } from '../errors.js';
import { SAMPLE_RATES, isSampleRate } from './frame.js';

/**
 * Polyphase windowed-sinc resampling between the supported rates (8, 16, 22.05, 24, 44.1, 48 kHz).
 *
 * The ratio is reduced to L/M (up by L, down by M). Each output sample sits at input position
 * n·M/L; its value is a Kaiser-windowed sinc interpolation of the input around that position. When
 * going down the sinc's cutoff is lowered to 90% of the output Nyquist, which is the anti-aliasing
 * low-pass (a 6 kHz tone going 48k -> 8k is removed, not folded to 2 kHz). The filter is centred on the
 * output instant, so there is no delay: output sample 0 is input sample 0.
 */

/** Zero crossings of the sinc kept on each side of the centre: longer = sharper cutoff, more work. */
const ZERO_CROSSINGS = 16;
/** Kaiser beta: ~80 dB stopband. */
const KAISER_BETA = 8;
/** Cutoff as a fraction of the lower Nyquist frequency, leaving room for the transition band. */
const CUTOFF = 0.9;

interface FilterBank {
  readonly up: number; // L
  readonly down: number; // M
  readonly taps: number; // K, even
  /** L phases × K taps, row-major; each row sums to 1. */
  readonly coeffs: Float32Array;
}

const banks = new Map<string, FilterBank>();

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function checkRate(rate: number): void {
  if (!isSampleRate(rate)) {
    throw new RxVoiceError({
      code: 'unsupported_sample_rate',
      stage: 'audio',
      message: `Unsupported sample rate ${rate} Hz (supported: ${SAMPLE_RATES.join(', ')})`,
    });
  }
}

function filterBank(fromRate: number, toRate: number): FilterBank {
  const key = `${fromRate}:${toRate}`;
  const cached = banks.get(key);
  if (cached) return cached;
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  // Cutoff in cycles per input sample, relative to the input Nyquist (1 = no low-pass).
  const cutoff = Math.min(1, toRate / fromRate) * CUTOFF;
  const halfWidth = Math.ceil(ZERO_CROSSINGS / cutoff);
  const taps = 2 * halfWidth;
  const coeffs = new Float32Array(up * taps);
  const i0Beta = besselI0(KAISER_BETA);
  for (let p = 0; p < up; p++) {
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      // Distance (in input samples) from the output instant to input tap k.
      const x = p / up + halfWidth - 1 - k;
      const arg = Math.PI * cutoff * x;
      const sinc = x === 0 ? 1 : Math.sin(arg) / arg;
      const r = x / halfWidth;
      const window = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta;
      const c = sinc * window;
      coeffs[p * taps + k] = c;
      sum += c;
    }
    for (let k = 0; k < taps; k++) coeffs[p * taps + k]! /= sum;
  }
  const bank = { up, down, taps, coeffs };
  banks.set(key, bank);
  return bank;
}

export interface StreamingResampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Resamples the next chunk; continuous with the previous ones (no clicks at chunk edges). */
  push(chunk: Int16Array): Int16Array;
  /** Ends the stream: returns the output still held back by the filter, then starts afresh. */
  flush(): Int16Array;
}

class PolyphaseResampler implements StreamingResampler {
  private readonly bank: FilterBank;
  private readonly half: number;
  /** Input history as floats; buf[0] is the oldest sample still needed. */
  private buf: Float32Array;
  private len = 0;
  /** Index in buf of the next output's centre sample, and its phase (0..L-1). */
  private centre = 0;
  private phase = 0;
  /** Index in buf where real input ends (samples after it are flush padding). */
  private realEnd = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    this.bank = filterBank(fromRate, toRate);
    this.half = this.bank.taps / 2;
    this.buf = new Float32Array(4096);
    this.reset();
  }

  private reset(): void {
    // Zeros before the first sample, so output 0 is centred on input 0.
    this.buf.fill(0, 0, this.half - 1);
    this.len = this.half - 1;
    this.centre = this.half - 1;
    this.phase = 0;
    this.realEnd = this.len;
  }

  private append(chunk: Int16Array | null, zeros: number): void {
    const extra = chunk ? chunk.length : zeros;
    if (this.len + extra > this.buf.length) {
      const grown = new Float32Array(Math.max(this.buf.length * 2, this.len + extra));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    if (chunk) {
      for (let i = 0; i < chunk.length; i++) this.buf[this.len + i] = chunk[i]!;
      this.realEnd = this.len + chunk.length;
    } else {
      this.buf.fill(0, this.len, this.len + zeros);
    }
    this.len += extra;
  }

  /** Emits every output whose taps are all available (and, when flushing, whose instant is real input). */
  private drain(limit: number): Int16Array {
    const { up, down, taps, coeffs } = this.bank;
    const half = this.half;
    // Count outputs first so we allocate exactly once.
    let count = 0;
    {
      let c = this.centre;
      let p = this.phase;
      while (c + half < this.len && c < limit) {
        count++;
        p += down;
        c += Math.floor(p / up);
        p %= up;
      }
    }
    const out = new Int16Array(count);
    const buf = this.buf;
    for (let n = 0; n < count; n++) {
      const start = this.centre - half + 1;
      const row = this.phase * taps;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += buf[start + k]! * coeffs[row + k]!;
      out[n] = acc >= 32767 ? 32767 : acc <= -32768 ? -32768 : Math.round(acc);
      this.phase += down;
      this.centre += Math.floor(this.phase / up);
      this.phase %= up;
    }
    // Drop history no future output needs.
    const keepFrom = Math.min(this.centre - half + 1, this.len);
    if (keepFrom > 0) {
      buf.copyWithin(0, keepFrom, this.len);
      this.len -= keepFrom;
      this.centre -= keepFrom;
      this.realEnd -= keepFrom;
    }
    return out;
  }

  push(chunk: Int16Array): Int16Array {
    this.append(chunk, 0);
    return this.drain(Number.POSITIVE_INFINITY);
  }

  flush(): Int16Array {
    this.append(null, this.half + 1);
    const out = this.drain(this.realEnd);
    this.reset();
    return out;
  }
}

class PassThrough implements StreamingResampler {
  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {}
  push(chunk: Int16Array): Int16Array {
    return chunk;
  }
  flush(): Int16Array {
    return new Int16Array(0);
  }
}

/** A stateful resampler for a stream of chunks. Throws `unsupported_sample_rate` for other rates. */
export function createResampler(fromRate: number, toRate: number): StreamingResampler {
  checkRate(fromRate);
  checkRate(toRate);
  return fromRate === toRate ? new PassThrough(fromRate, toRate) : new PolyphaseResampler(fromRate, toRate);
}

/** Resamples a whole buffer (stateless). Output length is ceil(n · toRate / fromRate). */
export function resample(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  const r = createResampler(fromRate, toRate);
  if (fromRate === toRate) return samples.slice();
  const a = r.push(samples);
  const b = r.flush();
  if (b.length === 0) return a;
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

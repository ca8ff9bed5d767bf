/**
 * Direct polyphase resampling, as scipy's `resample_poly(x, up, down, window=h)` with its default zero
 * padding computes it (checked against scipy 1.17 to 0.0 on random input): with up/down reduced by their
 * gcd, taps g = up · h / Σh of length 2L + 1 (L = half length, see `resample-design.ts`) and x[n] = 0
 * outside the signal,
 *
 *     y[k] = Σ_n x[n] · g[k·down + L − n·up],   k = 0 … ⌈n_in·up/down⌉ − 1.
 *
 * The prepended zeros and `n_pre_remove` trimming in scipy exist only to centre the filter; they cancel
 * into the `+ L` above. Only the kept output samples are computed (polyphase): output k uses phase
 * φ = (k·down + L) mod up, i.e. every up-th tap, about (2L + 1)/up multiply-adds.
 *
 * One-shot (`resamplePoly`, `resampleOct`) and streaming (`StreamingResamplerPair`) results are
 * bit-identical, however the input is chunked.
 *
 * References: scipy.signal.resample_poly / upfirdn documentation.
 */
import { earshotError } from '../errors.js';
import { octaveResamplerDesign, resampledLength, type ResamplerDesign } from './resample-design.js';

/** Input samples processed per internal step of the streaming resamplers (bounds their buffers). */
export const STREAM_BLOCK = 4096;

/** Polyphase tables: for each phase φ, J taps laid out so the inner loop walks x forwards. */
interface Polyphase {
  /** Taps per phase (all phases padded with leading zeros to the longest). */
  readonly J: number;
  /** coef[φ·J + i] multiplies x[nHi − J + 1 + i]; = g[φ + (J − 1 − i)·up] or 0 beyond the filter. */
  readonly coef: Float64Array;
}

const polyphaseCache = new WeakMap<ResamplerDesign, Polyphase>();

function polyphase(design: ResamplerDesign): Polyphase {
  let p = polyphaseCache.get(design);
  if (p) return p;
  const { up, taps } = design;
  const J = Math.ceil(taps.length / up);
  const coef = new Float64Array(up * J);
  for (let phase = 0; phase < up; phase++) {
    for (let j = 0; j < J; j++) {
      const t = phase + j * up;
      coef[phase * J + (J - 1 - j)] = t < taps.length ? taps[t] : 0;
    }
  }
  p = { J, coef };
  polyphaseCache.set(design, p);
  return p;
}

/**
 * Writes `count` outputs starting at polyphase position (nHi, phase) into out[outPos…]; `buf[i]` holds
 * input sample `bufStart + i`. Inner loop: four partial sums to break the add dependency chain, in a
 * fixed order, so a result never depends on how the input was chunked.
 */
function polyphaseRun(
  buf: Float64Array,
  bufStart: number,
  coef: Float64Array,
  J: number,
  up: number,
  down: number,
  nHi0: number,
  phase0: number,
  count: number,
  out: Float64Array,
  outPos: number,
): void {
  let nHi = nHi0;
  let phase = phase0;
  const J4 = J - (J % 4);
  for (let k = 0; k < count; k++) {
    const xb = nHi - J + 1 - bufStart;
    const cb = phase * J;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i < J4; i += 4) {
      s0 += buf[xb + i] * coef[cb + i];
      s1 += buf[xb + i + 1] * coef[cb + i + 1];
      s2 += buf[xb + i + 2] * coef[cb + i + 2];
      s3 += buf[xb + i + 3] * coef[cb + i + 3];
    }
    for (; i < J; i++) s0 += buf[xb + i] * coef[cb + i];
    out[outPos + k] = s0 + s1 + (s2 + s3);
    phase += down;
    const q = Math.floor(phase / up);
    nHi += q;
    phase -= q * up;
  }
}

/**
 * `polyphaseRun` on two equally long signals at once (e.g. ref and deg): each tap is loaded once for
 * both, which saves about a third of the time. Per channel the summation order is exactly that of
 * `polyphaseRun`, so results are bit-identical to two mono runs.
 */
function polyphaseRunPair(
  bufA: Float64Array,
  bufB: Float64Array,
  bufStart: number,
  coef: Float64Array,
  J: number,
  up: number,
  down: number,
  nHi0: number,
  phase0: number,
  count: number,
  outA: Float64Array,
  outB: Float64Array,
  outPos: number,
): void {
  let nHi = nHi0;
  let phase = phase0;
  const J4 = J - (J % 4);
  for (let k = 0; k < count; k++) {
    const xb = nHi - J + 1 - bufStart;
    const cb = phase * J;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    let i = 0;
    for (; i < J4; i += 4) {
      const c0 = coef[cb + i];
      const c1 = coef[cb + i + 1];
      const c2 = coef[cb + i + 2];
      const c3 = coef[cb + i + 3];
      const x = xb + i;
      a0 += bufA[x] * c0;
      b0 += bufB[x] * c0;
      a1 += bufA[x + 1] * c1;
      b1 += bufB[x + 1] * c1;
      a2 += bufA[x + 2] * c2;
      b2 += bufB[x + 2] * c2;
      a3 += bufA[x + 3] * c3;
      b3 += bufB[x + 3] * c3;
    }
    for (; i < J; i++) {
      const c = coef[cb + i];
      a0 += bufA[xb + i] * c;
      b0 += bufB[xb + i] * c;
    }
    outA[outPos + k] = a0 + a1 + (a2 + a3);
    outB[outPos + k] = b0 + b1 + (b2 + b3);
    phase += down;
    const q = Math.floor(phase / up);
    nHi += q;
    phase -= q * up;
  }
}

/**
 * One-shot resampling of a whole signal with `design` (= scipy `resample_poly(x, up, down, window=h)`
 * for pystoi's h). Equals, bit for bit, the concatenated output of the streaming resamplers.
 */
export function resamplePoly(x: Float64Array, design: ResamplerDesign): Float64Array {
  const { up, down, halfLength: L } = design;
  const { J, coef } = polyphase(design);
  const nOut = resampledLength(x.length, up, down);
  const out = new Float64Array(nOut);
  if (nOut === 0) return out;
  // Zero-extended copy: J zeros before (x[n < 0] = 0) and enough after for the last output's taps.
  const lastHi = Math.floor(((nOut - 1) * down + L) / up);
  const after = Math.max(0, lastHi - (x.length - 1));
  const buf = new Float64Array(J + x.length + after);
  buf.set(x, J);
  polyphaseRun(buf, -J, coef, J, up, down, Math.floor(L / up), L % up, nOut, out, 0);
  return out;
}

/** pystoi's `resample_oct(x, outRate, inRate)`. */
export function resampleOct(x: Float64Array, outRate: number, inRate: number): Float64Array {
  return resamplePoly(x, octaveResamplerDesign(outRate, inRate));
}

/**
 * Streaming form of `resamplePoly` for two equally long signals (e.g. ref and deg) through the same
 * filter in one pass: feed blocks of any length with `push`, then `flush` once; the concatenated
 * outputs equal `resamplePoly` on each whole signal bit for bit (same taps, same summation order, same
 * zero padding at both edges).
 *
 * Output k is emitted as soon as its newest input sample x[⌊(k·down + L)/up⌋] has arrived (latency
 * ≈ L/up input samples); `flush` ends the stream with the zero padding scipy applies after the last
 * sample.
 *
 * Allocation: only in the constructor. `push` / `flush` write into caller buffers; size them with
 * `maxOutput(n)` and `pendingTail()`.
 *
 * @example
 * const r = new StreamingResamplerPair(octaveResamplerDesign(10000, 16000));
 * const outRef = new Float64Array(r.maxOutput(ref.length));
 * const outDeg = new Float64Array(outRef.length);
 * const n = r.push(ref, deg, outRef, outDeg); // out*[0, n) are the next 10 kHz samples
 */
export class StreamingResamplerPair implements PairResampler {
  readonly design: ResamplerDesign;
  private readonly J: number;
  private readonly coef: Float64Array;
  /** Input history: bufA[i] and bufB[i] hold input sample bufStart + i. */
  private readonly bufA: Float64Array;
  private readonly bufB: Float64Array;
  private bufStart = 0;
  private bufLen = 0;
  private nIn = 0;
  private nOut = 0;
  /** Polyphase position of the next output: its newest input index and phase. */
  private nHi = 0;
  private phase = 0;

  constructor(design: ResamplerDesign) {
    this.design = design;
    const p = polyphase(design);
    this.J = p.J;
    this.coef = p.coef;
    // J history + one block + J slots for the zeros past the end that the tail reads (≤ ⌈L/up⌉ + 1).
    this.bufA = new Float64Array(2 * this.J + STREAM_BLOCK + 2);
    this.bufB = new Float64Array(this.bufA.length);
    this.reset();
  }

  /** Forget all input: ready for a new signal. */
  reset(): void {
    const { halfLength: L, up } = this.design;
    this.bufA.fill(0);
    this.bufB.fill(0);
    this.bufStart = -this.J; // J leading zeros stand for x[n < 0]
    this.bufLen = this.J;
    this.nIn = 0;
    this.nOut = 0;
    this.nHi = Math.floor(L / up);
    this.phase = L % up;
  }

  /** Input samples pushed so far (per signal). */
  get inputCount(): number {
    return this.nIn;
  }

  /** Output samples emitted so far (per signal). */
  get outputCount(): number {
    return this.nOut;
  }

  /** Upper bound on the outputs one push of `n` more samples can produce (per signal). */
  maxOutput(n: number): number {
    return Math.ceil(((this.nIn + n) * this.design.up) / this.design.down) - this.nOut;
  }

  /** Outputs still owed if the input ended now (what `flush` would write, per signal). */
  pendingTail(): number {
    return resampledLength(this.nIn, this.design.up, this.design.down) - this.nOut;
  }

  /** Appends `a[start, end)` and `b[start, end)`; outputs go to `outA` / `outB` from `outOffset`; returns how many (each). */
  push(
    a: Float64Array,
    b: Float64Array,
    outA: Float64Array,
    outB: Float64Array,
    outOffset = 0,
    start = 0,
    end = a.length,
  ): number {
    if (b.length < end) throw earshotError('ERR_INVALID_ARGUMENT', `second signal too short: ${b.length} < ${end}`);
    let written = 0;
    let pos = start;
    const cap = this.bufA.length - this.J; // keep J slots free for the tail zeros
    while (pos < end) {
      if (this.bufLen >= cap) this.compact();
      const n = Math.min(end - pos, cap - this.bufLen);
      this.bufA.set(a.subarray(pos, pos + n), this.bufLen);
      this.bufB.set(b.subarray(pos, pos + n), this.bufLen);
      this.bufLen += n;
      this.nIn += n;
      pos += n;
      written += this.emitReady(outA, outB, outOffset + written);
    }
    return written;
  }

  /**
   * Writes the outputs that depend on samples after the end (zeros, as scipy pads) to
   * `outA` / `outB` from `outOffset` and returns their number, without changing the state: more input
   * may still follow. Used to read a value "as if the stream ended now".
   */
  peekTail(outA: Float64Array, outB: Float64Array, outOffset = 0): number {
    const count = this.pendingTail();
    if (count <= 0) return 0;
    const { up, down } = this.design;
    const lastHi = this.nHi + Math.floor((this.phase + (count - 1) * down) / up);
    if (lastHi - this.bufStart + 1 > this.bufA.length) this.compact();
    // Zeros past the last sample, as scipy pads; later pushes overwrite these slots before reading them.
    this.bufA.fill(0, this.bufLen, lastHi - this.bufStart + 1);
    this.bufB.fill(0, this.bufLen, lastHi - this.bufStart + 1);
    this.run(count, outA, outB, outOffset);
    return count;
  }

  /** Ends the stream: writes the remaining outputs of both signals (see `peekTail`), then resets. */
  flush(outA: Float64Array, outB: Float64Array, outOffset = 0): number {
    const n = this.peekTail(outA, outB, outOffset);
    this.reset();
    return n;
  }

  /** Computes the outputs whose newest input sample has arrived; returns their number. */
  private emitReady(outA: Float64Array, outB: Float64Array, outPos: number): number {
    const { up, down } = this.design;
    const lastIn = this.nIn - 1;
    if (this.nHi > lastIn) return 0;
    // Outputs c = 0, 1, … are ready while nHi + ⌊(phase + c·down)/up⌋ ≤ lastIn,
    // i.e. phase + c·down < (lastIn − nHi + 1)·up.
    const count = Math.floor(((lastIn - this.nHi + 1) * up - this.phase - 1) / down) + 1;
    this.run(count, outA, outB, outPos);
    const adv = this.phase + count * down;
    const q = Math.floor(adv / up);
    this.nHi += q;
    this.phase = adv - q * up;
    this.nOut += count;
    return count;
  }

  private run(count: number, outA: Float64Array, outB: Float64Array, outPos: number): void {
    const { up, down } = this.design;
    polyphaseRunPair(this.bufA, this.bufB, this.bufStart, this.coef, this.J, up, down, this.nHi, this.phase, count, outA, outB, outPos);
  }

  /** Drops history the next output no longer reads (its taps start at nHi − J + 1). */
  private compact(): void {
    const keepFrom = this.nHi - this.J + 1;
    // (With a filter shorter than down/up the next output may skip samples not yet received.)
    const drop = Math.min(keepFrom - this.bufStart, this.bufLen);
    if (drop <= 0) return;
    this.bufA.copyWithin(0, drop, this.bufLen);
    this.bufB.copyWithin(0, drop, this.bufLen);
    this.bufLen -= drop;
    this.bufStart += drop;
  }
}

/** The shape both pair resamplers share, so a caller can take whichever is faster for its design. */
export interface PairResampler {
  readonly design: ResamplerDesign;
  /** Input samples pushed so far (per signal). */
  readonly inputCount: number;
  /** Output samples emitted so far (per signal). */
  readonly outputCount: number;
  /** Upper bound on the outputs one push of `n` more samples can produce (per signal). */
  maxOutput(n: number): number;
  /** Outputs still owed if the input ended now (per signal). */
  pendingTail(): number;
  /** Appends `a[start, end)`, `b[start, end)`; writes the outputs that became ready; returns how many (each). */
  push(a: Float64Array, b: Float64Array, outA: Float64Array, outB: Float64Array, outOffset?: number, start?: number, end?: number): number;
  /** Writes the outputs owed if the input ended now (zero padding after it) without changing the state. */
  peekTail(outA: Float64Array, outB: Float64Array, outOffset?: number): number;
  /** Ends the stream: writes the remaining outputs, then resets. */
  flush(outA: Float64Array, outB: Float64Array, outOffset?: number): number;
  reset(): void;
}

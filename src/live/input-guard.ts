/**
 * The live engine's input guard: bad input never ends a stream. Each captured block is repaired where
 * that is well-defined and the problem reported (`problem(t, reason)`), then handed on in stream order:
 * - NaN/Inf samples are replaced by 0;
 * - streams of unequal length are cut to the shortest;
 * - a gap in t0 is filled with silence (up to MAX_GAP_FILL_SEC; beyond that the rest is skipped, so
 *   work and memory stay bounded whatever t0 a client sends), an overlap drops the samples already seen;
 * - a block at another sample rate is dropped.
 */
import type { StreamBlock } from '../stream/types.js';

/** Longest t0 gap filled with silence (longer ones: the rest is skipped). */
export const MAX_GAP_FILL_SEC = 10;

export type AcceptBlock = (ref: Float64Array, deg: Float64Array, noisy: Float64Array | undefined) => void;

function countNonFinite(x: Float64Array): number {
  let bad = 0;
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) bad++;
  return bad;
}

function finiteCopy(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Number.isFinite(x[i]) ? x[i] : 0;
  return out;
}

/** Silence for gap filling, shared by every guard of the thread (nothing downstream writes its input). */
const ZEROS = new Float64Array(4096);

export class InputGuard {
  /** t0 the next block should have (samples received, gaps filled). */
  expectedT0 = 0;
  private readonly zeros = ZEROS;

  constructor(
    readonly sampleRate: number,
    readonly withNoisy: boolean,
    private readonly accept: AcceptBlock,
    private readonly problem: (t: number, reason: string) => void,
  ) {}

  push(block: StreamBlock): void {
    const t = this.expectedT0 / this.sampleRate;
    if (block.sampleRate !== this.sampleRate) {
      this.problem(t, `block at ${block.sampleRate} Hz in a ${this.sampleRate} Hz session: dropped`);
      return;
    }
    let { ref, deg, noisy } = block;
    const withNoisy = this.withNoisy;
    const n = Math.min(ref.length, deg.length, withNoisy ? (noisy?.length ?? 0) : Infinity);
    if (ref.length !== n || deg.length !== n || (withNoisy && noisy!.length !== n)) {
      this.problem(t, `streams of one block differ in length (ref ${ref.length}, deg ${deg.length}${withNoisy ? `, noisy ${noisy?.length ?? 0}` : ''}): cut to ${n}`);
      ref = ref.subarray(0, n);
      deg = deg.subarray(0, n);
      noisy = noisy?.subarray(0, n);
    }
    let t0 = block.t0;
    if (t0 < this.expectedT0) {
      const skip = Math.min(n, this.expectedT0 - t0);
      this.problem(t, `block t0 ${t0} overlaps what was already received (expected ${this.expectedT0}): ${skip} samples dropped`);
      ref = ref.subarray(skip);
      deg = deg.subarray(skip);
      noisy = noisy?.subarray(skip);
      t0 += skip;
      if (ref.length === 0) return;
    } else if (t0 > this.expectedT0) {
      const gap = t0 - this.expectedT0;
      const fill = Math.min(gap, MAX_GAP_FILL_SEC * this.sampleRate);
      this.problem(t, `gap of ${gap} samples before t0 ${t0}: ${fill < gap ? `${fill} filled with silence, the rest skipped` : 'filled with silence'}`);
      for (let done = 0; done < fill; done += this.zeros.length) {
        const z = this.zeros.subarray(0, Math.min(this.zeros.length, fill - done));
        this.forward(z, z, withNoisy ? z : undefined);
      }
      this.expectedT0 = t0;
    }
    const bad = countNonFinite(ref) + countNonFinite(deg) + (noisy ? countNonFinite(noisy) : 0);
    if (bad > 0) {
      this.problem(t, `${bad} non-finite (NaN/Inf) samples replaced by 0`);
      ref = finiteCopy(ref);
      deg = finiteCopy(deg);
      noisy = noisy && finiteCopy(noisy);
    }
    this.forward(ref, deg, withNoisy ? noisy : undefined);
  }

  private forward(ref: Float64Array, deg: Float64Array, noisy: Float64Array | undefined): void {
    this.expectedT0 += ref.length;
    this.accept(ref, deg, noisy);
  }
}

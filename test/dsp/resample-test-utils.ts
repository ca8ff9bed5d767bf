/** Shared by the resampler tests: seeded signals, exact comparison, and streaming a pair in chunks. */
import { expect } from 'vitest';
import { resampledLength } from '../../src/dsp/resample-design.js';
import type { PairResampler } from '../../src/dsp/resample-poly.js';
import { chunkBoundaries, seededRandom } from '../helpers/corpus.js';

export type Chunking = number | { seed: number; max: number };

export const CHUNKINGS: Chunking[] = [1, 128, 997, { seed: 11, max: 3000 }];

export function randomSignal(n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => rnd() * 2 - 1);
}

export function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Streams `a`, `b` through a fresh pair resampler with the given chunking, peeking the tail now and then. */
export function streamPair(make: () => PairResampler, a: Float64Array, b: Float64Array, chunk: Chunking): [Float64Array, Float64Array] {
  const r = make();
  const d = r.design;
  const n = resampledLength(a.length, d.up, d.down);
  const outA = new Float64Array(n);
  const outB = new Float64Array(n);
  const sa = new Float64Array(n + 8);
  const sb = new Float64Array(n + 8);
  const cuts = chunkBoundaries(a.length, chunk);
  let w = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    if (i % 64 === 2) r.peekTail(sa, sb);
    expect(r.maxOutput(cuts[i + 1] - cuts[i])).toBeGreaterThanOrEqual(0);
    w += r.push(a, b, outA, outB, w, cuts[i], cuts[i + 1]);
  }
  w += r.flush(outA, outB, w);
  expect(w).toBe(n);
  return [outA, outB];
}

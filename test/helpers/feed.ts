import type { MetricAccumulator, SignalBlock } from '../../src/metrics/types.js';
import { chunkBoundaries } from './corpus.js';

/** Feed a whole signal set into an accumulator in chunks (fixed size or seeded random sizes). */
export function feed<Out>(
  acc: MetricAccumulator<SignalBlock, Out>,
  signals: SignalBlock,
  chunk: number | { seed: number; max: number } = Number.MAX_SAFE_INTEGER,
): Out {
  const n = signals.ref.length;
  const cuts = chunkBoundaries(n, chunk);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    acc.update({
      ref: signals.ref.subarray(a, b),
      deg: signals.deg.subarray(a, b),
      noisy: signals.noisy?.subarray(a, b),
    });
  }
  return acc.compute();
}

/** The chunkings every streaming accumulator must be invariant to. */
export const CHUNKINGS: (number | { seed: number; max: number })[] = [1, 128, 997, { seed: 7, max: 5000 }];

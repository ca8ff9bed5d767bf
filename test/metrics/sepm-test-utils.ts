/**
 * Helpers shared by the tests of the pysepm-style measures (fwSegSNR, LLR, WSS, CD): feeding an
 * accumulator in chunks, synthetic signals with digital silence, and an independent oracle for the
 * framing (which frames count, and the 95 % trimmed mean).
 */
import { expect } from 'vitest';
import { isEarshotError } from '../../src/errors.js';
import { sepmGeometry } from '../../src/metrics/sepm-frames.js';
import type { MetricAccumulator, SignalBlock } from '../../src/metrics/types.js';
import { caseAudio, chunkBoundaries, goldenCase, seededRandom } from '../helpers/corpus.js';

export type Chunking = number | { seed: number; max: number };

/** Block sizes every streaming test uses: single samples, a render quantum, a prime, random sizes. */
export const CHUNKINGS: Chunking[] = [1, 128, 997, { seed: 42, max: 4000 }];

export const chunkLabel = (c: Chunking): string => (typeof c === 'number' ? `${c}` : `random(seed ${c.seed})`);

/** Feed ref/deg in one block (chunk omitted) or cut as `chunk` says, then compute. */
export function feed<T>(
  acc: MetricAccumulator<SignalBlock, T>,
  ref: Float64Array,
  deg: Float64Array,
  chunk?: Chunking,
): T {
  acc.reset();
  if (chunk === undefined) {
    acc.update({ ref, deg });
  } else {
    const cuts = chunkBoundaries(ref.length, chunk);
    for (let i = 1; i < cuts.length; i++) {
      acc.update({ ref: ref.subarray(cuts[i - 1], cuts[i]), deg: deg.subarray(cuts[i - 1], cuts[i]) });
    }
  }
  acc.update({ ref: new Float64Array(0), deg: new Float64Array(0) }); // empty blocks are no-ops
  return acc.compute();
}

/**
 * A speech-like test pair at `fs`: ref is bursts of coloured noise separated by digital silence (so
 * that all-zero frames occur), deg is ref plus white noise, quantised to int16/32768 like the corpus.
 */
export function syntheticPair(n: number, fs: number, seed: number): { ref: Float64Array; deg: Float64Array } {
  const rnd = seededRandom(seed);
  const ref = new Float64Array(n);
  const deg = new Float64Array(n);
  const burst = Math.round(0.05 * fs);
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < n; i++) {
    const on = Math.floor(i / burst) % 3 !== 2; // every third 50 ms stretch is silent
    const y = (rnd() - 0.5) * 0.1 + 1.3 * y1 - 0.6 * y2;
    y2 = y1;
    y1 = y;
    ref[i] = on ? Math.round(y * 8000) / 32768 : 0;
    deg[i] = Math.round((ref[i] + (rnd() - 0.5) * 0.02) * 32768) / 32768;
  }
  return { ref, deg };
}

/** Python's round() (ties to even), written independently of the implementation. */
export function pyRound(x: number): number {
  const r = Math.round(x); // ties up
  return x - Math.floor(x) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy: sort ascending, keep the first round(0.95·M), mean. */
export function trimmedMeanOracle(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const kept = pyRound(s.length * 0.95);
  let sum = 0;
  for (let i = 0; i < kept; i++) sum += s[i];
  return sum / kept;
}

/** The EarshotError code `fn` throws, or 'no error'. */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isEarshotError(e) ? e.code : `not an EarshotError: ${String(e)}`;
  }
  return 'no error';
}

/**
 * The last complete frame is not known until compute(): check lengths N around frame boundaries.
 * Frame m's own value comes from a lone-frame run over [m·S, m·S + L + S + 1) (one counted frame);
 * the result for N must be `aggregate` of the first `frameCount(N)` of them, and must not depend on
 * the block cutting.
 */
export function checkEveryLength<T extends { value: number | null; frames: number }>(opts: {
  fs: number;
  /** N = L + k·S + {−1, 0, 1, S − 1} for each k. */
  ks: number[];
  make: () => MetricAccumulator<SignalBlock, T>;
  frameCount: (n: number, frameLength: number, hop: number) => number;
  /** A lone frame's value (the unclamped one for LLR). */
  loneValue: (r: T) => number;
  aggregate: (frameValues: number[]) => number;
  /** What the result's value should be given the aggregate (e.g. a clamp). */
  value?: (r: T) => number | null;
}): { lengths: number; shortOfFloor: number } {
  const { frameLength: L, hop: S } = sepmGeometry(opts.fs);
  const maxK = Math.max(...opts.ks);
  const { ref, deg } = syntheticPair(L + (maxK + 3) * S, opts.fs, opts.fs);
  const acc = opts.make();
  const v = Array.from({ length: maxK + 2 }, (_, m) =>
    opts.loneValue(feed(acc, ref.subarray(m * S, m * S + L + S + 1), deg.subarray(m * S, m * S + L + S + 1))),
  );
  const read = opts.value ?? ((r: T) => r.value);
  let lengths = 0;
  let shortOfFloor = 0;
  for (const k of opts.ks) {
    for (const n of [L + k * S - 1, L + k * S, L + k * S + 1, L + k * S + S - 1]) {
      const m = opts.frameCount(n, L, S);
      if (n >= L && m < Math.floor((n - L) / S)) shortOfFloor++;
      const r = ref.subarray(0, n);
      const d = deg.subarray(0, n);
      const got = feed(acc, r, d);
      lengths++;
      expect(got.frames, `N=${n}`).toBe(Math.max(0, m));
      if (m <= 0) {
        expect(got.value, `N=${n}`).toBeNull();
        continue;
      }
      // 1e-12 relative: the same frame values, reduced in the same order.
      expect(read(got)!, `N=${n}`).toBeCloseTo(opts.aggregate(v.slice(0, m)), 12);
      expect(feed(acc, r, d, 1), `N=${n}, blocks of 1`).toEqual(got);
      expect(feed(acc, r, d, 97), `N=${n}, blocks of 97`).toEqual(got);
    }
  }
  return { lengths, shortOfFloor };
}

/** pysepm fwSNRseg / wss / cepstrum_distance: int(len/skiprate − winlength/skiprate). */
export const floatFrameCount = (n: number, L: number, S: number): number => Math.trunc(n / S - L / S);
/** pysepm llr (numpy strided frames minus the last): floor((N − L)/S), or none when N < L. */
export const stridedFrameCount = (n: number, L: number, S: number): number =>
  n < L ? 0 : Math.floor((n - L) / S);
/** The rates and frame offsets k every metric checks; 44.1 kHz k = 124, 125 hit the float-count case. */
export const EVERY_LENGTH_RATES: [number, number[]][] = [
  [16000, [0, 1, 2, 3, 4]],
  [44100, [0, 1, 2, 123, 124, 125]],
];

/** Corpus cases the streaming tests cut into blocks: very short, 8 kHz, and an all-zero deg. */
export const STREAMING_CASES = ['p28_short_yes', 'p30_8k_white10db', 'p02_silent_deg'];

/**
 * The result over a whole corpus case equals the result for every block cutting in CHUNKINGS, exactly:
 * frames hold the same samples whatever the cutting, and the accumulators aggregate in frame order
 * (or sort before a trimmed mean). `read` takes the result (default `compute()`, i.e. what `feed` returns).
 */
export function expectChunkInvariant<T, A extends MetricAccumulator<SignalBlock, T>>(
  caseName: string,
  make: (sampleRate: number) => A,
  read: (acc: A) => unknown = (acc) => acc.compute(),
): void {
  const c = goldenCase(caseName);
  const ref = caseAudio(c, 'ref');
  const deg = caseAudio(c, 'deg');
  const acc = make(c.fs);
  feed(acc, ref, deg);
  const whole = read(acc);
  for (const chunk of CHUNKINGS) {
    feed(acc, ref, deg, chunk);
    expect(read(acc), chunkLabel(chunk)).toEqual(whole);
  }
}

import { describe, expect, it } from 'vitest';
import {
  completeFrames,
  FrameValues,
  PendingSum,
  pysepmFrameCount,
  roundHalfEven,
  SepmFramer,
  sepmGeometry,
} from '../../src/metrics/sepm-frames.js';
import { chunkBoundaries } from '../helpers/corpus.js';
import { errorCode } from './sepm-test-utils.js';

describe('sepmGeometry', () => {
  it('gives pysepm\'s frame, hop and nfft at 8, 16 and 48 kHz (golden.json meta: 240/480/1440, 60/120/360, 512/1024/4096)', () => {
    expect(sepmGeometry(8000)).toMatchObject({ frameLength: 240, hop: 60, nfft: 512, lpcOrder: 10 });
    expect(sepmGeometry(16000)).toMatchObject({ frameLength: 480, hop: 120, nfft: 1024, lpcOrder: 16 });
    expect(sepmGeometry(48000)).toMatchObject({ frameLength: 1440, hop: 360, nfft: 4096, lpcOrder: 16 });
  });

  it('rejects rates without a whole-sample hop', () => {
    expect(errorCode(() => sepmGeometry(0))).toBe('ERR_SAMPLE_RATE');
    expect(errorCode(() => sepmGeometry(Infinity))).toBe('ERR_SAMPLE_RATE');
    expect(errorCode(() => sepmGeometry(120))).toBe('ERR_SAMPLE_RATE');
  });
});

describe('frame counts', () => {
  it('rounds half to even like Python', () => {
    expect([0.5, 1.5, 2.5, 28.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 28, 2, 3]);
  });

  it('counts complete frames and pysepm\'s float count', () => {
    expect(completeFrames(479, 480, 120)).toBe(0);
    expect(completeFrames(480, 480, 120)).toBe(1);
    expect(completeFrames(720, 480, 120)).toBe(3);
    expect(pysepmFrameCount(720, 480, 120)).toBe(2);
    expect(pysepmFrameCount(400, 480, 120)).toBe(0); // int() truncates toward zero
  });
});

describe('SepmFramer', () => {
  it('hands out every frame [m·S, m·S + L) exactly once, in order, whatever the block sizes', () => {
    const L = 10;
    const S = 3;
    const n = 100;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    for (const chunk of [1, 2, 7, 10, 11, 100, { seed: 3, max: 25 }]) {
      const framer = new SepmFramer(L, S);
      const starts: number[] = [];
      const sink = {
        frame(ref: Float64Array, deg: Float64Array, offset: number) {
          const first = ref[offset];
          for (let i = 0; i < L; i++) {
            expect(ref[offset + i]).toBe(first + i);
            expect(deg[offset + i]).toBe(-(first + i));
          }
          starts.push(first);
        },
      };
      const cuts = chunkBoundaries(n, chunk);
      const neg = x.map((v) => -v);
      for (let i = 1; i < cuts.length; i++) framer.push(x.subarray(cuts[i - 1], cuts[i]), neg.subarray(cuts[i - 1], cuts[i]), sink);
      expect(starts).toEqual(Array.from({ length: completeFrames(n, L, S) }, (_, m) => m * S));
      expect(framer.samples).toBe(n);
      expect(framer.frames).toBe(starts.length);
    }
  });
});

describe('SepmFramer geometry', () => {
  it('rejects a hop outside 1..L and non-integer sizes with ERR_INVALID_ARGUMENT (a hop of 0 would never advance)', () => {
    for (const [L, S] of [
      [10, 0],
      [10, 11],
      [10.5, 3],
      [10, 2.5],
    ]) {
      expect(errorCode(() => new SepmFramer(L, S)), `L=${L}, S=${S}`).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(errorCode(() => new SepmFramer(10, 10))).toBe('no error');
  });

  it('with hop = L hands out back-to-back frames', () => {
    const framer = new SepmFramer(4, 4);
    const x = Float64Array.from({ length: 14 }, (_, i) => i);
    const starts: number[] = [];
    const sink = { frame: (ref: Float64Array, _deg: Float64Array, o: number) => void starts.push(ref[o]) };
    for (let i = 0; i < 14; i += 3) framer.push(x.subarray(i, i + 3), x.subarray(i, i + 3), sink);
    expect(starts).toEqual([0, 4, 8]);
  });
});

describe('PendingSum', () => {
  it('sums the first `count` values while holding back the newest two', () => {
    const s = new PendingSum();
    const v = [1, 2, 4, 8, 16];
    v.forEach((x) => s.push(x));
    expect(s.total(5)).toBe(31);
    expect(s.total(4)).toBe(15);
    expect(s.total(3)).toBe(7);
    expect(errorCode(() => s.total(2))).toBe('ERR_INVALID_ARGUMENT');
    s.reset();
    s.push(5);
    expect(s.total(0)).toBe(0);
    expect(s.total(1)).toBe(5);
  });
});

describe('FrameValues', () => {
  it('grows past its initial capacity and trims the first `count` values', () => {
    const f = new FrameValues();
    for (let i = 0; i < 3000; i++) f.push(3000 - i);
    expect(f.length).toBe(3000);
    // First 40 values are 3000..2961; round(0.95·40) = 38 lowest are 2961..2998.
    const { mean, kept } = f.trimmedMean(40);
    expect(kept).toBe(38);
    expect(mean).toBe((2961 + 2998) / 2);
    // A monotone map (a clamp) applies after sorting.
    // Clamped at 2970: 2961..2969 stay, the other 29 kept values become 2970.
    let sum = 29 * 2970;
    for (let x = 2961; x <= 2969; x++) sum += x;
    expect(f.trimmedMean(40, (x) => Math.min(x, 2970)).mean).toBeCloseTo(sum / 38, 12);
  });
});

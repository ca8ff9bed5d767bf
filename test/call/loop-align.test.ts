import { describe, expect, it } from 'vitest';
import { loopOffset, rotate } from '../../src/call/loop-align.js';
import { seededRandom } from '../helpers/corpus.js';
import { speechLike } from '../helpers/speech-like.js';

const RATE = 16000;

describe('loopOffset', () => {
  const x = speechLike(3 * RATE, RATE, seededRandom(3));

  it('finds the phase of a recording of the looped signal, whatever the phase and the length', () => {
    for (const [offset, length] of [
      [0, 2 * RATE],
      [12345, RATE],
      [3 * RATE - 1, 5 * RATE], // longer than the loop: wraps around
      [40000, 3 * RATE],
    ]) {
      const r = loopOffset(x, rotate(x, offset, length));
      expect(r.offset).toBe(offset);
    }
  });

  it('holds through a gain change and added noise (a processed, coded recording)', () => {
    const rnd = seededRandom(4);
    const rec = rotate(x, 20000, 2 * RATE).map((v) => 0.3 * v + 0.01 * (rnd() - 0.5));
    const r = loopOffset(x, rec);
    expect(r.offset).toBe(20000);
    if (r.offset !== null) expect(r.peakToRms).toBeGreaterThan(10);
  });

  it('a silent recording or an unrelated one is null with a reason, never a guess', () => {
    expect(loopOffset(x, new Float64Array(RATE))).toEqual({ offset: null, reason: 'the recording is silent' });
    const rnd = seededRandom(5);
    const other = loopOffset(x, Float64Array.from({ length: 2 * RATE }, () => rnd() - 0.5));
    expect(other.offset).toBeNull();
    if (other.offset === null) expect(other.reason).toMatch(/does not match the input/);
    expect(loopOffset(x, new Float64Array(0)).offset).toBeNull();
  });
});

describe('rotate', () => {
  it('reads the periodic signal from a phase, wrapping', () => {
    expect(Array.from(rotate(Float64Array.of(1, 2, 3), 2, 5))).toEqual([3, 1, 2, 3, 1]);
    expect(Array.from(rotate(Float64Array.of(1, 2, 3), -1, 2))).toEqual([3, 1]);
  });
});

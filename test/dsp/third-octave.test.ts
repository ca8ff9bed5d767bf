import { describe, expect, it } from 'vitest';
import { bandAmplitudes, thirdOctaveBands, thirdOctaveMatrix } from '../../src/dsp/third-octave.js';
import { seededRandom } from '../helpers/corpus.js';

describe("thirdOctaveBands (pystoi's thirdoct)", () => {
  it('reproduces pystoi 0.4.1 thirdoct(10000, 512, 15, 150): band bins and centres', () => {
    // First and one-past-last non-zero column of each OBM row, and cf, printed by pystoi 0.4.1
    // utils.thirdoct(10000, 512, 15, 150) on this machine (numpy 2.4.6).
    const lows = [7, 9, 11, 14, 17, 22, 27, 34, 43, 55, 69, 87, 109, 138, 174];
    const highs = [9, 11, 14, 17, 22, 27, 34, 43, 55, 69, 87, 109, 138, 174, 219];
    const cf = [
      150.0, 188.98815748423098, 238.11015779522992, 300.0, 377.97631496846196, 476.22031559045985,
      600.0000000000001, 755.952629936924, 952.4406311809199, 1200.0000000000002, 1511.905259873848,
      1904.8812623618398, 2400.0000000000005, 3023.810519747696, 3809.76252472368,
    ];
    const b = thirdOctaveBands(10000, 512, 15, 150);
    expect(Array.from(b.lowBin)).toEqual(lows);
    expect(Array.from(b.highBin)).toEqual(highs);
    // 1e-12 Hz: pow() from two libm implementations, a few ulps of numbers below 4 kHz.
    for (let k = 0; k < 15; k++) expect(Math.abs(b.centers[k] - cf[k])).toBeLessThan(1e-12);
  });

  it('is cached per arguments', () => {
    expect(thirdOctaveBands(10000, 512, 15, 150)).toBe(thirdOctaveBands(10000, 512, 15, 150));
  });

  it('gives a 0/1 matrix with contiguous rows, adjacent bands sharing no bin', () => {
    const b = thirdOctaveBands(10000, 512, 15, 150);
    const m = thirdOctaveMatrix(b);
    const cols = 257;
    expect(m.length).toBe(15 * cols);
    for (let k = 0; k < 15; k++) {
      let ones = 0;
      for (let i = 0; i < cols; i++) {
        const v = m[k * cols + i];
        expect(v === 0 || v === 1).toBe(true);
        ones += v;
        if (v === 1) expect(i >= b.lowBin[k] && i < b.highBin[k]).toBe(true);
      }
      expect(ones).toBe(b.highBin[k] - b.lowBin[k]);
      if (k > 0) expect(b.lowBin[k]).toBe(b.highBin[k - 1]);
    }
  });

  it('bandAmplitudes = sqrt(OBM · |X|²)', () => {
    const b = thirdOctaveBands(10000, 512, 15, 150);
    const m = thirdOctaveMatrix(b);
    const rnd = seededRandom(1);
    const spec = Float64Array.from({ length: 514 }, () => rnd() - 0.5);
    const out = new Float64Array(17);
    bandAmplitudes(b, spec, out, 2);
    for (let k = 0; k < 15; k++) {
      let e = 0;
      for (let i = 0; i < 257; i++) e += m[k * 257 + i] * (spec[2 * i] ** 2 + spec[2 * i + 1] ** 2);
      // 1e-15: the same sum (zeros add nothing), one rounding of sqrt.
      expect(Math.abs(out[k + 2] - Math.sqrt(e))).toBeLessThan(1e-15);
    }
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { PairSpectrogram, SPECTRUM_DB_MIN, SPECTRUM_DB_STEP, type SpectrumColumn } from '../../src/server/spectrum.js';
import { chunkBoundaries } from '../helpers/corpus.js';

const sine = (n: number, fs: number, hz: number, amp: number) => Float64Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / fs));
const db = (q: number) => SPECTRUM_DB_MIN + q * SPECTRUM_DB_STEP;

function columns(fs: number, ref: Float64Array, deg: Float64Array, chunk: number | { seed: number; max: number } = ref.length): SpectrumColumn[] {
  const s = new PairSpectrogram(fs);
  const out: SpectrumColumn[] = [];
  const cuts = chunkBoundaries(ref.length, chunk);
  for (let i = 0; i + 1 < cuts.length; i++) s.update(ref.subarray(cuts[i], cuts[i + 1]), deg.subarray(cuts[i], cuts[i + 1]), (c) => out.push(c));
  return out;
}

describe('PairSpectrogram', () => {
  it('10 columns per second, stamped with the stream time at their end', () => {
    const fs = 16000;
    const x = sine(fs * 2, fs, 1000, 0.5);
    const cols = columns(fs, x, x);
    expect(cols).toHaveLength(20);
    expect(cols[0]).toMatchObject({ t: 0.1, dt: 0.1 });
    expect(cols[19].t).toBeCloseTo(2, 12);
  });

  it('a full-scale 1 kHz sine peaks at 0 dB in the band holding 1 kHz; silence maps to the floor', () => {
    for (const fs of [8000, 16000, 48000]) {
      const s = new PairSpectrogram(fs);
      const cols: SpectrumColumn[] = [];
      s.update(sine(fs, fs, 1000, 1), new Float64Array(fs), (c) => cols.push(c));
      const col = cols[5];
      const peak = col.ref.indexOf(Math.max(...col.ref));
      const { bandStart, bandEnd } = s.plan;
      const binHz = fs / s.plan.fftSize;
      expect(bandStart[peak] * binHz).toBeLessThanOrEqual(1000 + binHz);
      expect(bandEnd[peak] * binHz).toBeGreaterThanOrEqual(1000 - binHz);
      // A band is the mean power of its bins, normalised so a bin-centred full-scale sine reads 0 dB
      // in its bin. Upper bound: 0 dB (a one-bin band; wider bands add the two side bins at −6 dB but
      // divide by their width) plus half a quantisation step. Lower bound: the strongest bin alone,
      // −1.43 dB at worst (Hann scalloping loss for a sine half-way between bins), over the band's width.
      const bins = bandEnd[peak] - bandStart[peak];
      expect(db(col.ref[peak])).toBeLessThanOrEqual(SPECTRUM_DB_STEP / 2);
      expect(db(col.ref[peak])).toBeGreaterThanOrEqual(-10 * Math.log10(bins) - 1.43 - SPECTRUM_DB_STEP / 2);
      expect(Math.max(...col.deg)).toBe(0);
    }
  });

  it('any block cutting gives the same columns', () => {
    const fs = 16000;
    const ref = sine(fs, fs, 440, 0.3);
    const deg = sine(fs, fs, 3000, 0.1);
    const whole = columns(fs, ref, deg);
    for (const chunk of [1, 128, 997, { seed: 5, max: 3000 }]) expect(columns(fs, ref, deg, chunk)).toEqual(whole);
  });
});

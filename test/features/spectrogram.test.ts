import { describe, expect, it } from 'vitest';
import { FrontEnd } from '../../src/features/front-end.js';
import { SPECTRUM_BANDS, SPECTRUM_DB_MIN, SPECTRUM_DB_STEP, Spectrogram, spectrumBands, type SpectrumColumn } from '../../src/features/spectrogram.js';
import { createLiveEngineSession } from '../../src/live/engine.js';
import { chunkBoundaries } from '../helpers/corpus.js';

const dbOf = (q: number) => SPECTRUM_DB_MIN + q * SPECTRUM_DB_STEP;

describe('spectrogram (a consumer of the 32 ms spectra)', () => {
  it('puts a full-scale tone at 0 dB in its mel band, digital silence at the floor', () => {
    const fs = 16000;
    const f0 = 1000;
    const fe = new FrontEnd(fs);
    const cols: SpectrumColumn[] = [];
    const sg = new Spectrogram(fe, (c) => cols.push(c));
    const tone = Float64Array.from({ length: fs }, (_, i) => Math.sin((2 * Math.PI * f0 * i) / fs));
    fe.push({ ref: tone, deg: new Float64Array(fs) });
    expect(cols.length).toBeGreaterThanOrEqual(9);
    const { bandStart, bandEnd } = sg.layout;
    const bin = Math.round((f0 * 512) / fs);
    const band = [...bandStart].findIndex((s, b) => s <= bin && bin < bandEnd[b]);
    const c = cols[3];
    const loudest = c.ref.indexOf(Math.max(...c.ref));
    expect(loudest).toBe(band);
    // Band power is the mean over the band's bins: a narrow band holding the tone's main lobe reads
    // within a few dB of the sine's 0 dB.
    expect(dbOf(c.ref[band])).toBeGreaterThan(-10);
    expect(dbOf(c.ref[band])).toBeLessThanOrEqual(0.5);
    expect([...c.deg].every((q) => q === 0)).toBe(true);
    // Columns tile the stream: t grows by dt.
    for (let k = 1; k < cols.length; k++) expect(cols[k].t - cols[k - 1].t).toBeCloseTo(cols[k].dt, 12);
  });

  it('any block cutting gives the same columns', () => {
    const fs = 16000;
    const ref = Float64Array.from({ length: fs }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / fs));
    const deg = Float64Array.from({ length: fs }, (_, i) => 0.1 * Math.sin((2 * Math.PI * 3000 * i) / fs));
    const columns = (chunk: number | { seed: number; max: number }) => {
      const fe = new FrontEnd(fs);
      const cols: SpectrumColumn[] = [];
      new Spectrogram(fe, (c) => cols.push(c));
      const cuts = chunkBoundaries(ref.length, chunk);
      for (let i = 0; i + 1 < cuts.length; i++) fe.push({ ref: ref.subarray(cuts[i], cuts[i + 1]), deg: deg.subarray(cuts[i], cuts[i + 1]) });
      return cols;
    };
    const whole = columns(ref.length);
    expect(whole.length).toBeGreaterThanOrEqual(9);
    for (const chunk of [1, 128, 997, { seed: 5, max: 3000 }]) expect(columns(chunk)).toEqual(whole);
  });

  it('bands run from 50 Hz up to Nyquist, each at least one bin, inside the spectrum', () => {
    for (const [fs, n] of [[8000, 256], [16000, 512], [48000, 2048]]) {
      const l = spectrumBands(fs, n);
      expect(l.bands).toBe(SPECTRUM_BANDS);
      for (let b = 0; b < l.bands; b++) expect(l.bandEnd[b]).toBeGreaterThan(l.bandStart[b]);
      // The top edge lands on the Nyquist bin or just below it (rounding of the mel inverse).
      expect(l.bandEnd[l.bands - 1]).toBeGreaterThanOrEqual(n / 2);
      expect(l.bandEnd[l.bands - 1]).toBeLessThanOrEqual(n / 2 + 1);
      expect(l.bandStart[0]).toBe(Math.ceil((50 * n) / fs));
    }
  });

  it('the live engine emits columns of the aligned audio at the asked rate, and none by default', () => {
    const fs = 16000;
    const x = Float64Array.from({ length: 3 * fs }, (_, i) => 0.3 * Math.sin(i * 0.05) * Math.sin(i * 0.001));
    const run = (spectrumRateHz?: number) => {
      const s = createLiveEngineSession({ id: 'sg', sampleRate: fs, withNoisy: false, metrics: 'snr', spectrumRateHz });
      const cols: SpectrumColumn[] = [];
      s.spectra$?.subscribe((c) => cols.push(c));
      for (let a = 0; a < x.length; a += 160) s.push({ t0: a, sampleRate: fs, ref: x.subarray(a, a + 160), deg: x.subarray(a, a + 160) });
      s.end();
      return cols;
    };
    expect(run()).toHaveLength(0);
    const cols = run(10);
    // About 10 per second of aligned audio (the aligner holds output until it locks).
    expect(cols.length).toBeGreaterThan(15);
    expect(cols.length).toBeLessThanOrEqual(31);
    expect(cols.at(-1)!.ref).toEqual(cols.at(-1)!.deg);
  });
});

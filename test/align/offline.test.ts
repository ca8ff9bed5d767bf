/**
 * Offline alignment (src/analysis/align.ts, docs/alignment.md) on synthetic pairs made from the
 * corpus's clean files, whose delays, drifts and steps are known by construction. The constants
 * (delays, drift, step times) are this test's; nothing in the algorithm is fitted to them.
 */
import { describe, expect, it } from 'vitest';
import { analyze, analyzeSources } from '../../src/analysis/analyze.js';
import { arraySource } from '../../src/io/sources.js';
import { caseAudio, corpusAvailable, goldenCase } from '../helpers/corpus.js';
import { addNoise, fftDelay, fit, retime } from './synthetic.js';

const FS = 16000;
const clean = (name: string) => caseAudio(goldenCase(name), 'ref');

describe.runIf(corpusAvailable)('offline alignment: delays over the whole range', () => {
  // p29: 10.7 s, long pauses; deg is a pure delay of it.
  const cases: [string, number][] = [
    ['+1.3 s', 1.3 * FS],
    ['+2.0 s', 2.0 * FS],
    ['−1.5 s (deg leads)', -1.5 * FS],
    ['10.5 samples', 10.5],
  ];
  for (const [name, d] of cases) {
    it(`finds ${name} within 0.05 ms, and the pure delay then scores STOI ≥ 0.99`, () => {
      const ref = clean('p29_longpause_pink5db');
      const deg = fftDelay(ref, d);
      const r = analyze({ sampleRate: FS, refs: [ref], degs: [deg] }, { metrics: 'stoi,sisdr' });
      expect(r.delayMs).not.toBeNull();
      expect(Math.abs(r.delayMs! - (1000 * d) / FS)).toBeLessThan(0.05);
      expect(r.values.stoi as number).toBeGreaterThanOrEqual(0.99);
      expect(r.driftPpm).toBe(0);
      expect(r.delayTrack).toHaveLength(1);
      expect(r.notes.join('\n')).not.toMatch(/inverted polarity/);
    });
  }

  it('finds a whole-sample delay exactly and applies it as a whole sample (--align integer agrees)', () => {
    const ref = clean('p05_white_20db');
    const deg = fftDelay(ref, 777);
    const auto = analyze({ sampleRate: FS, refs: [ref], degs: [deg] }, { metrics: 'sisdr' });
    const integer = analyze({ sampleRate: FS, refs: [ref], degs: [deg] }, { metrics: 'sisdr', align: 'integer' });
    expect(auto.delayMs).toBe((1000 * 777) / FS);
    expect(integer.delayMs).toBe((1000 * 777) / FS);
    expect(auto.values.sisdr).toBe(integer.values.sisdr);
  });

  it('--align integer rounds a fractional delay to whole samples', () => {
    const ref = clean('p29_longpause_pink5db');
    const r = analyze({ sampleRate: FS, refs: [ref], degs: [fftDelay(ref, 10.4)] }, { metrics: 'sisdr', align: 'integer' });
    expect(r.delayMs).toBe((1000 * 10) / FS);
    expect(r.driftPpm).toBe(0);
  });

  it('--max-delay narrows the search: a 2 s delay is not looked for within ±0.5 s', () => {
    const ref = clean('p29_longpause_pink5db');
    const r = analyzeSources({ sampleRate: FS, refs: [arraySource(ref)], degs: [arraySource(fftDelay(ref, 2 * FS))] }, { metrics: 'sisdr', maxDelaySec: 0.5 });
    expect(r.report.delayMs).toBeNull();
    expect(r.report.reasons.delay).toMatch(/no clear correlation peak/);
  });
});

describe.runIf(corpusAvailable)('offline alignment: confidence', () => {
  it('a deg unrelated to ref (another sentence) gives delayMs null with a reason and a warning, never a delay', () => {
    for (const [a, b] of [
      ['p05_white_20db', 'p09_brown_10db'],
      ['p40_long60s_pink5db', 'p41_long60s_specsub_white10db'],
    ]) {
      const ref = clean(a);
      const deg = clean(b);
      const r = analyzeSources({ sampleRate: FS, refs: [arraySource(ref)], degs: [arraySource(deg)] }, { metrics: 'sisdr' });
      expect(r.report.delayMs).toBeNull();
      expect(r.report.driftPpm).toBeNull();
      expect(r.report.delayTrack).toBeNull();
      expect(typeof r.report.reasons.delay).toBe('string');
      expect(r.warnings.join('\n')).toMatch(/delay not compensated/);
      // Scored as the files are (their common length).
      expect(r.report.durationSec).toBe(Math.min(ref.length, deg.length) / FS);
    }
  });
});

describe.runIf(corpusAvailable)('offline alignment: drift', () => {
  it('a 50 ppm drift over 60 s is found within 5 ppm, and compensated SI-SDR is within 0.5 dB of the undrifted pair', () => {
    const ref = clean('p40_long60s_pink5db');
    const ppm = 50;
    const d0 = 400.25;
    const undrifted = addNoise(fftDelay(ref, 400), ref, 20, 7);
    const drifted = addNoise(retime(ref, (m) => d0 + ppm * 1e-6 * m, ref.length), ref, 20, 7);
    const a = analyze({ sampleRate: FS, refs: [ref], degs: [undrifted] }, { metrics: 'sisdr' });
    const b = analyze({ sampleRate: FS, refs: [ref], degs: [drifted] }, { metrics: 'sisdr' });
    expect(Math.abs(b.driftPpm! - ppm)).toBeLessThan(5);
    expect(Math.abs((b.values.sisdr as number) - (a.values.sisdr as number))).toBeLessThan(0.5);
    // delayMs is the delay at the start of the scored span (the track's first t).
    const m0 = b.delayTrack![0].t * FS;
    expect(Math.abs(b.delayMs! - (1000 * (d0 + ppm * 1e-6 * m0)) / FS)).toBeLessThan(0.05);
  });
});

describe.runIf(corpusAvailable)('offline alignment: delay steps', () => {
  it('steps at 3 s and 6 s (100 → 165 → 175 ms, in pauses) give a track with both steps, placed in the pauses; STOI ≥ 0.98', () => {
    // Three sentences, 3 s apart, each with its pauses.
    const parts = [fit(clean('p19_gain_m6db_de'), 3 * FS), fit(clean('p10_brown_20db_fr'), 3 * FS), clean('p08_brown_m5db_de')];
    const ref = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      ref.set(p, at);
      at += p.length;
    }
    const truth = (m: number) => (m < 3 * FS ? 100 : m < 6 * FS ? 165 : 175) * (FS / 1000);
    const deg = retime(ref, truth, ref.length + 175 * (FS / 1000));
    const r = analyze({ sampleRate: FS, refs: [ref], degs: [deg] }, { metrics: 'stoi,cisdr' });
    const track = r.delayTrack!;
    expect(track.map((s) => s.delayMs).length).toBe(3);
    [100, 165, 175].forEach((ms, k) => expect(Math.abs(track[k].delayMs - ms)).toBeLessThan(1));
    // Each step lies in the pause around its true time: deg is silent between the two.
    let peak = 0;
    for (const v of deg) peak = Math.max(peak, Math.abs(v));
    [3, 6].forEach((tTrue, k) => {
      const a = Math.round(Math.min(tTrue, track[k + 1].t) * FS);
      const b = Math.round(Math.max(tTrue, track[k + 1].t) * FS);
      let loud = 0;
      for (let i = a; i <= b; i++) loud = Math.max(loud, Math.abs(deg[i]));
      expect(loud).toBeLessThan(1e-3 * peak);
    });
    expect(r.values.stoi as number).toBeGreaterThanOrEqual(0.98);
    expect(r.notes.join('\n')).toMatch(/cisdr: .*across the delay steps/);
  });
});

describe('offline alignment: inputs too short or silent', () => {
  it('gives delayMs null with a reason, never an exception or NaN', () => {
    const x = Float64Array.from({ length: 32000 }, (_, i) => Math.sin(i * 0.05) * Math.sin(i * 0.0007));
    for (const [ref, deg, why] of [
      [x.subarray(0, 1), x.subarray(0, 1), /too short/],
      [x.subarray(0, 100), x.subarray(0, 50), /too short/],
      [x, new Float64Array(32000), /deg is silent/],
      [new Float64Array(32000), x, /ref is silent/],
    ] as const) {
      const r = analyze({ sampleRate: FS, refs: [ref], degs: [deg] }, { metrics: 'sisdr' });
      expect(r.delayMs).toBeNull();
      expect(r.reasons.delay).toMatch(why);
      expect(r.values.sisdr === null || Number.isFinite(r.values.sisdr)).toBe(true);
    }
  });
});

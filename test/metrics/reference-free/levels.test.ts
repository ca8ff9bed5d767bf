import { describe, expect, it } from 'vitest';
import { isEarshotError } from '../../../src/errors.js';
import { type LevelFrame, LevelAccumulator } from '../../../src/metrics/reference-free/levels.js';
import { VAD_DELAY, VAD_HANGOVER_SEC, VAD_LOOKAHEAD_SEC, VAD_SMOOTH_FRAMES } from '../../../src/metrics/reference-free/vad.js';
import { caseAudio, corpusAvailable, goldenCase } from '../../helpers/corpus.js';
import { RF_CHUNKINGS, addWhiteNoise, db, feedDeg, gaussian, speechLike } from './helpers.js';

const levels = (fs: number, withNoisy: boolean) => new LevelAccumulator({ sampleRate: fs, withNoisy });

describe('noise floor (deg alone)', () => {
  // Speech-like bursts (active level −26 dBFS) plus white Gaussian noise at a known level throughout.
  // Measured error ≤ 0.07 dB over these rates, seeds and levels. Tolerance 0.3 dB: the sampling error
  // of a mean power over ≥ 1.5 s of pauses is ~0.05 dB, and the rest allows a little speech
  // leaking into pause frames at the lowest SNR (9 dB).
  for (const fs of [8000, 16000, 48000]) {
    for (const noiseDb of [-60, -50, -35]) {
      it(`finds white noise at ${noiseDb} dBFS under speech at ${fs} Hz`, () => {
        for (const seed of [1, 2]) {
          const sp = speechLike(fs, 12, seed);
          const { mix } = addWhiteNoise(sp.signal, noiseDb, seed * 7 + 1);
          const r = feedDeg(levels(fs, false), mix);
          expect(Math.abs(r.noiseFloorDb.value! - noiseDb)).toBeLessThan(0.3);
        }
      });
    }
  }

  it('finds noise present only in the pauses', () => {
    const fs = 16000;
    const sp = speechLike(fs, 12, 4);
    const noise = gaussian(sp.signal.length, 5).map((v) => v * 10 ** (-55 / 20));
    for (const [a, b] of sp.syllables) noise.fill(0, a, b);
    const r = feedDeg(levels(fs, false), sp.signal.map((v, i) => v + noise[i]));
    // Pause frames next to a syllable hold part noise, part nothing: the hangover keeps them out. 0.3 dB as above.
    expect(Math.abs(r.noiseFloorDb.value! + 55)).toBeLessThan(0.3);
  });

  it('reads digital silence in the pauses as the −120 dBFS floor', () => {
    const sp = speechLike(16000, 8, 3);
    expect(feedDeg(levels(16000, false), sp.signal).noiseFloorDb.value).toBe(-120);
  });
});

describe('speech activity', () => {
  it('covers the syllables extended by the look-ahead and the hangover', () => {
    const fs = 16000;
    const sp = speechLike(fs, 20, 8);
    const { mix } = addWhiteNoise(sp.signal, -50, 3);
    const hop = fs / 100;
    const frames = Math.floor((mix.length - 2 * hop) / hop) + 1;
    // Expected: frames overlapping [start − look-ahead, end + hangover] of some syllable.
    const before = (VAD_LOOKAHEAD_SEC + (VAD_SMOOTH_FRAMES - 1) / 100) * fs;
    const after = VAD_HANGOVER_SEC * fs;
    let expected = 0;
    for (let k = 0; k < frames; k++) {
      const a = k * hop;
      const b = a + 2 * hop;
      if (sp.syllables.some(([s, e]) => b > s - before && a < e + after)) expected++;
    }
    const r = feedDeg(levels(fs, false), mix);
    // Measured 0.15 % apart. At 24 dB SNR every syllable triggers; its edges may move by a frame
    // (a 15 ms fade-in/out must rise 8 dB over the noise first): 1 % of the frames allows for it.
    expect(Math.abs(r.speechActivity.value! - expected / frames)).toBeLessThan(0.01);
  });

  it('is 0 for stationary noise and 1 when pauses never last', () => {
    const fs = 16000;
    const noise = gaussian(fs * 5, 1).map((v) => v * 0.01);
    const r = feedDeg(levels(fs, false), noise);
    expect(r.speechActivity.value).toBe(0);
    expect(Math.abs(r.noiseFloorDb.value! + 40)).toBeLessThan(0.05); // 5 s of noise: sampling error ~0.02 dB
    // 50 ms bursts every 150 ms: the hangover bridges every gap.
    const bursty = noise.map((v, i) => (i % 2400 < 800 ? v * 30 : v));
    const b = feedDeg(levels(fs, false), bursty);
    expect(b.speechActivity.value).toBeGreaterThan(0.9);
  });
});

describe('noise attenuation and speech level change (with the noisy input)', () => {
  // noisy = speech + noise; deg = g_s·speech + g_n·noise. Pause frames hold only noise, so the
  // attenuation is −20·log10(g_n) up to the speech that leaks into pause frames; the level change
  // is 20·log10(g_s) up to the speech×noise cross terms left in the power subtraction.
  for (const [atten, change] of [
    [10, 0],
    [20, -3],
    [6, 2],
  ]) {
    it(`recovers ${atten} dB of attenuation and a ${change} dB speech level change`, () => {
      const fs = 16000;
      const sp = speechLike(fs, 12, 21);
      const { noise } = addWhiteNoise(sp.signal, -40, 22);
      const noisy = sp.signal.map((v, i) => v + noise[i]);
      const gs = 10 ** (change / 20);
      const gn = 10 ** (-atten / 20);
      const deg = sp.signal.map((v, i) => gs * v + gn * noise[i]);
      const r = feedDeg(levels(fs, true), deg, noisy);
      // Measured: attenuation exact to 1e-14 dB (pauses are pure noise), change within 0.014 dB.
      // Tolerances: 0.01 dB (pure noise in the pauses) and 0.2 dB (the cross terms average over ~6 s of speech).
      expect(Math.abs(r.noiseAttenuationDb.value! - atten)).toBeLessThan(0.01);
      expect(Math.abs(r.speechLevelChangeDb.value! - change)).toBeLessThan(0.2);
    });
  }

  describe.runIf(corpusAvailable)('on the corpus denoiser cases (sox noisered)', () => {
    for (const name of ['p24_specsub_white5db', 'p25_specsub_pink0db_fr', 'p26_specsub_babble5db_cmn', 'p33_8k_specsub_pink5db', 'p41_long60s_specsub_white10db']) {
      it(`${name}: positive noise attenuation`, () => {
        const c = goldenCase(name);
        const r = feedDeg(levels(c.fs, true), caseAudio(c, 'deg'), caseAudio(c, 'noisy'));
        // The denoiser removes noise: it must show. (Measured 7.4–19.8 dB; speech level change −5.7..−1.7 dB.)
        expect(r.noiseAttenuationDb.value).toBeGreaterThan(0);
        expect(r.speechLevelChangeDb.value).not.toBeNull();
      });
    }
  });
});

describe('LevelAccumulator', () => {
  const fs = 16000;
  const sp = speechLike(fs, 6, 30);
  const { mix: noisy, noise } = addWhiteNoise(sp.signal, -45, 31);
  const deg = sp.signal.map((v, i) => 0.9 * v + 0.1 * noise[i]);

  it.each(RF_CHUNKINGS)('gives identical results for chunking %o', (chunk) => {
    const one = feedDeg(levels(fs, true), deg, noisy);
    expect(feedDeg(levels(fs, true), deg, noisy, chunk)).toEqual(one);
  });

  it('reports each frame once, in order, with the decision compute() uses', () => {
    const got: { index: number; speech: boolean; degPower: number }[] = [];
    const acc = new LevelAccumulator({ sampleRate: fs, withNoisy: true, onFrame: (f: LevelFrame) => got.push({ ...f }) });
    const r = feedDeg(acc, deg, noisy, 500);
    expect(got.map((f) => f.index)).toEqual(got.map((_, i) => i));
    // compute() adds the VAD_DELAY frames still waiting for their look-ahead.
    expect(acc.vad.frames - got.length).toBe(VAD_DELAY);
    const pauses = got.filter((f) => !f.speech);
    const floor = db(pauses.reduce((s, f) => s + f.degPower, 0) / pauses.length);
    // The 7 undecided frames move the mean by far less than 0.1 dB.
    expect(Math.abs(floor - r.noiseFloorDb.value!)).toBeLessThan(0.1);
  });

  it('returns null with a reason where a value is undefined', () => {
    expect(feedDeg(levels(fs, false), deg).noiseAttenuationDb.reason).toMatch(/noisy/);
    expect(feedDeg(levels(fs, false), deg).speechLevelChangeDb.reason).toMatch(/noisy/);
    const short = feedDeg(levels(fs, true), deg.subarray(0, 300), noisy.subarray(0, 300));
    for (const v of Object.values(short)) expect(v.reason).toMatch(/shorter/);
    const silent = feedDeg(levels(fs, true), new Float64Array(16000), noisy.subarray(0, 16000));
    for (const v of Object.values(silent)) expect(v.reason).toMatch(/silence/);
    for (const rate of [7999, 48001, 0]) {
      for (const v of Object.values(feedDeg(levels(rate, false), deg))) expect(v.reason).toMatch(/sample rate/);
    }
    // A silent noisy input: nothing to attenuate, no speech to compare.
    const r = feedDeg(levels(fs, true), deg, new Float64Array(deg.length));
    expect(r.noiseAttenuationDb.reason).toMatch(/nothing to attenuate/);
    expect(r.speechLevelChangeDb.value).toBeNull();
  });

  it('throws on a missing or mismatched noisy block', () => {
    const acc = levels(fs, true);
    expect(() => acc.update({ deg })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    try {
      acc.update({ deg, noisy: noisy.subarray(1) });
      expect.unreachable();
    } catch (e) {
      expect(isEarshotError(e) && e.code).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('reset() forgets everything', () => {
    const acc = levels(fs, true);
    feedDeg(acc, deg.map((v) => v * 3), noisy);
    acc.reset();
    expect(feedDeg(acc, deg, noisy)).toEqual(feedDeg(levels(fs, true), deg, noisy));
  });
});

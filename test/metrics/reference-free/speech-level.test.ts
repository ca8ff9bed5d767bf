import { describe, expect, it } from 'vitest';
import {
  P56_HANGOVER_SEC,
  P56_LADDER_MAX_DB,
  P56_LADDER_MIN_DB,
  P56_LADDER_STEP_DB,
  P56_MARGIN_DB,
  P56_TIME_CONSTANT_SEC,
  SpeechLevelAccumulator,
} from '../../../src/metrics/reference-free/speech-level.js';
import { RF_CHUNKINGS, addWhiteNoise, db, feedDeg, gaussian, speechLike } from './helpers.js';

/**
 * ITU-T P.56 method B, sample by sample as the recommendation describes it (envelope, per-threshold
 * activity with hangover counters, margin crossing interpolated), on the same threshold ladder.
 * Slow and simple: the reference the hop-granular streaming version is checked against.
 */
function p56PerSample(x: Float64Array, fs: number): number | null {
  const g = Math.exp(-1 / (P56_TIME_CONSTANT_SEC * fs));
  const hang = Math.round(P56_HANGOVER_SEC * fs);
  const J = Math.round((P56_LADDER_MAX_DB - P56_LADDER_MIN_DB) / P56_LADDER_STEP_DB) + 1;
  const cDb = Array.from({ length: J }, (_, j) => P56_LADDER_MIN_DB + j * P56_LADDER_STEP_DB);
  const c = cDb.map((v) => 10 ** (v / 20));
  const a = new Float64Array(J);
  const h = new Float64Array(J).fill(hang);
  let p = 0;
  let q = 0;
  let sq = 0;
  for (const v of x) {
    sq += v * v;
    p = g * p + (1 - g) * Math.abs(v);
    q = g * q + (1 - g) * p;
    for (let j = 0; j < J; j++) {
      if (q >= c[j]) {
        a[j]++;
        h[j] = 0;
      } else if (h[j] < hang) {
        a[j]++;
        h[j]++;
      }
    }
  }
  let prev: [number, number] | null = null;
  for (let j = 0; j < J && a[j] > 0; j++) {
    const A = 10 * Math.log10(sq / a[j]);
    const d = A - cDb[j];
    if (d <= P56_MARGIN_DB) {
      if (!prev) return null;
      return prev[0] + ((prev[1] - P56_MARGIN_DB) / (prev[1] - d)) * (A - prev[0]);
    }
    prev = [A, d];
  }
  return null;
}

const level = (fs: number, x: Float64Array) => feedDeg(new SpeechLevelAccumulator({ sampleRate: fs }), x);

describe('P.56 active speech level', () => {
  for (const fs of [8000, 16000, 48000]) {
    it(`agrees with the per-sample method on speech-like bursts at ${fs} Hz`, () => {
      for (const [seed, noiseDb] of [
        [1, -70],
        [2, -45],
      ]) {
        const sp = speechLike(fs, 8, seed);
        const { mix } = addWhiteNoise(sp.signal, noiseDb, seed + 9);
        const ref = p56PerSample(mix, fs)!;
        // Activity is decided per 10 ms hop instead of per sample: each activity boundary moves by
        // < 1 hop, a few per phrase, < 1 % of the active time (0.04 dB). Measured 0.024–0.039 dB.
        expect(Math.abs(level(fs, mix).value! - ref)).toBeLessThan(0.05);
      }
    });
  }

  it('reads continuous noise at its RMS level and a full-scale sine at −3.01 dBFS', () => {
    const noise = gaussian(16000 * 3, 4).map((v) => v * 10 ** (-30 / 20));
    let ms = 0;
    for (const v of noise) ms += v * v;
    // All but the envelope's first rise (~30 ms of 3 s) is active: the level is the mean square
    // plus ≤ 10·log10(3/2.97) = 0.044 dB (measured 0.029); the per-sample method agrees to within the
    // one hop (10 ms of 3 s, 0.014 dB) by which hop granularity can move the activity onset.
    const got = level(16000, noise).value!;
    expect(got - db(ms / noise.length)).toBeGreaterThanOrEqual(0);
    expect(got - db(ms / noise.length)).toBeLessThan(0.05);
    expect(Math.abs(got - p56PerSample(noise, 16000)!)).toBeLessThan(0.015);
    const sine = Float64Array.from({ length: 16000 * 2 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 16000));
    // Same envelope rise: between −3.0103 and −3.0103 + 10·log10(2/1.97) = −2.944.
    const sineLevel = level(16000, sine).value!;
    expect(sineLevel).toBeGreaterThanOrEqual(-3.0103);
    expect(sineLevel).toBeLessThan(-2.944);
    expect(Math.abs(sineLevel - p56PerSample(sine, 16000)!)).toBeLessThan(0.015);
  });

  it('follows a gain change dB for dB', () => {
    const sp = speechLike(16000, 8, 5);
    const base = level(16000, sp.signal).value!;
    for (const gainDb of [-20, -6.5, 3.3, 6]) {
      const g = 10 ** (gainDb / 20);
      // Whole-dB gains shift the 1 dB ladder by whole steps (exact); others move the crossing between
      // steps, where the linear interpolation is approximate: ±0.05 dB (measured ≤ 0.01 dB).
      expect(Math.abs(level(16000, sp.signal.map((v) => v * g)).value! - base - gainDb)).toBeLessThan(0.05);
    }
  });

  it.each(RF_CHUNKINGS)('is identical for chunking %o', (chunk) => {
    const sp = speechLike(16000, 5, 6);
    expect(feedDeg(new SpeechLevelAccumulator({ sampleRate: 16000 }), sp.signal, undefined, chunk)).toEqual(level(16000, sp.signal));
  });

  it('returns null with a reason for silence, short or very quiet signals and bad rates', () => {
    expect(level(16000, new Float64Array(8000)).reason).toMatch(/silence/);
    expect(level(16000, new Float64Array(100).fill(0.1)).reason).toMatch(/shorter/);
    expect(level(16000, gaussian(16000, 1).map((v) => v * 1e-6)).reason).toMatch(/floor/);
    expect(level(96000, gaussian(16000, 1)).reason).toMatch(/sample rate/);
    const click = new Float64Array(16000);
    click[8000] = 1;
    expect(level(16000, click).reason).toMatch(/impulsive/);
  });
});

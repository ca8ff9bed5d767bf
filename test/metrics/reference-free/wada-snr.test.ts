import { describe, expect, it } from 'vitest';
import {
  WADA_ALPHA,
  WADA_MAX_DB,
  WADA_MIN_DB,
  WADA_STEP_DB,
  WadaSnrAccumulator,
  erf,
  expectedLogAbsNormal,
  foldedNormalMean,
  wadaModelG,
  wadaSnrFromG,
  wadaStatistic,
  wadaTable,
} from '../../../src/metrics/reference-free/wada-snr.js';
import { caseAudio, corpusAvailable, goldenCases, seededRandom } from '../../helpers/corpus.js';
import { RF_CHUNKINGS, addWhiteNoise, db, feedDeg, gaussian, meanSquare, speechLike } from './helpers.js';

const EULER_GAMMA = 0.5772156649015329;

/** Digamma by recurrence to x ≥ 10 and the asymptotic series (error < 1e-12 there). */
function digamma(x: number): number {
  let acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  const i2 = 1 / (x * x);
  return acc + Math.log(x) - 0.5 / x - i2 * (1 / 12 - i2 * (1 / 120 - i2 / 252));
}

/** Gamma(shape < 1) variates: Marsaglia–Tsang for shape + 1, times U^(1/shape). */
function gammaVariates(n: number, shape: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  const z = gaussian(4 * n, seed + 1);
  const d = shape + 1 - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  const out = new Float64Array(n);
  let zi = 0;
  for (let i = 0; i < n; i++) {
    let v: number;
    for (;;) {
      const x = z[zi++ % z.length];
      v = (1 + c * x) ** 3;
      if (v <= 0) continue;
      const u = 1 - rnd();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) break;
    }
    out[i] = d * v * (1 - rnd()) ** (1 / shape);
  }
  return out;
}

/** Signal following WADA's model exactly: ±Gamma(α) amplitudes plus Gaussian noise at `snrDb`. */
function modelSignal(n: number, snrDb: number, seed: number): Float64Array {
  const a = gammaVariates(n, WADA_ALPHA, seed);
  const sign = seededRandom(seed + 2);
  const noise = gaussian(n, seed + 3);
  const theta = Math.sqrt(10 ** (snrDb / 10) / (WADA_ALPHA * (WADA_ALPHA + 1)));
  return a.map((v, i) => (sign() < 0.5 ? -1 : 1) * theta * v * 0.01 + 0.01 * noise[i]);
}

describe('WADA kernels', () => {
  it('erf matches its known values', () => {
    // Tabulated values of the error function (A&S table 7.1); 1e-13 is the series/continued-fraction accuracy.
    const known: [number, number][] = [
      [0, 0],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [-1, -0.8427007929497149],
    ];
    for (const [x, v] of known) expect(Math.abs(erf(x) - v)).toBeLessThan(1e-13);
  });

  it('E|a+Z| and E ln|a+Z| have their closed forms at a = 0 and agree with quadrature elsewhere', () => {
    expect(foldedNormalMean(0)).toBeCloseTo(Math.sqrt(2 / Math.PI), 14);
    expect(expectedLogAbsNormal(0)).toBeCloseTo(-(EULER_GAMMA + Math.LN2) / 2, 13);
    for (const a of [0.3, 1.5, 4, 7.5, 12]) {
      // Midpoint rule on z ∈ a ± 14 with 2·10⁶ cells; the log singularity at z = −a is integrable and
      // costs ~1e-6, hence the 1e-5 tolerance.
      const cells = 2_000_000;
      const lo = -14;
      const h = 28 / cells;
      let e1 = 0;
      let e2 = 0;
      for (let k = 0; k < cells; k++) {
        const z = lo + (k + 0.5) * h;
        const w = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
        e1 += w * Math.abs(a + z) * h;
        e2 += w * Math.log(Math.abs(a + z)) * h;
      }
      expect(Math.abs(foldedNormalMean(a) - e1)).toBeLessThan(1e-5);
      expect(Math.abs(expectedLogAbsNormal(a) - e2)).toBeLessThan(1e-5);
    }
  });

  it('the series and the asymptotic form of E ln|a+Z| meet at a = 8', () => {
    // Both sides are accurate to ~1e-7 there (truncation of the asymptotic series).
    expect(Math.abs(expectedLogAbsNormal(8 - 1e-9) - expectedLogAbsNormal(8))).toBeLessThan(2e-7);
  });

  it('the model G(SNR) rises monotonically between its two closed-form limits', () => {
    const t = wadaTable();
    for (let k = 1; k < t.length; k++) expect(t[k]).toBeGreaterThan(t[k - 1]);
    const gaussianLimit = Math.log(Math.sqrt(2 / Math.PI)) + (EULER_GAMMA + Math.LN2) / 2;
    const gammaLimit = Math.log(WADA_ALPHA) - digamma(WADA_ALPHA);
    // −20 dB is within 1e-4 of pure noise (speech adds 1 % of the power); the quadrature is exact to ~1e-9.
    expect(t[0] - gaussianLimit).toBeGreaterThan(0);
    expect(t[0] - gaussianLimit).toBeLessThan(1e-4);
    expect(Math.abs(wadaModelG(-80) - gaussianLimit)).toBeLessThan(1e-9);
    expect(t[t.length - 1]).toBeLessThan(gammaLimit);
    // Noise only matters for speech amplitudes below its scale, a share ~θ^(−α) of the Gamma mass
    // (θ = 10^12.5 at 250 dB → 1e-5): G sits within a few times that below the Gamma limit.
    const g250 = wadaModelG(250);
    expect(gammaLimit - g250).toBeGreaterThan(0);
    expect(gammaLimit - g250).toBeLessThan(5e-5);
  });

  it.each([0, 10, 20])('the model G at %d dB agrees with a Monte Carlo draw of the model', (snr) => {
    const x = modelSignal(400_000, snr, 17 + snr);
    const g = wadaStatistic(x)!;
    // Standard error of G from 4e5 draws is ≈ sd(ln|x|)/√N ≤ 2.7/632 ≈ 0.0043; 0.02 is ~5 standard errors.
    expect(Math.abs(g - wadaModelG(snr))).toBeLessThan(0.02);
    // And the estimator on the model's own signal: 0.02 in G is at most 1.3 dB at 0 dB (slope 0.016/dB).
    expect(Math.abs(wadaSnrFromG(g).value! - snr)).toBeLessThan(1.3);
  });
});

describe('WADA-SNR on speech plus white noise (an estimator: measured error)', () => {
  // Measured on the synthetic speech-like bursts (3 seeds × 8/16/48 kHz): error −0.8..+0.2 dB at 0 dB,
  // +0.6..+1.6 dB at 10 dB, +6.3..+9.3 dB at 20 dB. WADA over-estimates high SNRs when the clean
  // signal has digitally silent pauses, which its Gamma(0.4) model of speech (fitted on recordings
  // whose pauses hold background noise) does not expect. Tolerances: the measured extremes rounded up.
  const bounds: Record<number, [number, number]> = { 0: [-1.5, 1.5], 10: [-1.5, 2.5], 20: [0, 10] };
  for (const fs of [8000, 16000, 48000]) {
    for (const seed of [1, 2, 3]) {
      it(`speech-like bursts at ${fs} Hz, seed ${seed}`, () => {
        const sp = speechLike(fs, 12, seed);
        const p = meanSquare(sp.signal);
        let prev = -Infinity;
        for (const snr of [0, 10, 20]) {
          const { mix } = addWhiteNoise(sp.signal, db(p) - snr, seed * 100 + snr);
          const est = feedDeg(new WadaSnrAccumulator({ sampleRate: fs }), mix).value!;
          expect(est - snr).toBeGreaterThanOrEqual(bounds[snr][0]);
          expect(est - snr).toBeLessThanOrEqual(bounds[snr][1]);
          expect(est).toBeGreaterThan(prev);
          prev = est;
        }
      });
    }
  }

  it.runIf(corpusAvailable)('the corpus voices (espeak) plus Gaussian white noise', () => {
    // Measured over the 37 clean refs ≥ 1 s: error −1.0..+1.5 dB at 0 dB, −0.8..+2.5 dB at 10 dB,
    // −0.5..+9.4 dB at 20 dB (the refs' pauses are digital silence, as above; the hard-clipped ref is
    // the least sparse and reads lowest). Tolerances: the measured extremes rounded out.
    const corpusBounds: Record<number, [number, number]> = { 0: [-2, 2], 10: [-3, 3], 20: [-1, 10] };
    for (const c of goldenCases()) {
      if (!c.files.ref || c.num_samples < c.fs) continue;
      const ref = caseAudio(c, 'ref');
      const p = meanSquare(ref);
      for (const snr of [0, 10, 20]) {
        const { mix } = addWhiteNoise(ref, db(p) - snr, 1000 + snr);
        const err = feedDeg(new WadaSnrAccumulator({ sampleRate: c.fs }), mix).value! - snr;
        expect(err, `${c.name} at ${snr} dB`).toBeGreaterThanOrEqual(corpusBounds[snr][0]);
        expect(err, `${c.name} at ${snr} dB`).toBeLessThanOrEqual(corpusBounds[snr][1]);
      }
    }
  });
});

describe('WadaSnrAccumulator', () => {
  const sp = speechLike(16000, 6, 5);
  const { mix } = addWhiteNoise(sp.signal, -40, 9);

  it.each(RF_CHUNKINGS)('gives the identical value for chunking %o', (chunk) => {
    const one = feedDeg(new WadaSnrAccumulator({ sampleRate: 16000 }), mix);
    expect(feedDeg(new WadaSnrAccumulator({ sampleRate: 16000 }), mix, undefined, chunk)).toEqual(one);
  });

  it('computes G from running products as the one-pass log sum does', () => {
    const acc = new WadaSnrAccumulator({ sampleRate: 16000 });
    feedDeg(acc, mix);
    // Products of 16 samples round differently from 16 logs: ~1e-15 relative per group.
    expect(Math.abs(acc.statistic()! - wadaStatistic(mix)!)).toBeLessThan(1e-11);
  });

  it('per-hop sums add up to the whole', () => {
    let count = 0;
    let abs = 0;
    let log = 0;
    const acc = new WadaSnrAccumulator({
      sampleRate: 16000,
      onHop: (h) => {
        count += h.count;
        abs += h.absSum;
        log += h.logSum;
      },
    });
    const x = mix.subarray(0, 160 * 300);
    feedDeg(acc, x, undefined, 333);
    // 300 whole hops: the hop sums cover every sample; summation order differs only.
    expect(count).toBe(x.length);
    expect(Math.abs(Math.log(abs / count) - log / count - wadaStatistic(x)!)).toBeLessThan(1e-11);
  });

  it('returns null with a reason for silence, short signals, bad rates and out-of-range statistics', () => {
    expect(feedDeg(new WadaSnrAccumulator({ sampleRate: 16000 }), new Float64Array(16000)).reason).toMatch(/silence/);
    expect(feedDeg(new WadaSnrAccumulator({ sampleRate: 16000 }), mix.subarray(0, 100)).reason).toMatch(/shorter/);
    expect(feedDeg(new WadaSnrAccumulator({ sampleRate: 16000 }), mix.subarray(0, 2000)).reason).toMatch(/at least/);
    for (const fs of [4000, 96000, NaN]) {
      const r = feedDeg(new WadaSnrAccumulator({ sampleRate: fs }), mix);
      expect(r.value).toBeNull();
      expect(r.reason).toMatch(/sample rate/);
    }
    expect(wadaSnrFromG(0.3).reason).toMatch(`below ${WADA_MIN_DB}`);
    expect(wadaSnrFromG(1.64).reason).toMatch(`above ${WADA_MAX_DB}`);
    const bad = mix.slice(0, 16000);
    bad[5] = NaN;
    expect(feedDeg(new WadaSnrAccumulator({ sampleRate: 16000 }), bad)).toEqual({ value: null, reason: 'non-finite input samples' });
  });

  it('ignores exact zeros (digital silence carries no amplitude)', () => {
    const padded = new Float64Array(mix.length + 16000);
    padded.set(mix, 8000);
    const a = feedDeg(new WadaSnrAccumulator({ sampleRate: 16000 }), mix).value!;
    const b = feedDeg(new WadaSnrAccumulator({ sampleRate: 16000 }), padded).value!;
    // Same non-zero samples, grouped differently into products: equal to ~1e-12 dB.
    expect(Math.abs(a - b)).toBeLessThan(1e-9);
  });
});

describe('the committed WADA table', () => {
  it('is what the model computes (regenerate with npx tsx tools/make-wada-table.ts)', () => {
    const t = wadaTable();
    expect(t.length).toBe(Math.round((WADA_MAX_DB - WADA_MIN_DB) / WADA_STEP_DB) + 1);
    for (let k = 0; k < t.length; k++) expect(t[k], `k = ${k}`).toBe(wadaModelG(WADA_MIN_DB + k * WADA_STEP_DB));
  });
});

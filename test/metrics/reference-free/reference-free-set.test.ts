import { describe, expect, it } from 'vitest';
import { REFERENCE_FREE_VALUE_KEYS } from '../../../src/analysis/metric-info.js';
import { ClippingAccumulator } from '../../../src/metrics/reference-free/clipping.js';
import { DcOffsetAccumulator } from '../../../src/metrics/reference-free/dc-offset.js';
import { DropoutAccumulator } from '../../../src/metrics/reference-free/dropouts.js';
import { LevelAccumulator } from '../../../src/metrics/reference-free/levels.js';
import { type ReferenceFreeFrame, ReferenceFreeSet } from '../../../src/metrics/reference-free/reference-free-set.js';
import { SpeechLevelAccumulator } from '../../../src/metrics/reference-free/speech-level.js';
import { NOISY_KEYS, type ReferenceFreeMetrics } from '../../../src/metrics/reference-free/types.js';
import { VAD_DELAY } from '../../../src/metrics/reference-free/vad.js';
import { WadaSnrAccumulator, wadaSnrFromG } from '../../../src/metrics/reference-free/wada-snr.js';
import type { MetricValue } from '../../../src/metrics/types.js';
import { caseAudio, corpusAvailable, goldenCase, goldenCases } from '../../helpers/corpus.js';
import { RF_CHUNKINGS, addWhiteNoise, db, feedDeg, speechLike } from './helpers.js';

const KEYS: readonly (keyof ReferenceFreeMetrics)[] = REFERENCE_FREE_VALUE_KEYS;

function scenario(fs = 16000) {
  const sp = speechLike(fs, 8, 70);
  const { mix: noisy, noise } = addWhiteNoise(sp.signal, -40, 71);
  const deg = sp.signal.map((v, i) => Math.max(-0.2, Math.min(0.2, 1.2 * v + 0.2 * noise[i])) + 0.001);
  const [a, b] = sp.syllables.filter(([s, e]) => e - s > 0.2 * fs).map(([s, e]) => Math.round((s + e) / 2));
  deg.fill(0, a, a + 320);
  deg.copyWithin(b, b - 320, b);
  return { deg, noisy };
}

/** Every MetricValue is a finite number or null with a reason; never NaN. */
function expectWellFormed(m: ReferenceFreeMetrics) {
  for (const k of KEYS) {
    const v = m[k] as MetricValue;
    if (v.value === null) expect(typeof v.reason).toBe('string');
    else expect(Number.isFinite(v.value)).toBe(true);
  }
  expect(JSON.stringify(m)).not.toMatch(/NaN|Infinity/);
}

describe('ReferenceFreeSet', () => {
  const fs = 16000;
  const { deg, noisy } = scenario(fs);

  it('gives what each family gives on its own', () => {
    const m = feedDeg(new ReferenceFreeSet({ sampleRate: fs, withNoisy: true }), deg, noisy);
    const levels = feedDeg(new LevelAccumulator({ sampleRate: fs, withNoisy: true }), deg, noisy);
    const drops = feedDeg(new DropoutAccumulator({ sampleRate: fs, withNoisy: true }), deg, noisy);
    expect(m).toEqual({
      ...levels,
      speechLevelDb: feedDeg(new SpeechLevelAccumulator({ sampleRate: fs }), deg),
      clippingRatio: feedDeg(new ClippingAccumulator({ sampleRate: fs }), deg),
      dcOffset: feedDeg(new DcOffsetAccumulator({ sampleRate: fs }), deg),
      ...drops,
      wadaSnrDb: feedDeg(new WadaSnrAccumulator({ sampleRate: fs }), deg),
    });
    expect(m.dropouts.value).toBe(1);
    expect(m.repeatedFrames.value).toBe(1);
    expect(m.clippingRatio.value).toBeGreaterThan(0);
    let sum = 0;
    for (const v of deg) sum += v;
    expect(m.dcOffset.value).toBeCloseTo(sum / deg.length, 14); // per-hop partial sums: ~1e-16 relative
    expectWellFormed(m);
  });

  it.each(RF_CHUNKINGS)('is identical for chunking %o, including zero-length blocks', (chunk) => {
    const one = feedDeg(new ReferenceFreeSet({ sampleRate: fs, withNoisy: true }), deg, noisy);
    const set = new ReferenceFreeSet({ sampleRate: fs, withNoisy: true });
    set.update({ deg: new Float64Array(0), noisy: new Float64Array(0) });
    expect(feedDeg(set, deg, noisy, chunk)).toEqual(one);
  });

  it('offers per-frame records whose sums give windowed values', () => {
    const frames: ReferenceFreeFrame[] = [];
    const set = new ReferenceFreeSet({ sampleRate: fs, withNoisy: true, onFrame: (f) => frames.push({ ...f }) });
    const m = feedDeg(set, deg, noisy, 1000);
    const hop = fs / 100;
    const total = Math.floor((deg.length - 2 * hop) / hop) + 1;
    expect(frames.length).toBe(total - VAD_DELAY);
    expect(frames.map((f) => f.index)).toEqual(frames.map((_, i) => i));
    const covered = frames.length * hop; // each record carries its first hop
    expect(frames.reduce((s, f) => s + f.samples, 0)).toBe(covered);
    let dc = 0;
    for (let i = 0; i < covered; i++) dc += deg[i];
    // Same samples summed per hop: equal to ~1e-15 relative.
    expect(Math.abs(frames.reduce((s, f) => s + f.dcSum, 0) - dc)).toBeLessThan(1e-12 * Math.abs(dc));
    const pauses = frames.filter((f) => !f.speech);
    const nDeg = pauses.reduce((s, f) => s + f.degPower, 0) / pauses.length;
    const nNoisy = pauses.reduce((s, f) => s + f.noisyPower!, 0) / pauses.length;
    // The last VAD_DELAY frames (70 ms of 8 s) are in compute() but not yet in the records: ≤ 0.1 dB.
    expect(Math.abs(db(nDeg) - m.noiseFloorDb.value!)).toBeLessThan(0.1);
    expect(Math.abs(db(nNoisy / nDeg) - m.noiseAttenuationDb.value!)).toBeLessThan(0.1);
    const count = frames.reduce((s, f) => s + f.wadaCount, 0);
    const g = Math.log(frames.reduce((s, f) => s + f.wadaAbsSum, 0) / count) - frames.reduce((s, f) => s + f.wadaLogSum, 0) / count;
    // WADA from the records equals WADA of the samples they cover (summation order differs only).
    const direct = new WadaSnrAccumulator({ sampleRate: fs });
    feedDeg(direct, deg.subarray(0, covered));
    expect(Math.abs(g - direct.statistic()!)).toBeLessThan(1e-12);
    expect(wadaSnrFromG(g).value).not.toBeNull();
  });

  it('reports the noisy-only keys as null without the noisy input', () => {
    const m = feedDeg(new ReferenceFreeSet({ sampleRate: fs, withNoisy: false }), deg);
    for (const k of NOISY_KEYS) expect((m[k] as MetricValue).reason).toMatch(/noisy/);
    expect(m.noiseFloorDb.value).not.toBeNull();
    expectWellFormed(m);
  });

  it('gives null with a reason for every key on silence, short input, unsupported rates, and non-finite samples', () => {
    const cases: [ReferenceFreeSet, Float64Array, RegExp][] = [
      [new ReferenceFreeSet({ sampleRate: fs, withNoisy: false }), new Float64Array(fs), /silence/],
      [new ReferenceFreeSet({ sampleRate: fs, withNoisy: false }), deg.subarray(0, 319), /shorter/],
      [new ReferenceFreeSet({ sampleRate: fs, withNoisy: false }), new Float64Array(0), /shorter/],
      [new ReferenceFreeSet({ sampleRate: 96000, withNoisy: false }), deg, /sample rate/],
      [new ReferenceFreeSet({ sampleRate: 4000, withNoisy: false }), deg, /sample rate/],
    ];
    for (const [set, x, reason] of cases) {
      const m = feedDeg(set, x);
      for (const k of KEYS) {
        expect((m[k] as MetricValue).value, k).toBeNull();
        expect((m[k] as MetricValue).reason, k).toMatch(reason);
      }
      expect(m.dropoutTimes).toEqual([]);
    }
    const bad = deg.slice();
    bad[1000] = NaN;
    expectWellFormed(feedDeg(new ReferenceFreeSet({ sampleRate: fs, withNoisy: false }), bad));
  });

  it('accepts the edge rates 8 and 48 kHz', () => {
    for (const rate of [8000, 48000]) {
      const s = scenario(rate);
      const m = feedDeg(new ReferenceFreeSet({ sampleRate: rate, withNoisy: true }), s.deg, s.noisy);
      expectWellFormed(m);
      expect(m.noiseAttenuationDb.value).not.toBeNull();
    }
  });

  it('reset() starts afresh', () => {
    const set = new ReferenceFreeSet({ sampleRate: fs, withNoisy: true });
    feedDeg(set, noisy, deg);
    set.reset();
    expect(feedDeg(set, deg, noisy)).toEqual(feedDeg(new ReferenceFreeSet({ sampleRate: fs, withNoisy: true }), deg, noisy));
  });
});

describe.runIf(corpusAvailable)('ReferenceFreeSet on the corpus', () => {
  it('gives well-formed values for every degraded file', () => {
    for (const c of goldenCases()) {
      if (!c.files.deg) continue;
      const noisy = c.files.noisy ? caseAudio(c, 'noisy') : undefined;
      expectWellFormed(feedDeg(new ReferenceFreeSet({ sampleRate: c.fs, withNoisy: !!noisy }), caseAudio(c, 'deg'), noisy));
    }
  });

  for (const name of ['p24_specsub_white5db', 'p25_specsub_pink0db_fr', 'p26_specsub_babble5db_cmn', 'p33_8k_specsub_pink5db', 'p41_long60s_specsub_white10db']) {
    it(`${name}: the denoiser's noise attenuation is positive`, () => {
      const c = goldenCase(name);
      const m = feedDeg(new ReferenceFreeSet({ sampleRate: c.fs, withNoisy: true }), caseAudio(c, 'deg'), caseAudio(c, 'noisy'));
      expect(m.noiseAttenuationDb.value).toBeGreaterThan(0);
    });
  }
});

import { describe, expect, it } from 'vitest';
import { autocorrelate, LevinsonPlan, toeplitzQuadraticForm } from '../../src/dsp/lpc.js';
import { hanningMatlab } from '../../src/dsp/window.js';
import { LlrAccumulator, type LlrValue } from '../../src/metrics/llr.js';
import { SEPM_EPS, sepmGeometry } from '../../src/metrics/sepm-frames.js';
import { caseAudio, corpusAvailable, singleSourceCases, type GoldenCase, type GoldenMetric } from '../helpers/corpus.js';
import {
  checkEveryLength,
  errorCode,
  EVERY_LENGTH_RATES,
  feed,
  stridedFrameCount,
  syntheticPair,
  trimmedMeanOracle,
  expectChunkInvariant,
  STREAMING_CASES,
} from './sepm-test-utils.js';

interface GoldenLlr extends GoldenMetric {
  frames: number;
  frames_kept_after_trim: number;
  frames_ref_all_zero: number;
  frames_deg_all_zero: number;
}
const golden = (c: GoldenCase) => c.metrics.llr as GoldenLlr | undefined;
const goldenComposite = (c: GoldenCase) =>
  (c.metrics.csig as { components?: { llr_used_for_composite?: number } } | undefined)?.components
    ?.llr_used_for_composite;
const cases = corpusAvailable ? singleSourceCases().filter((c) => typeof golden(c)?.value === 'number') : [];

function run(c: GoldenCase): { llr: LlrValue; llrForComposite: LlrValue } {
  const acc = new LlrAccumulator({ sampleRate: c.fs });
  feed(acc, caseAudio(c, 'ref'), caseAudio(c, 'deg'));
  return acc.computeBoth();
}

describe.skipIf(!corpusAvailable)('LLR against pysepm.llr (golden.json)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const { llr } = run(c);
    const g = golden(c)!;
    // 1e-6: golden tolerance_guidance (numba on/off differ by ≤ 3.7e-9; this port ≤ 1.5e-10), except
    // where deg is all zero (p02): its frames are eps·window, whose order-16 LPC is ill-conditioned, so
    // the value depends on float rounding (numba on/off differ by 6.6e-4); the guidance says ~1e-2.
    const allZeroDeg = g.frames_deg_all_zero === g.frames;
    const tol = allZeroDeg ? 1e-2 : 1e-6;
    expect(llr.value).not.toBeNull();
    expect(Math.abs(llr.value! - (g.value as number))).toBeLessThan(tol);
    expect(llr.frames).toBe(g.frames);
    expect(llr.framesKept).toBe(g.frames_kept_after_trim);
    expect(llr.framesRefAllZero).toBe(g.frames_ref_all_zero);
    expect(llr.framesDegAllZero).toBe(g.frames_deg_all_zero);
  });
});

const compositeCases = cases.filter((c) => typeof goldenComposite(c) === 'number');

describe.skipIf(!corpusAvailable)("LLR for the composite (pysepm.llr(used_for_composite=True), golden csig.components)", () => {
  it.each(compositeCases.filter((c) => c.fs !== 48000).map((c) => [c.name, c] as const))('%s', (_, c) => {
    const { llrForComposite } = run(c);
    // 0.025: golden tolerance_guidance. Without the clamp, frames where ref is digital silence and deg is
    // not score ln(a·R·aᵀ) of an ill-conditioned LPC (≈ 14–25) that depends on float rounding; pysepm
    // itself moves by up to 0.025 between numba on and off among these (8/16 kHz) cases, 0.12 on p02.
    // This port: ≤ 2.2e-3.
    expect(llrForComposite.value).not.toBeNull();
    expect(Math.abs(llrForComposite.value! - goldenComposite(c)!)).toBeLessThan(0.025);
  });

  // At 48 kHz pysepm's unclamped frame values of silent-ref frames are rounding noise (see the next
  // test), so the reference value is not reproducible (numba on/off moves it by up to 0.17; this port
  // differs by 0.28 and 0.48 on p34/p35). No composite exists at 48 kHz (no PESQ), so we only check
  // what is well defined: a finite value, never below the clamped LLR, and equal to it when no frame
  // exceeds the clamp.
  it.each(compositeCases.filter((c) => c.fs === 48000).map((c) => [c.name, c] as const))(
    '%s (48 kHz): finite and consistent with the clamped LLR',
    (_, c) => {
      const { llr, llrForComposite } = run(c);
      expect(Number.isFinite(llrForComposite.value)).toBe(true);
      expect(llrForComposite.value!).toBeGreaterThanOrEqual(llr.value!);
      expect(llrForComposite.framesKept).toBe(llr.framesKept);
    },
  );

  it('a silent reference frame has an LPC residual that is rounding noise at 48 kHz, not at 8/16 kHz', () => {
    // The LLR denominator for a silent ref frame (eps·window) is its residual energy a·R·aᵀ, which
    // Levinson also returns as E_P. The two are equal in exact arithmetic; in float64 they agree to
    // < 1 % at 8 and 16 kHz but differ several-fold at 48 kHz (order 16 on a 1440-sample Hann window):
    // any pysepm value that includes such frames unclamped is only as stable as that noise.
    const spread = (fs: number) => {
      const { frameLength: L, lpcOrder: p } = sepmGeometry(fs);
      const x = hanningMatlab(L).map((w) => w * (0 + SEPM_EPS));
      const r = new Float64Array(p + 1);
      const a = new Float64Array(p + 1);
      autocorrelate(x, 0, L, p, r);
      const e = new LevinsonPlan(p).solve(r, a);
      return Math.abs(Math.log(toeplitzQuadraticForm(r, a, p) / e));
    };
    expect(spread(8000)).toBeLessThan(0.01);
    expect(spread(16000)).toBeLessThan(0.01);
    expect(spread(48000)).toBeGreaterThan(1);
  });
});

describe('LLR variants', () => {
  it('compute() returns the clamped LLR by default and the composite variant when asked', () => {
    const { ref, deg } = syntheticPair(16000, 16000, 21);
    const plain = new LlrAccumulator({ sampleRate: 16000 });
    const composite = new LlrAccumulator({ sampleRate: 16000, usedForComposite: true });
    feed(plain, ref, deg);
    feed(composite, ref, deg);
    const both = plain.computeBoth();
    expect(plain.compute()).toEqual(both.llr);
    expect(composite.compute()).toEqual(both.llrForComposite);
    // The synthetic ref has digital silence, so some frames exceed the clamp at 2.
    expect(both.llrForComposite.value!).toBeGreaterThan(both.llr.value!);
  });

  it('scores frames that are silent in both signals exactly 0, and identical signals 0', () => {
    const n = 480 + 5 * 120;
    const zero = new Float64Array(n);
    const acc = new LlrAccumulator({ sampleRate: 16000 });
    feed(acc, zero, zero);
    const both = acc.computeBoth();
    expect(both.llr.value).toBe(0);
    expect(both.llrForComposite.value).toBe(0);
    expect(both.llr.framesRefAllZero).toBe(5);
    const { ref } = syntheticPair(n, 16000, 4);
    expect(feed(acc, ref, ref).value).toBe(0);
  });
});

describe('LLR streaming', () => {
  const chunkCases = corpusAvailable ? STREAMING_CASES : [];
  it.each(chunkCases)('%s: identical for every block cutting (both variants)', (name) => expectChunkInvariant(name, (fs) => new LlrAccumulator({ sampleRate: fs }), (acc) => acc.computeBoth()));

  it.each(EVERY_LENGTH_RATES)('at %i Hz, every length N trims exactly the first floor((N − L)/S) frames', (fs, ks) => {
    for (const usedForComposite of [false, true]) {
      checkEveryLength({
        fs,
        ks,
        make: () => new LlrAccumulator({ sampleRate: fs, usedForComposite }),
        frameCount: stridedFrameCount,
        loneValue: (r) => (usedForComposite ? r.value! : Math.min(r.value!, 2)),
        aggregate: trimmedMeanOracle,
      });
    }
  });
});

describe('LLR edge cases', () => {
  it('is null with a reason below two frames; rejects unequal blocks and unusable rates', () => {
    const acc = new LlrAccumulator({ sampleRate: 16000 });
    const short = new Float64Array(599);
    const r = feed(acc, short, short);
    expect(r.value).toBeNull();
    expect(r.reason).toMatch(/shorter/);
    expect(errorCode(() => acc.update({ ref: new Float64Array(2), deg: new Float64Array(3) }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(errorCode(() => new LlrAccumulator({ sampleRate: -8000 }))).toBe('ERR_SAMPLE_RATE');
  });
});

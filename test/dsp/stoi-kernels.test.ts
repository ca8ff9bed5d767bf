import { describe, expect, it } from 'vitest';
import { realFftPlan } from '../../src/dsp/fft.js';
import {
  STOI_BANDS,
  STOI_WINDOW,
  StoiEnvelopeStage,
  StoiSegmentKernel,
  isSpeechFrame,
  stoiFrameCount,
} from '../../src/dsp/stoi-kernels.js';
import { thirdOctaveMatrix } from '../../src/dsp/third-octave.js';
import { hanningMatlab } from '../../src/dsp/window.js';
import { seededRandom } from '../helpers/corpus.js';

const B = 15;
const T = 30;

function randomArray(n: number, seed: number, offset = 0): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => rnd() + offset);
}

describe('STOI framing and silence test', () => {
  it("counts frames like pystoi's range(0, len − 256, 128) (end-exclusive)", () => {
    for (let len = 0; len < 1200; len++) {
      let n = 0;
      for (let i = 0; i < len - 256; i += 128) n++;
      expect(stoiFrameCount(len)).toBe(n);
    }
  });

  it('uses the MATLAB hanning(256) window', () => {
    expect(Array.from(STOI_WINDOW)).toEqual(Array.from(hanningMatlab(256)));
  });

  it('keeps a frame only if strictly less than 40 dB below the loudest', () => {
    expect(isSpeechFrame(-40, 0)).toBe(false);
    expect(isSpeechFrame(-39.999999, 0)).toBe(true);
    expect(isSpeechFrame(0, 0)).toBe(true);
  });
});

describe('StoiEnvelopeStage', () => {
  it('equals overlap-add of the kept frames followed by the second STFT, written out', () => {
    const x = randomArray(128 * 40 + 256, 1, -0.5);
    const y = randomArray(128 * 40 + 256, 2, -0.5);
    const kept = [0, 1, 2, 5, 6, 9, 10, 11, 12, 20, 33, 34, 40];
    // pystoi: windowed kept frames, overlap-added at hop 128, then frames range(0, len − 256, 128) of it.
    const K = kept.length;
    const olaLen = (K - 1) * 128 + 256;
    const ola = (s: Float64Array) => {
      const o = new Float64Array(olaLen);
      kept.forEach((f, k) => {
        for (let n = 0; n < 256; n++) o[k * 128 + n] += STOI_WINDOW[n] * s[f * 128 + n];
      });
      return o;
    };
    const xo = ola(x);
    const yo = ola(y);
    const obm = thirdOctaveMatrix(STOI_BANDS);
    const plan = realFftPlan(512);
    const envelope = (o: Float64Array, j: number) => {
      const frame = new Float64Array(512);
      for (let n = 0; n < 256; n++) frame[n] = STOI_WINDOW[n] * o[j * 128 + n];
      const spec = new Float64Array(514);
      plan.forward(frame, spec);
      return Array.from({ length: B }, (_, b) => {
        let e = 0;
        for (let i = 0; i < 257; i++) e += obm[b * 257 + i] * (spec[2 * i] ** 2 + spec[2 * i + 1] ** 2);
        return Math.sqrt(e);
      });
    };
    const stage = new StoiEnvelopeStage();
    let j = 0;
    for (const f of kept) {
      if (stage.push(x, f * 128, y, f * 128)) {
        const ex = envelope(xo, j);
        const ey = envelope(yo, j);
        for (let b = 0; b < B; b++) {
          // 1e-14 relative: the same operations; only the zero-padded tail and the ordering of two-term
          // overlap-add sums could differ (they commute exactly), so this is a loose bound.
          expect(Math.abs(stage.xEnvelope[b] - ex[b])).toBeLessThanOrEqual(1e-14 * ex[b]);
          expect(Math.abs(stage.yEnvelope[b] - ey[b])).toBeLessThanOrEqual(1e-14 * ey[b]);
        }
        j++;
      }
    }
    expect(j).toBe(K - 1); // pystoi's second STFT drops the last kept frame's second half
    expect(stage.stftFrames).toBe(K - 1);
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < olaLen; i++) {
      sx += xo[i] * xo[i];
      sy += yo[i] * yo[i];
    }
    const ola2 = stage.olaSumSq();
    // 1e-12 relative: the same squares summed in another order.
    expect(Math.abs(ola2.x - sx) / sx).toBeLessThan(1e-12);
    expect(Math.abs(ola2.y - sy) / sy).toBeLessThan(1e-12);
    stage.reset();
    expect(stage.keptFrames).toBe(0);
    expect(stage.olaSumSq()).toEqual({ x: 0, y: 0 });
  });
});

describe('StoiSegmentKernel', () => {
  const k = new StoiSegmentKernel();

  it('scores identical envelopes 1 in both variants', () => {
    const x = randomArray(B * T, 3, 0.1);
    // 1e-14: a correlation of a vector with itself, after normalisations that round.
    expect(Math.abs(k.classic(x, x, 0) - 1)).toBeLessThan(1e-14);
    expect(Math.abs(k.extended(x, x, 0) - 1)).toBeLessThan(1e-14);
  });

  it('reads a segment at any offset (frame-major layout)', () => {
    const x = randomArray(B * (T + 7), 4, 0.1);
    const y = randomArray(B * (T + 7), 5, 0.1);
    const off = 7 * B;
    expect(k.classic(x, y, off)).toBe(k.classic(x.slice(off), y.slice(off), 0));
    expect(k.extended(x, y, off)).toBe(k.extended(x.slice(off), y.slice(off), 0));
  });

  it('classic: ignores a global gain of deg (normalisation), scores an all-zero deg exactly 0', () => {
    const x = randomArray(B * T, 6, 0.1);
    const y = x.map((v) => 0.01 * v);
    expect(Math.abs(k.classic(x, y, 0) - 1)).toBeLessThan(1e-14);
    expect(k.classic(x, new Float64Array(B * T), 0)).toBe(0);
  });

  it('classic: clips deg at (1 + 10^(15/20))·x, so a single outlier cannot dominate', () => {
    const x = randomArray(B * T, 7, 0.5);
    const y = x.slice();
    y[5 * B + 3] *= 1e6; // one huge time-frequency unit in band 3
    // With clipping the band-3 correlation stays high; it would collapse to ~0 without.
    const withOutlier = k.classic(x, y, 0);
    expect(withOutlier).toBeGreaterThan(0.9);
    expect(withOutlier).toBeLessThan(1);
  });

  it('extended: invariant to a positive gain and an offset per band (row normalisation)', () => {
    const x = randomArray(B * T, 8, 0.1);
    const y = new Float64Array(B * T);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) y[t * B + b] = (b + 1) * 3 * x[t * B + b] + b;
    // 1e-13: the normalisations undo gain and offset up to rounding.
    expect(Math.abs(k.extended(x, y, 0) - 1)).toBeLessThan(1e-13);
  });

  it('extended: a constant (zero-variance) deg contributes no correlation and is counted', () => {
    const x = randomArray(B * T, 9, 0.1);
    expect(k.extended(x, new Float64Array(B * T), 0)).toBe(0);
    expect(k.degenerateVectors).toBe(B + T); // 15 constant rows, then 30 all-zero columns
    k.extended(x, x, 0);
    expect(k.degenerateVectors).toBe(0);
  });
});

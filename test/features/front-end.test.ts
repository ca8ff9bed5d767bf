import { describe, expect, it } from 'vitest';
import { FrontEnd } from '../../src/features/front-end.js';
import { attachFamilies, type PairResults } from '../../src/metrics/families.js';
import { selectMetrics } from '../../src/metrics/registry.js';
import { scorePair } from '../../src/analysis/analyze.js';

/** Seeded LCG noise with a speech-like envelope (deterministic). */
function signal(n: number, seed: number, fs: number): Float64Array {
  let s = seed >>> 0;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const env = 0.5 + 0.5 * Math.sin((2 * Math.PI * 3 * i) / fs);
    x[i] = 0.3 * env * (s / 2 ** 32 - 0.5) + 0.2 * env * Math.sin((2 * Math.PI * 220 * i) / fs);
  }
  return x;
}

function pair(fs: number, seconds: number) {
  const n = Math.round(fs * seconds);
  const ref = signal(n, 1, fs);
  const noise = signal(n, 7, fs);
  const deg = ref.map((v, i) => 0.8 * v + 0.1 * noise[i]);
  const noisy = ref.map((v, i) => v + 0.2 * noise[i]);
  return { ref, deg, noisy };
}

function runInChunks(fs: number, p: { ref: Float64Array; deg: Float64Array; noisy: Float64Array }, sizes: number[], list: string): PairResults {
  const sel = selectMetrics(list);
  const fe = new FrontEnd(fs);
  const fams = attachFamilies(fe, sel, { sampleRate: fs, withNoisy: true });
  let pos = 0;
  let k = 0;
  while (pos < p.ref.length) {
    const end = Math.min(p.ref.length, pos + sizes[k++ % sizes.length]);
    fe.push({ ref: p.ref.subarray(pos, end), deg: p.deg.subarray(pos, end), noisy: p.noisy.subarray(pos, end) });
    pos = end;
  }
  fe.end();
  const r: PairResults = {};
  for (const f of fams) Object.assign(r, f.results());
  return r;
}

const STREAMING = 'snr,mse,sisdr,wsdr,cisdr,segsnr,stoi,estoi,lsd,cosine,llr,wss,fwsegsnr,featdist,mfccdist,pmsqe';

describe('shared front end', () => {
  it('builds only the stages the selected families declare', () => {
    const fe = new FrontEnd(16000);
    attachFamilies(fe, selectMetrics('stoi,estoi'), { sampleRate: 16000, withNoisy: false });
    expect(fe.stages()).toEqual(['stoi-10k']);
    const fe2 = new FrontEnd(48000);
    attachFamilies(fe2, selectMetrics('lsd,featdist,pmsqe,pesq'), { sampleRate: 48000, withNoisy: false });
    expect(fe2.stages().sort()).toEqual(['perceptual-rate', 'stft32']);
  });

  for (const fs of [16000, 48000]) {
    it(`gives the same values whatever the block sizes (1, 128, a prime, random) at ${fs} Hz`, () => {
      const p = pair(fs, 2);
      const whole = runInChunks(fs, p, [p.ref.length], STREAMING);
      let seed = 3;
      const random = Array.from({ length: 64 }, () => {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        return 1 + (seed % 3000);
      });
      for (const sizes of [[1, 128, 509], random]) {
        const chunked = runInChunks(fs, p, sizes, STREAMING);
        for (const key of Object.keys(whole) as (keyof PairResults)[]) {
          const a = whole[key]!.value;
          const b = chunked[key]!.value;
          expect(b === null, key).toBe(a === null);
          // Sums are taken in the same order whatever the cut, except CI-SDR's FFT correlations
          // (block-wise overlap-save): 1e-9 relative covers their rounding.
          if (a !== null && b !== null) expect(Math.abs(a - b), key).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a)));
        }
      }
    });
  }

  it('--metrics subsets score exactly like the full set', () => {
    const p = pair(16000, 3);
    const all = scorePair(p, 16000, selectMetrics());
    const some = scorePair(p, 16000, selectMetrics('stoi,estoi,sisdr'));
    expect(Object.keys(some).sort()).toEqual(['estoi', 'sisdr', 'stoi']);
    for (const k of ['stoi', 'estoi', 'sisdr'] as const) expect(some[k]!.value).toBe(all[k]!.value);
  });
});

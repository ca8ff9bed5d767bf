/**
 * Synthetic test signals with known answers for the reference-free metrics, and a feeder for
 * accumulators that take {deg, noisy?} blocks.
 */
import type { MetricAccumulator } from '../../../src/metrics/types.js';
import type { DegBlock } from '../../../src/metrics/reference-free/types.js';
import { chunkBoundaries, seededRandom } from '../../helpers/corpus.js';

export type Chunking = number | { seed: number; max: number };
export const RF_CHUNKINGS: Chunking[] = [1, 128, 997, { seed: 11, max: 3000 }];

/** Feed deg (and noisy) in chunks, return compute(). */
export function feedDeg<Out>(acc: MetricAccumulator<DegBlock, Out>, deg: Float64Array, noisy?: Float64Array, chunk: Chunking = Number.MAX_SAFE_INTEGER): Out {
  const cuts = chunkBoundaries(deg.length, chunk);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    acc.update({ deg: deg.subarray(a, b), noisy: noisy?.subarray(a, b) });
  }
  return acc.compute();
}

/** Standard normal samples from a seeded uniform source (Box–Muller). */
export function gaussian(n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rnd();
    const v = rnd();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

export function meanSquare(x: Float64Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return s / (to - from);
}

export const db = (power: number): number => 10 * Math.log10(power);

export interface SpeechLike {
  signal: Float64Array;
  /** [start, end) sample spans of the syllables. */
  syllables: [number, number][];
  /** Mean square over the syllables. */
  activePower: number;
}

/**
 * Speech-like bursts: syllables of 120–300 ms (voiced: a gliding 90–220 Hz glottal impulse train through
 * three formant resonators; one in five unvoiced: high-passed noise), 15 ms raised-cosine edges, levels
 * spread ±6 dB, separated by 40–120 ms gaps inside phrases and 300–800 ms pauses between phrases
 * (digital silence). Scaled so that the syllables' mean square is `activeDb` dBFS.
 */
export function speechLike(sampleRate: number, seconds: number, seed: number, activeDb = -26): SpeechLike {
  const rnd = seededRandom(seed);
  const n = Math.round(seconds * sampleRate);
  const x = new Float64Array(n);
  const syllables: [number, number][] = [];
  let pos = Math.round((0.3 + 0.2 * rnd()) * sampleRate); // leading pause
  let inPhrase = 0;
  while (true) {
    const len = Math.round((0.12 + 0.18 * rnd()) * sampleRate);
    if (pos + len >= n - Math.round(0.3 * sampleRate)) break;
    const gain = 10 ** ((12 * rnd() - 6) / 20);
    const edge = Math.round(0.015 * sampleRate);
    const env = (i: number) => (i < edge ? 0.5 - 0.5 * Math.cos((Math.PI * i) / edge) : i >= len - edge ? 0.5 - 0.5 * Math.cos((Math.PI * (len - 1 - i)) / edge) : 1);
    if (rnd() < 0.2) {
      // Unvoiced: first difference of white noise (a high-pass tilt).
      const w = gaussian(len + 1, Math.floor(rnd() * 1e9));
      for (let i = 0; i < len; i++) x[pos + i] = gain * 0.5 * (w[i + 1] - w[i]) * env(i);
    } else {
      // Voiced: a source-filter model (glottal impulse train at a gliding f0 through three formant
      // resonators), whose decaying oscillation after each pulse gives speech's peaky waveform.
      const f0a = 90 + 130 * rnd();
      const f0b = f0a * (0.85 + 0.3 * rnd());
      const formants = [300 + 500 * rnd(), 900 + 1300 * rnd(), 2300 + 700 * rnd()].filter((f) => f < 0.45 * sampleRate);
      const y1 = new Float64Array(formants.length);
      const y2 = new Float64Array(formants.length);
      const coef = formants.map((f, k) => {
        const r = Math.exp((-Math.PI * (70 + 40 * k)) / sampleRate);
        return [2 * r * Math.cos((2 * Math.PI * f) / sampleRate), -r * r];
      });
      let phase = 1;
      for (let i = 0; i < len; i++) {
        const f0 = f0a + ((f0b - f0a) * i) / len;
        phase += f0 / sampleRate;
        let v = 0;
        if (phase >= 1) {
          phase -= 1;
          v = 1;
        }
        for (let k = 0; k < formants.length; k++) {
          const y = v + coef[k][0] * y1[k] + coef[k][1] * y2[k];
          y2[k] = y1[k];
          y1[k] = y;
          v = y * (1 - coef[k][0] - coef[k][1]) * 0.5; // roughly unit gain at DC
        }
        x[pos + i] = gain * v * env(i);
      }
    }
    // Each syllable at its own level (±6 dB around the target), whatever its raw waveform's gain.
    let raw = 0;
    for (let i = pos; i < pos + len; i++) raw += x[i] * x[i];
    const norm = raw > 0 ? Math.sqrt(len / raw) : 0;
    for (let i = pos; i < pos + len; i++) x[i] *= norm;
    syllables.push([pos, pos + len]);
    pos += len;
    if (++inPhrase >= 3 + Math.floor(4 * rnd())) {
      inPhrase = 0;
      pos += Math.round((0.3 + 0.5 * rnd()) * sampleRate);
    } else pos += Math.round((0.04 + 0.08 * rnd()) * sampleRate);
  }
  let e = 0;
  let m = 0;
  for (const [a, b] of syllables) {
    for (let i = a; i < b; i++) e += x[i] * x[i];
    m += b - a;
  }
  const scale = Math.sqrt(10 ** (activeDb / 10) / (e / m));
  for (let i = 0; i < n; i++) x[i] *= scale;
  return { signal: x, syllables, activePower: 10 ** (activeDb / 10) };
}

/** x + white Gaussian noise of mean square 10^(levelDb/10) (seeded). */
export function addWhiteNoise(x: Float64Array, levelDb: number, seed: number): { mix: Float64Array; noise: Float64Array } {
  const g = gaussian(x.length, seed);
  const s = Math.sqrt(10 ** (levelDb / 10));
  const noise = g.map((v) => v * s);
  return { mix: x.map((v, i) => v + noise[i]), noise };
}

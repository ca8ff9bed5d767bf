/**
 * Synthetic pairs with known truth, built at test time from the corpus's clean files: whole and
 * fractional delays, clock drift, delay steps. The re-timing here is independent of the code under
 * test: an exact frequency-domain delay (constant delays), and a long directly-evaluated sinc
 * (drift and steps).
 */
import { realFftPlan, nextPowerOfTwo } from '../../src/dsp/fft.js';
import { seededRandom } from '../helpers/corpus.js';

/** deg[n] = x(n − d) (band-limited; d fractional, either sign), length `length` (default x's + max(0, d)). */
export function fftDelay(x: Float64Array, d: number, length = x.length + Math.max(0, Math.ceil(d))): Float64Array {
  const n = nextPowerOfTwo(Math.max(x.length, length) + Math.ceil(Math.abs(d)) + 4096);
  const fft = realFftPlan(n);
  const buf = new Float64Array(n);
  buf.set(x);
  const spec = new Float64Array(n + 2);
  fft.forward(buf, spec);
  for (let k = 0; k <= n / 2; k++) {
    const w = (-2 * Math.PI * k * d) / n;
    const c = Math.cos(w);
    const s = Math.sin(w);
    const re = spec[2 * k];
    const im = spec[2 * k + 1];
    spec[2 * k] = re * c - im * s;
    spec[2 * k + 1] = re * s + im * c;
  }
  spec[n] = 0; // Nyquist: no real fractional delay exists there
  spec[n + 1] = 0;
  fft.inverse(spec, buf);
  // Negative d: the signal moved left, wrapping to the end of the buffer; it is read from there.
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = buf[(i + n) % n];
  return out;
}

/** x at fractional position p: a 257-tap sinc with a (1 − u²)² taper, evaluated directly. */
function sincAt(x: Float64Array, p: number): number {
  const K = 128;
  const i = Math.floor(p);
  const f = p - i;
  if (f === 0) return i >= 0 && i < x.length ? x[i] : 0;
  const sf = Math.sin(Math.PI * f);
  let acc = 0;
  for (let k = -K + 1; k <= K; k++) {
    const j = i + k;
    if (j < 0 || j >= x.length) continue;
    const t = k - f;
    const u = t / K;
    const w = (1 - u * u) ** 2;
    // sin(π(k − f)) = (−1)^(k+1) · sin(πf)
    acc += x[j] * (((k & 1) === 0 ? -sf : sf) / (Math.PI * t)) * w;
  }
  return acc;
}

/** deg[m] = x(m − D(m)) for m in [0, length). */
export function retime(x: Float64Array, delayAt: (m: number) => number, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let m = 0; m < length; m++) out[m] = sincAt(x, m - delayAt(m));
  return out;
}

/** Seeded white noise at `snrDb` below x's power, added to `deg`. */
export function addNoise(deg: Float64Array, reference: Float64Array, snrDb: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  let p = 0;
  for (const v of reference) p += v * v;
  const sigma = Math.sqrt(p / reference.length / 10 ** (snrDb / 10));
  const out = Float64Array.from(deg);
  for (let i = 0; i < out.length; i++) {
    // Box–Muller
    const u = Math.max(1e-12, rnd());
    out[i] += sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  }
  return out;
}

/** Exactly `n` samples of x (cut, or padded with zeros). */
export function fit(x: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  out.set(x.subarray(0, Math.min(n, x.length)));
  return out;
}

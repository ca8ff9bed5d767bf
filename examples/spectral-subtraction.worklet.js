/**
 * `spectral-subtraction`: a single-channel speech denoiser as an AudioWorkletProcessor.
 *
 * Power spectral subtraction (Boll 1979) with over-subtraction and a spectral floor (Berouti,
 * Schwartz & Makhoul 1979), a noise estimate from minimum statistics (after Martin 2001), and a
 * short-time Fourier transform with overlap-add, all inside the worklet:
 *
 *   frames of N samples, hop N/2, sqrt-Hann analysis and synthesis windows (their product sums to 1
 *   at 50 % overlap, so with a gain of 1 the output is the input delayed by N samples);
 *   P(k) = |X(k)|²; smoothed S(k) ← a·S(k) + (1 − a)·P(k);
 *   noise N̂(k) = bias · min S(k) over the last `noiseWindowSec` (tracked in 8 sub-windows, Martin
 *   §III), and during the first window not above the mean of P over the first `initNoiseSec`;
 *   |Ŝ(k)|² = max(P(k) − α·N̂(k), β·N̂(k)) (Berouti eq. 3), gain G(k) = min(1, sqrt(|Ŝ|² / P));
 *   α = 4 − (3/20)·SNR_frame(dB), clamped to [1, 4.75] (Berouti's α0 = 4), unless fixed.
 *
 * Latency: exactly `fftSize` samples (32 ms at 16 kHz with the default size). Mono: it denoises the
 * first input channel and writes the result to every output channel.
 *
 * Registered name: `spectral-subtraction`.
 * Options (`processorOptions`, all optional):
 *   fftSize          frame length N, a power of two in 256..4096 (default: the power of two nearest
 *                    to 32 ms: 256 at 8 kHz, 512 at 16 kHz, 1024 at 32 and 44.1 kHz, 2048 at 48 kHz)
 *   overSubtraction  α, a number ≥ 0, or "auto" (default): Berouti's SNR-dependent rule above
 *   floor            β, spectral floor as a share of the noise power (default 0.02)
 *   noiseWindowSec   minimum-statistics window, seconds (default 1.5)
 *   initNoiseSec     initial noise estimate from the first seconds (default 0.25)
 *   bias             minimum-statistics bias compensation factor (default 1.7)
 *   smoothing        a, recursive smoothing of the power spectrum, 0..1 (default 0.85)
 *
 *   earshot rig --processor examples/spectral-subtraction.worklet.js \
 *     --options '{"floor": 0.05}' --clean speech.wav --noise noise.wav --snr 10,5,0
 *
 * Real-time safety: every buffer is allocated in the constructor; `process()` allocates nothing and
 * never throws. The constructor runs the frame code a few times on silence so that the first real
 * quanta do not pay for JIT compilation, then resets its state.
 */

/** Default frame duration, seconds (the power of two nearest to it is used). */
const DEFAULT_FRAME_SEC = 0.032;
const MIN_FFT_SIZE = 256;
const MAX_FFT_SIZE = 4096;
/** Minimum statistics: the window is tracked as this many sub-windows (Martin 2001, U = 8). */
const SUB_WINDOWS = 8;
/** Berouti et al. 1979: α = α0 − slope·SNR(dB), clamped. */
const BEROUTI_ALPHA0 = 4;
const BEROUTI_SLOPE_PER_DB = 3 / 20;
const BEROUTI_ALPHA_MIN = 1;
const BEROUTI_ALPHA_MAX = 4.75;
/** Frames run in the constructor to warm up the JIT. */
const WARMUP_FRAMES = 24;
const DEFAULTS = { floor: 0.02, noiseWindowSec: 1.5, initNoiseSec: 0.25, bias: 1.7, smoothing: 0.85 };

/** @param {number} rate */
function defaultFftSize(rate) {
  const target = DEFAULT_FRAME_SEC * rate;
  let n = MIN_FFT_SIZE;
  while (n < MAX_FFT_SIZE && Math.abs(Math.log2(2 * n / target)) < Math.abs(Math.log2(n / target))) n *= 2;
  return n;
}

/**
 * @param {Record<string, unknown>} o
 * @param {string} key
 * @param {number} min
 * @param {number} max
 */
function numberOption(o, key, min, max) {
  const v = o[key] === undefined ? /** @type {Record<string, number>} */ (DEFAULTS)[key] : o[key];
  if (typeof v !== 'number' || !(v >= min && v <= max)) {
    throw new RangeError(`spectral-subtraction: ${key} must be a number in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

class SpectralSubtractionProcessor extends AudioWorkletProcessor {
  /** @param {{ processorOptions?: unknown }} options */
  constructor(options) {
    super();
    const o = /** @type {Record<string, unknown>} */ ((options && options.processorOptions) || {});
    const n = o.fftSize === undefined ? defaultFftSize(sampleRate) : o.fftSize;
    if (typeof n !== 'number' || !Number.isInteger(Math.log2(n)) || n < MIN_FFT_SIZE || n > MAX_FFT_SIZE) {
      throw new RangeError(`spectral-subtraction: fftSize must be a power of two in ${MIN_FFT_SIZE}..${MAX_FFT_SIZE}, got ${JSON.stringify(n)}`);
    }
    const alpha = o.overSubtraction === undefined ? 'auto' : o.overSubtraction;
    if (alpha !== 'auto' && !(typeof alpha === 'number' && alpha >= 0 && alpha <= 20)) {
      throw new RangeError(`spectral-subtraction: overSubtraction must be "auto" or a number in 0..20, got ${JSON.stringify(alpha)}`);
    }
    this.fixedAlpha = alpha === 'auto' ? -1 : alpha;
    this.beta = numberOption(o, 'floor', 0, 1);
    this.bias = numberOption(o, 'bias', 0.5, 10);
    this.smoothing = numberOption(o, 'smoothing', 0, 0.999);
    const noiseWindowSec = numberOption(o, 'noiseWindowSec', 0.1, 30);
    const initNoiseSec = numberOption(o, 'initNoiseSec', 0, 10);

    const hop = n / 2;
    const bins = n / 2 + 1;
    this.n = n;
    this.hop = hop;
    this.bins = bins;
    const framesPerSec = sampleRate / hop;
    /** Frames per minimum-statistics sub-window (V) and in the whole window (D = U·V). */
    this.subFrames = Math.max(1, Math.round((noiseWindowSec * framesPerSec) / SUB_WINDOWS));
    this.windowFrames = this.subFrames * SUB_WINDOWS;
    this.initFrames = Math.max(1, Math.round(initNoiseSec * framesPerSec));

    // sqrt-Hann (periodic): w[i]² + w[i + N/2]² = sin² + cos² = 1, so analysis·synthesis overlap-adds to 1.
    this.window = new Float64Array(n);
    for (let i = 0; i < n; i++) this.window[i] = Math.sin((Math.PI * i) / n);
    // Radix-2 FFT tables.
    this.cos = new Float64Array(n / 2);
    this.sin = new Float64Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    this.rev = new Uint32Array(n);
    const bits = Math.log2(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.re = new Float64Array(n);
    this.im = new Float64Array(n);
    this.power = new Float64Array(bins);

    // Streaming buffers: the last N input samples, the overlap-add accumulator, the finished hop.
    this.inBuf = new Float64Array(n);
    this.outAcc = new Float64Array(n);
    this.outReady = new Float64Array(hop);
    // Noise estimator state.
    this.smoothed = new Float64Array(bins);
    this.curMin = new Float64Array(bins);
    this.subMins = new Float64Array(SUB_WINDOWS * bins);
    this.initSum = new Float64Array(bins);
    this.noise = new Float64Array(bins);
    this.inPos = 0;
    this.outPos = 0;
    this.frames = 0;
    this.subFill = 0;
    this.subSlot = 0;
    this.subCount = 0;

    // Warm-up: JIT-compile the frame path on a quiet pseudo-random input, then start afresh.
    let seed = 12345;
    for (let f = 0; f < WARMUP_FRAMES; f++) {
      for (let i = 0; i < hop; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        this.inBuf[n - hop + i] = 1e-3 * (seed / 0x7fffffff - 0.5);
      }
      this.frame();
    }
    this.reset();
  }

  reset() {
    this.inBuf.fill(0);
    this.outAcc.fill(0);
    this.outReady.fill(0);
    this.smoothed.fill(0);
    this.curMin.fill(Infinity);
    this.subMins.fill(Infinity);
    this.initSum.fill(0);
    this.noise.fill(0);
    this.inPos = 0;
    this.outPos = 0;
    this.frames = 0;
    this.subFill = 0;
    this.subSlot = 0;
    this.subCount = 0;
  }

  /**
   * In-place radix-2 decimation-in-time FFT of (re, im); unscaled both ways.
   * @param {boolean} inverse
   */
  fft(inverse) {
    const n = this.n;
    const re = this.re;
    const im = this.im;
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        const tr = re[i];
        re[i] = re[j];
        re[j] = tr;
        const ti = im[i];
        im[i] = im[j];
        im[j] = ti;
      }
    }
    const sign = inverse ? 1 : -1;
    for (let size = 2; size <= n; size *= 2) {
      const half = size / 2;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < half; k++) {
          const c = this.cos[k * step];
          const s = sign * this.sin[k * step];
          const a = start + k;
          const b = a + half;
          const tr = re[b] * c - im[b] * s;
          const ti = re[b] * s + im[b] * c;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }

  /** Update the minimum-statistics noise estimate with this frame's power spectrum. */
  updateNoise() {
    const bins = this.bins;
    const a = this.smoothing;
    const P = this.power;
    const S = this.smoothed;
    const first = this.frames === 0;
    for (let k = 0; k < bins; k++) {
      S[k] = first ? P[k] : a * S[k] + (1 - a) * P[k];
      if (S[k] < this.curMin[k]) this.curMin[k] = S[k];
    }
    if (this.frames < this.initFrames) {
      for (let k = 0; k < bins; k++) this.initSum[k] += P[k];
    }
    if (++this.subFill === this.subFrames) {
      // Close the sub-window: keep its minimum, start the next one.
      const base = this.subSlot * bins;
      for (let k = 0; k < bins; k++) {
        this.subMins[base + k] = this.curMin[k];
        this.curMin[k] = Infinity;
      }
      this.subSlot = (this.subSlot + 1) % SUB_WINDOWS;
      if (this.subCount < SUB_WINDOWS) this.subCount++;
      this.subFill = 0;
    }
    this.frames++;
    const initCount = Math.min(this.frames, this.initFrames);
    const early = this.frames < this.windowFrames;
    for (let k = 0; k < bins; k++) {
      let m = this.curMin[k];
      for (let u = 0; u < this.subCount; u++) {
        const v = this.subMins[u * bins + k];
        if (v < m) m = v;
      }
      let est = this.bias * m;
      if (early) {
        const init = this.initSum[k] / initCount;
        if (init < est) est = init;
      }
      this.noise[k] = est;
    }
  }

  /** One STFT frame: analyse the last N inputs, subtract, synthesise, overlap-add one hop out. */
  frame() {
    const n = this.n;
    const hop = this.hop;
    const bins = this.bins;
    const re = this.re;
    const im = this.im;
    const w = this.window;
    for (let i = 0; i < n; i++) {
      re[i] = this.inBuf[i] * w[i];
      im[i] = 0;
    }
    this.fft(false);
    let sumP = 0;
    for (let k = 0; k < bins; k++) {
      const p = re[k] * re[k] + im[k] * im[k];
      this.power[k] = p;
      sumP += p;
    }
    this.updateNoise();
    let sumN = 0;
    for (let k = 0; k < bins; k++) sumN += this.noise[k];
    let alpha = this.fixedAlpha;
    if (alpha < 0) {
      const snrDb = sumN > 0 && sumP > 0 ? 10 * Math.log10(sumP / sumN) : 0;
      alpha = BEROUTI_ALPHA0 - BEROUTI_SLOPE_PER_DB * snrDb;
      if (alpha < BEROUTI_ALPHA_MIN) alpha = BEROUTI_ALPHA_MIN;
      else if (alpha > BEROUTI_ALPHA_MAX) alpha = BEROUTI_ALPHA_MAX;
    }
    const beta = this.beta;
    for (let k = 0; k < bins; k++) {
      const p = this.power[k];
      const nk = this.noise[k];
      const sub = p - alpha * nk;
      const floor = beta * nk;
      const s2 = sub > floor ? sub : floor;
      let g = p > 0 ? Math.sqrt(s2 / p) : 0;
      if (g > 1) g = 1;
      re[k] *= g;
      im[k] *= g;
    }
    // Hermitian symmetry for a real output.
    for (let k = 1; k < n / 2; k++) {
      re[n - k] = re[k];
      im[n - k] = -im[k];
    }
    this.fft(true);
    const scale = 1 / n;
    const acc = this.outAcc;
    for (let i = 0; i < n; i++) acc[i] += re[i] * scale * w[i];
    // The first hop of the accumulator is complete: hand it out, shift the rest.
    for (let i = 0; i < hop; i++) {
      this.outReady[i] = acc[i];
      acc[i] = acc[i + hop];
      acc[i + hop] = 0;
    }
    this.inBuf.copyWithin(0, hop);
  }

  /**
   * @param {Float32Array[][]} inputs
   * @param {Float32Array[][]} outputs
   */
  process(inputs, outputs) {
    const input = inputs[0];
    const output = outputs[0];
    if (output.length === 0) return true;
    const y = output[0];
    const x = input.length > 0 ? input[0] : null;
    const hop = this.hop;
    const base = this.n - hop;
    for (let i = 0; i < y.length; i++) {
      this.inBuf[base + this.inPos] = x ? x[i] : 0;
      y[i] = this.outReady[this.outPos];
      this.inPos++;
      this.outPos++;
      if (this.inPos === hop) {
        // Output sample t now carries input t − N: the hop just finished covers inputs
        // [t − N + 1, t − N + hop] and is read out over the next hop samples.
        this.frame();
        this.inPos = 0;
        this.outPos = 0;
      }
    }
    for (let c = 1; c < output.length; c++) output[c].set(y);
    return true;
  }
}

registerProcessor('spectral-subtraction', SpectralSubtractionProcessor);

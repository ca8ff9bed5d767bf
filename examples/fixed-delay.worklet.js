/**
 * `fixed-delay`: an AudioWorkletProcessor that delays its input by a whole number of samples,
 * y[n] = x[n − D], with silence for the first D samples.
 *
 * A device under test with a known latency: `earshot rig` must report exactly D samples.
 *
 *   earshot rig --processor examples/fixed-delay.worklet.js --options '{"delaySamples": 480}' \
 *     --clean examples/audio/hello.ref.wav --noise my-noise.wav
 *
 * Registered name: `fixed-delay`.
 * Options (`processorOptions`):
 *   delaySamples  integer ≥ 0, the delay D in samples (default 0). Up to 10 s of audio.
 * One delay line per channel (up to 8 channels), allocated in the constructor; `process()` allocates
 * nothing.
 */

/** Longest delay, seconds: bounds the delay line's memory. */
const MAX_DELAY_SEC = 10;
const MAX_CHANNELS = 8;

class FixedDelayProcessor extends AudioWorkletProcessor {
  /** @param {{ processorOptions?: unknown }} options */
  constructor(options) {
    super();
    const o = /** @type {{ delaySamples?: number }} */ ((options && options.processorOptions) || {});
    const d = o.delaySamples === undefined ? 0 : o.delaySamples;
    if (!Number.isInteger(d) || d < 0 || d > MAX_DELAY_SEC * sampleRate) {
      throw new RangeError(`fixed-delay: delaySamples must be an integer in 0..${MAX_DELAY_SEC * sampleRate}, got ${d}`);
    }
    /** Delay D, samples. */
    this.delay = d;
    /** One ring of D samples per channel: ring[pos] holds x[n − D] when sample n arrives. */
    this.lines = [];
    for (let c = 0; c < MAX_CHANNELS; c++) this.lines.push(new Float32Array(Math.max(1, d)));
    this.pos = 0;
  }

  /**
   * @param {Float32Array[][]} inputs
   * @param {Float32Array[][]} outputs
   */
  process(inputs, outputs) {
    const input = inputs[0];
    const output = outputs[0];
    const d = this.delay;
    const frames = output.length > 0 ? output[0].length : 0;
    const channels = Math.min(output.length, MAX_CHANNELS);
    let pos = this.pos;
    for (let c = 0; c < channels; c++) {
      const x = c < input.length ? input[c] : null;
      const y = output[c];
      if (d === 0) {
        if (x) y.set(x);
        else y.fill(0);
        continue;
      }
      const line = this.lines[c];
      let p = this.pos;
      for (let i = 0; i < frames; i++) {
        y[i] = line[p];
        line[p] = x ? x[i] : 0;
        p = p + 1 === d ? 0 : p + 1;
      }
      pos = p;
    }
    this.pos = pos;
    return true;
  }
}

registerProcessor('fixed-delay', FixedDelayProcessor);

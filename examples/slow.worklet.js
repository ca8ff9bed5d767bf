/**
 * `slow`: a pass-through AudioWorkletProcessor that deliberately burns CPU in `process()`, to see
 * what `earshot rig` reports for a processor that does not fit its render-quantum budget.
 *
 *   earshot rig --processor examples/slow.worklet.js --options '{"load": 0.8}' \
 *     --clean examples/audio/hello.ref.wav --noise my-noise.wav --snr 5
 *
 * Registered name: `slow`.
 * Options (`processorOptions`):
 *   load   share of the quantum's duration (128 / sampleRate s) to spend busy-waiting in each slow
 *          call, e.g. 0.8 = 80 % (default 0.8; 0..4).
 *   every  only every `every`-th call is slow, the others cost nothing (default 1: all are slow).
 * The output is the input, so only the budget figures differ from `passthrough`.
 */

/** The clock to busy-wait on: performance.now() where the worklet scope has it (node-web-audio-api
 * does; not every browser exposes it to worklets), else Date.now(). */
const perf = /** @type {{ performance?: { now(): number } }} */ (/** @type {unknown} */ (globalThis)).performance;
const now = perf ? () => perf.now() : () => Date.now();

class SlowProcessor extends AudioWorkletProcessor {
  /** @param {{ processorOptions?: unknown }} options */
  constructor(options) {
    super();
    const o = /** @type {{ load?: number, every?: number }} */ ((options && options.processorOptions) || {});
    const load = o.load === undefined ? 0.8 : o.load;
    const every = o.every === undefined ? 1 : o.every;
    if (!(typeof load === 'number' && load >= 0 && load <= 4)) throw new RangeError(`slow: load must be in 0..4, got ${load}`);
    if (!(Number.isInteger(every) && every >= 1)) throw new RangeError(`slow: every must be an integer ≥ 1, got ${every}`);
    /** Busy time per slow call, ms. */
    this.busyMs = (load * 128 * 1000) / sampleRate;
    this.every = every;
    this.calls = 0;
  }

  /**
   * @param {Float32Array[][]} inputs
   * @param {Float32Array[][]} outputs
   */
  process(inputs, outputs) {
    const input = inputs[0];
    const output = outputs[0];
    for (let c = 0; c < output.length; c++) {
      if (c < input.length) output[c].set(input[c]);
      else output[c].fill(0);
    }
    if (this.calls++ % this.every === 0) {
      const until = now() + this.busyMs;
      while (now() < until) {
        // busy: this is the point of the example
      }
    }
    return true;
  }
}

registerProcessor('slow', SlowProcessor);

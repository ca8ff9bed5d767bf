/**
 * `passthrough`: an AudioWorkletProcessor that copies its input to its output, sample for sample.
 *
 * The smallest device under test for `earshot rig`: its report must show a delay of 0 samples,
 * quality deltas of exactly 0 (the processed output is the noisy input), and the warning "the
 * processor passed its input through unchanged" (a verdict of pass all the same).
 *
 *   earshot rig --processor examples/passthrough.worklet.js --clean examples/audio/hello.ref.wav \
 *     --noise my-noise.wav --snr 5,0
 *
 * Registered name: `passthrough`. Options: none. Allocates nothing in `process()`.
 */

class PassthroughProcessor extends AudioWorkletProcessor {
  /**
   * @param {Float32Array[][]} inputs
   * @param {Float32Array[][]} outputs
   */
  process(inputs, outputs) {
    const input = inputs[0];
    const output = outputs[0];
    for (let c = 0; c < output.length; c++) {
      // An unconnected input has no channels: output silence then.
      if (c < input.length) output[c].set(input[c]);
      else output[c].fill(0);
    }
    return true;
  }
}

registerProcessor('passthrough', PassthroughProcessor);

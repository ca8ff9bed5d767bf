/** The capture worklet's processor on this thread with a running SharedArrayBuffer ring, for benches. */
import { CTL_STATE, RingReader, STATE_RUNNING, createRingLayout } from '../src/stream/ring-buffer.js';
import { createHostedCapture } from '../src/stream/worklet-host.js';

const QUANTUM = 128; // frames

export interface HostedCaptureBench {
  processor: { process(inputs: Float32Array[][], outputs: Float32Array[][], parameters: object): boolean };
  reader: RingReader;
  /** One quantum per stream, stream c filled with 0.25·(c + 1). */
  inputs: Float32Array[][];
  outputs: Float32Array[][];
  /** `sinkFrames` per stream, for reader.read(). */
  sink: Float64Array[];
  close(): void;
}

/** sab transport, realtime (no waiting), `streams` channels, a ring of `ringFrames`. */
export function hostedCaptureBench(streams: number, ringFrames: number, sinkFrames: number): HostedCaptureBench {
  const layout = createRingLayout(ringFrames, streams);
  Atomics.store(new Int32Array(layout.control), CTL_STATE, STATE_RUNNING);
  const { processor, close } = createHostedCapture({ transport: 'sab', channels: streams, ring: layout, wait: false });
  const inputs: Float32Array[][] = [];
  for (let c = 0; c < streams; c++) inputs.push([new Float32Array(QUANTUM).fill(0.25 * (c + 1))]);
  const sink = Array.from({ length: streams }, () => new Float64Array(sinkFrames));
  return { processor, reader: new RingReader(layout), inputs, outputs: [[new Float32Array(QUANTUM)]], sink, close };
}

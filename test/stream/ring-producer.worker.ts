/**
 * Producer side of the worker_threads tests in ring-buffer.test.ts, run in a real Worker (loaded
 * through tsx, see `startProducer` there). Sample values encode their stream index and channel
 * (`sampleValue`), so the consumer can check every frame it reads.
 *
 * - mode 'writer': RingWriter pushes `frames` frames in seeded random chunks; on a full ring it
 *   waits on the read index (1 ms slices), as the offline worklet does.
 * - mode 'worklet': the real capture worklet (evaluated by worklet-host) gets `frames / 128` render
 *   quanta through process(); `wait` chooses offline waiting or realtime dropping.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CTL_READ, type RingLayout } from '../../src/stream/ring-buffer.js';
import { createHostedCapture } from '../../src/stream/worklet-host.js';
import { seededRandom } from '../helpers/corpus.js';
import { RingWriter } from '../helpers/ring-writer.js';
import { sampleValue } from './sample-value.js';

interface Job {
  mode: 'writer' | 'worklet';
  ring: RingLayout;
  frames: number;
  seed: number;
  maxChunk: number;
  wait: boolean;
}

const job = workerData as Job;
const channels = job.ring.channels;

if (job.mode === 'writer') {
  const writer = new RingWriter(job.ring);
  const ctl = new Int32Array(job.ring.control);
  const rnd = seededRandom(job.seed);
  const chunk: Float32Array[] = [];
  for (let c = 0; c < channels; c++) chunk.push(new Float32Array(job.maxChunk));
  let pos = 0;
  while (pos < job.frames) {
    const n = Math.min(job.frames - pos, 1 + Math.floor(rnd() * job.maxChunk));
    for (let c = 0; c < channels; c++) for (let i = 0; i < n; i++) chunk[c][i] = sampleValue(c, pos + i);
    let done = 0;
    while (done < n) {
      const w = writer.push(chunk, done, n - done);
      done += w;
      if (w === 0) Atomics.wait(ctl, CTL_READ, Atomics.load(ctl, CTL_READ), 1);
    }
    pos += n;
  }
  parentPort!.postMessage({ done: true, pushed: pos });
} else {
  const quantum = 128;
  const { processor, close } = createHostedCapture({ transport: 'sab', channels, ring: job.ring, wait: job.wait });
  const inputs: Float32Array[][] = [];
  for (let c = 0; c < channels; c++) inputs.push([new Float32Array(quantum)]);
  const outputs = [[new Float32Array(quantum)]];
  const quanta = Math.ceil(job.frames / quantum);
  for (let q = 0; q < quanta; q++) {
    for (let c = 0; c < channels; c++) for (let i = 0; i < quantum; i++) inputs[c][0][i] = sampleValue(c, q * quantum + i);
    processor.process(inputs, outputs, {});
  }
  close();
  parentPort!.postMessage({ done: true, pushed: quanta * quantum });
}

/**
 * Signal sources for the offline analysis: streams read sequentially in blocks and rewound for another
 * pass, so a file of any length is analysed in constant memory. A source is a whole array (the
 * `analyze()` API), one channel of a WAV file (`analyzeFiles`, the CLI), or either of those resampled
 * to the reference rate on the fly.
 */
import { octaveResamplerDesign, resampledLength } from '../dsp/resample-design.js';
import { createResamplerPair, type PairResampler } from '../dsp/resample.js';
import { earshotError } from '../errors.js';
import type { WavReader } from './wav.js';

export interface SignalSource {
  /** Samples the source yields in all. */
  readonly length: number;
  /** The next samples into `out[0, n)`; returns n (0 at the end). */
  read(out: Float64Array, max: number): number;
  /** Back to the start (for another pass). */
  rewind(): void;
  /** Skip `n` samples (or to the end). */
  skip(n: number): void;
  close(): void;
}

/** A whole signal held in memory. */
export function arraySource(x: Float64Array): SignalSource {
  let pos = 0;
  return {
    length: x.length,
    read(out, max) {
      const n = Math.min(max, x.length - pos);
      out.set(x.subarray(pos, pos + n));
      pos += n;
      return n;
    },
    rewind: () => void (pos = 0),
    skip: (n) => void (pos = Math.min(x.length, pos + n)),
    close: () => undefined,
  };
}

/** One channel of an open WAV file (the reader is shared by every channel taken from it). */
export function wavChannelSource(reader: WavReader, channel: number): SignalSource {
  return {
    length: reader.length,
    read: (out, max) => (reader.channelCount === 1 ? reader.read([out], max) : reader.readChannel(channel, out, max)),
    rewind: () => reader.rewind(),
    skip: (n) => reader.seek(Math.min(reader.length, reader.position + n)),
    close: () => reader.close(),
  };
}

/** Block of input read per resampler step. */
const RESAMPLE_BLOCK = 8192;

/**
 * `src` (at `inRate`) resampled to `outRate` with the project's polyphase resampler, streaming: the
 * values equal `resampleOct` of the whole signal. (A pair resampler runs the signal twice; this path
 * serves only files at another rate than the reference.)
 */
export function resampledSource(src: SignalSource, inRate: number, outRate: number): SignalSource {
  const design = octaveResamplerDesign(outRate, inRate);
  const resampler: PairResampler = createResamplerPair(design);
  const length = resampledLength(src.length, design.up, design.down);
  const inBuf = new Float64Array(RESAMPLE_BLOCK);
  let outA = new Float64Array(Math.max(resampler.maxOutput(RESAMPLE_BLOCK), 1024));
  let outB = new Float64Array(outA.length);
  let have = 0; // resampled samples waiting in outA[start, have)
  let start = 0;
  let produced = 0;
  let ended = false;
  const refill = () => {
    start = have = 0;
    if (ended) return;
    const n = src.read(inBuf, RESAMPLE_BLOCK);
    let need = n > 0 ? resampler.maxOutput(n) : resampler.pendingTail();
    if (need > outA.length) {
      outA = new Float64Array(need);
      outB = new Float64Array(need);
    }
    if (n > 0) have = resampler.push(inBuf, inBuf, outA, outB, 0, 0, n);
    else {
      have = resampler.flush(outA, outB, 0);
      ended = true;
    }
    need = 0;
  };
  const self: SignalSource = {
    length,
    read(out, max) {
      let written = 0;
      while (written < max && produced < length) {
        if (start === have) {
          if (ended) break;
          refill();
          continue;
        }
        const k = Math.min(max - written, have - start, length - produced);
        out.set(outA.subarray(start, start + k), written);
        start += k;
        written += k;
        produced += k;
      }
      return written;
    },
    rewind() {
      src.rewind();
      resampler.reset();
      start = have = produced = 0;
      ended = false;
    },
    skip(n) {
      const scratch = new Float64Array(Math.min(n, RESAMPLE_BLOCK));
      for (let left = n; left > 0; ) {
        const k = self.read(scratch, Math.min(left, scratch.length));
        if (k === 0) break;
        left -= k;
      }
    },
    close: () => src.close(),
  };
  return self;
}

/**
 * Reads several sources in lockstep: block after block of `length` samples, each source starting at
 * its own offset (delay compensation). The block arrays are reused between calls.
 */
export class LockstepReader {
  readonly blocks: Float64Array[];
  private done = 0;

  constructor(
    private readonly sources: SignalSource[],
    private readonly offsets: number[],
    readonly length: number,
    blockSize: number,
  ) {
    this.blocks = sources.map(() => new Float64Array(blockSize));
    this.restart();
  }

  /** Rewind every source and skip to its offset. */
  restart(): void {
    this.done = 0;
    this.sources.forEach((s, k) => {
      s.rewind();
      if (this.offsets[k] > 0) s.skip(this.offsets[k]);
    });
  }

  /** The next block of every source (`n` samples each, 0 at the end); views into `blocks`. */
  next(): { n: number; views: Float64Array[] } {
    const n = Math.min(this.blocks[0].length, this.length - this.done);
    if (n <= 0) return { n: 0, views: this.blocks.map((b) => b.subarray(0, 0)) };
    this.sources.forEach((s, k) => {
      const got = s.read(this.blocks[k], n);
      if (got !== n) throw earshotError('ERR_INVALID_ARGUMENT', `source ${k} ended early: ${got} of ${n} samples`);
    });
    this.done += n;
    return { n, views: this.blocks.map((b) => b.subarray(0, n)) };
  }
}

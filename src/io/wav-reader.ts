/**
 * Streaming WAV input in constant memory: {@link openWav} checks the header at once, then
 * {@link WavReader.read} decodes the audio block by block through `fs.readSync`, so a 30-minute file
 * never sits in memory whole. Samples are bit-identical to `readWav` (same header walk, same kernel).
 *
 * @example
 * const r = openWav('talk.wav');
 * const block = Array.from({ length: r.channelCount }, () => new Float64Array(4096));
 * try {
 *   for (let n; (n = r.read(block)) > 0; ) meter.update(block[0].subarray(0, n));
 * } finally {
 *   r.close();
 * }
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { earshotError, type EarshotError } from '../errors.js';
import { fileError } from './file-error.js';
import { decodeChannel, firstNonFinite, SampleBuffer } from './wav-decode.js';
import { type ByteSource, parseWavHeader, type WavEncoding, type WavLayout } from './wav-header.js';

/**
 * Default bytes read from disk at a time: large enough that the system call per block costs little
 * beside decoding it, small enough to stay in the L2 cache.
 */
export const WAV_READ_BLOCK_BYTES = 64 * 1024;

/** Bytes of scratch for header reads: the largest piece the header walk asks for is a 40-byte `fmt `. */
const HEADER_SCRATCH_BYTES = 64;

const EMPTY = new Float64Array(0);

export interface OpenWavOptions {
  /** Bytes read from disk at a time, rounded down to whole frames (at least one). Default 64 KiB. */
  blockBytes?: number;
}

/** A WAV file open for reading in blocks. Not safe to share between concurrent consumers. */
export interface WavReader {
  /** The path it was opened with; prefixes error messages. */
  readonly path: string;
  /** Hz. */
  readonly sampleRate: number;
  readonly channelCount: number;
  /** Frames (samples per channel) in the file. */
  readonly length: number;
  /** e.g. "pcm16", "pcm24", "float32". */
  readonly encoding: WavEncoding;
  /** The next frame `read` returns, 0..length. */
  readonly position: number;
  /**
   * Decode up to `maxFrames` frames (default: `out[0].length`) from the current position into
   * `out[c][0 ..]`, one array per channel, and advance. Returns the frames written, 0 at the end.
   *
   * Throws ERR_INVALID_ARGUMENT for the wrong number of arrays, arrays shorter than `maxFrames` or a
   * closed reader; ERR_NONFINITE for a NaN or infinite float sample (the first, channel by channel, of
   * the frames being decoded from one block; the position then stays before those frames); ERR_WAV_INVALID when
   * the file shrank since it was opened; ERR_FILE_UNREADABLE for an I/O error.
   */
  read(out: Float64Array[], maxFrames?: number): number;
  /** As `read`, for one channel only (the others are skipped); ERR_CHANNEL when it does not exist. */
  readChannel(channel: number, out: Float64Array, maxFrames?: number): number;
  /** Move to frame `frame` (0..length); ERR_INVALID_ARGUMENT outside that range. */
  seek(frame: number): void;
  /** Back to the first frame: `seek(0)`. */
  rewind(): void;
  /** Release the file. Safe to call twice; every other method then throws. */
  close(): void;
}

/**
 * Open a WAV file and check its header (the same checks and errors as `readWav`, including truncated
 * audio): ERR_FILE_NOT_FOUND, ERR_FILE_UNREADABLE, ERR_WAV_INVALID, ERR_WAV_UNSUPPORTED, ERR_SAMPLE_RATE.
 * Non-finite float samples are reported when `read` reaches them. Call `close()` when done.
 */
export function openWav(path: string, options: OpenWavOptions = {}): WavReader {
  const blockBytes = options.blockBytes ?? WAV_READ_BLOCK_BYTES;
  if (!Number.isInteger(blockBytes) || blockBytes < 1) {
    throw earshotError('ERR_INVALID_ARGUMENT', `openWav: blockBytes must be a positive integer, got ${blockBytes}`);
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw fileError(path, e);
  }
  try {
    const stat = fstatSync(fd);
    // open(2) succeeds on a directory; say so now rather than at the first read.
    if (stat.isDirectory()) throw fileError(path, { code: 'EISDIR' });
    const layout = parseWavHeader(fileSource(fd, stat.size, path), path);
    return new BlockWavReader(path, fd, layout, blockBytes);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The error `selectChannel` and `readChannel` give for a channel the file does not have. */
export function channelError(name: string, channel: number, channelCount: number): EarshotError {
  return earshotError(
    'ERR_CHANNEL',
    `${name}: channel ${channel} does not exist; the file has ${channelCount} channel(s) (0..${channelCount - 1})`,
  );
}

class BlockWavReader implements WavReader {
  readonly sampleRate: number;
  readonly channelCount: number;
  readonly length: number;
  readonly encoding: WavEncoding;
  private fd: number;
  private readonly layout: WavLayout;
  private readonly block: Uint8Array;
  private readonly samples: SampleBuffer;
  private readonly blockFrames: number;
  /** Frames [blockStart, blockStart + blockFill) of the file are in `block`. */
  private blockStart = 0;
  private blockFill = 0;
  private next = 0;
  /** Reused by readChannel so that it allocates nothing. */
  private readonly single: Float64Array[] = [EMPTY];

  constructor(
    readonly path: string,
    fd: number,
    layout: WavLayout,
    blockBytes: number,
  ) {
    this.fd = fd;
    this.layout = layout;
    this.sampleRate = layout.sampleRate;
    this.channelCount = layout.channelCount;
    this.length = layout.frames;
    this.encoding = layout.encoding;
    // No bigger than the file: a short file needs no 64 KiB buffer.
    this.blockFrames = Math.max(1, Math.min(layout.frames, Math.floor(blockBytes / layout.blockAlign)));
    this.block = new Uint8Array(this.blockFrames * layout.blockAlign);
    this.samples = new SampleBuffer(this.block.buffer, 0, this.block.length, layout.littleEndian);
  }

  get position(): number {
    return this.next;
  }

  read(out: Float64Array[], maxFrames?: number): number {
    this.checkOpen();
    if (out.length !== this.channelCount) {
      throw earshotError(
        'ERR_INVALID_ARGUMENT',
        `${this.path}: read expected ${this.channelCount} output array(s), one per channel, got ${out.length}`,
      );
    }
    return this.pull(out, 0, maxFrames ?? out[0].length);
  }

  readChannel(channel: number, out: Float64Array, maxFrames?: number): number {
    this.checkOpen();
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channelCount) {
      throw channelError(this.path, channel, this.channelCount);
    }
    this.single[0] = out;
    try {
      return this.pull(this.single, channel, maxFrames ?? out.length);
    } finally {
      this.single[0] = EMPTY; // do not keep the caller's array alive
    }
  }

  seek(frame: number): void {
    this.checkOpen();
    if (!Number.isInteger(frame) || frame < 0 || frame > this.length) {
      throw earshotError('ERR_INVALID_ARGUMENT', `${this.path}: seek expected a frame in 0..${this.length}, got ${frame}`);
    }
    // The block stays: a seek inside it (or a rewind of a short file) needs no new read.
    this.next = frame;
  }

  rewind(): void {
    this.seek(0);
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }

  /** Decode channels first, first + 1, ... into outs[0], outs[1], ... */
  private pull(outs: Float64Array[], first: number, maxFrames: number): number {
    if (!Number.isInteger(maxFrames) || maxFrames < 0) {
      throw earshotError('ERR_INVALID_ARGUMENT', `${this.path}: maxFrames must be a non-negative integer, got ${maxFrames}`);
    }
    for (let c = 0; c < outs.length; c++) {
      if (outs[c].length < maxFrames) {
        throw earshotError(
          'ERR_INVALID_ARGUMENT',
          `${this.path}: output array ${c} holds ${outs[c].length} frames; expected at least maxFrames = ${maxFrames}`,
        );
      }
    }
    const { blockAlign, bytesPerSample, encoding } = this.layout;
    const n = Math.min(maxFrames, this.length - this.next);
    let done = 0;
    while (done < n) {
      if (this.next < this.blockStart || this.next >= this.blockStart + this.blockFill) this.fill(this.next);
      const k = Math.min(n - done, this.blockStart + this.blockFill - this.next);
      const base = (this.next - this.blockStart) * blockAlign;
      for (let c = 0; c < outs.length; c++) {
        const out = outs[c];
        const offset = base + (first + c) * bytesPerSample;
        if (!decodeChannel(this.samples, offset, blockAlign, k, encoding, out, done)) {
          const i = firstNonFinite(out, done, done + k);
          throw earshotError(
            'ERR_NONFINITE',
            `${this.path}: sample ${this.next + i - done} of channel ${first + c} is ${out[i]}; expected finite values`,
          );
        }
      }
      done += k;
      this.next += k;
    }
    return done;
  }

  /** Read the block of frames starting at `frame` from disk. */
  private fill(frame: number): void {
    const { blockAlign, dataOffset } = this.layout;
    const bytes = Math.min(this.blockFrames, this.length - frame) * blockAlign;
    const at = dataOffset + frame * blockAlign;
    this.blockFill = 0; // nothing valid until the read completes
    const got = readFully(this.fd, this.block, bytes, at, this.path);
    if (got < bytes) {
      throw earshotError(
        'ERR_WAV_INVALID',
        `${this.path}: truncated WAV (the file shrank since it was opened: audio ends after ${frame * blockAlign + got} of ${this.length * blockAlign} bytes)`,
      );
    }
    this.blockStart = frame;
    this.blockFill = bytes / blockAlign;
  }

  private checkOpen(): void {
    if (this.fd < 0) throw earshotError('ERR_INVALID_ARGUMENT', `${this.path}: the WAV reader is closed`);
  }
}

/** `length` bytes at file offset `at` into `into[0 ..]`; fewer only where the file ends. */
function readFully(fd: number, into: Uint8Array, length: number, at: number, path: string): number {
  let got = 0;
  while (got < length) {
    let n: number;
    try {
      n = readSync(fd, into, got, length - got, at + got);
    } catch (e) {
      throw fileError(path, e);
    }
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** The header walk's view of an open file, through one small scratch buffer. */
function fileSource(fd: number, size: number, path: string): ByteSource {
  let scratch = new Uint8Array(HEADER_SCRATCH_BYTES);
  return {
    size,
    read(position, length) {
      if (length > scratch.length) scratch = new Uint8Array(length);
      const got = readFully(fd, scratch, Math.max(0, Math.min(length, size - position)), position, path);
      return new DataView(scratch.buffer, 0, got);
    },
  };
}

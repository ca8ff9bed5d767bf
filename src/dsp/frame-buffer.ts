/**
 * Streaming framer: cuts aligned channels into frames of `frameLength` samples every `hop` samples,
 * whatever the block sizes pushed, and hands each frame to a callback set once at construction
 * (no allocation per frame or per push). Frame m covers input samples [m·hop, m·hop + frameLength);
 * a trailing partial frame is never emitted (the references this project matches never pad).
 */
import { earshotError } from '../errors.js';

export type FrameCallback = (frames: readonly Float64Array[]) => void;

export class FrameBuffer {
  readonly frameLength: number;
  readonly hop: number;
  /** The current frame of each channel; valid only during the callback. */
  readonly frames: Float64Array[];
  private fill = 0;
  private readonly onFrame: FrameCallback;

  constructor(frameLength: number, hop: number, channels: number, onFrame: FrameCallback) {
    if (!Number.isInteger(frameLength) || frameLength < 1) {
      throw earshotError('ERR_INVALID_ARGUMENT', `frame length must be a positive integer, got ${frameLength}`);
    }
    if (!Number.isInteger(hop) || hop < 1 || hop > frameLength) {
      throw earshotError('ERR_INVALID_ARGUMENT', `hop must be an integer in 1..${frameLength}, got ${hop}`);
    }
    this.frameLength = frameLength;
    this.hop = hop;
    this.frames = Array.from({ length: channels }, () => new Float64Array(frameLength));
    this.onFrame = onFrame;
  }

  /** Push samples [start, end) of each channel (all channels the same length). */
  push(inputs: readonly Float64Array[], start = 0, end = inputs[0]?.length ?? 0): void {
    const frames = this.frames;
    const channels = frames.length;
    const len = this.frameLength;
    let pos = start;
    while (pos < end) {
      const take = Math.min(len - this.fill, end - pos);
      for (let c = 0; c < channels; c++) frames[c].set(inputs[c].subarray(pos, pos + take), this.fill);
      this.fill += take;
      pos += take;
      if (this.fill === len) {
        this.onFrame(frames);
        // Keep the overlap (frameLength − hop samples) for the next frame.
        for (let c = 0; c < channels; c++) frames[c].copyWithin(0, this.hop, len);
        this.fill = len - this.hop;
      }
    }
  }

  reset(): void {
    this.fill = 0;
    for (const f of this.frames) f.fill(0);
  }
}

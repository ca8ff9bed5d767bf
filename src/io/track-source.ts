/**
 * A reference stream re-timed to follow a delay track (src/analysis/align.ts): the aligned sample k
 * pairs with deg sample m = degStart + k, and takes ref at the (fractional) position
 *   p(m) = m − D(m),  D(m) = intercept_s + slope_s · m  for m in segment s,
 * interpolated with the windowed-sinc fractional delay of src/dsp/fractional-delay.ts. Streaming, in
 * constant memory: a window of ref that reaches back as far as the largest backward step of the track.
 */
import { FD_HALF, interpolateAt } from '../dsp/fractional-delay.js';
import { earshotError } from '../errors.js';
import type { SignalSource } from './sources.js';

export interface DelaySegment {
  /** First deg sample of the segment (the first segment starts at or before the scored span). */
  start: number;
  /** D(m) = intercept + slope · m samples for deg sample m in the segment. */
  intercept: number;
  slope: number;
}

/** Plain data (it goes to the worker threads with the analysis plan). */
export interface DelayTrackPlan {
  segments: DelaySegment[];
  /** First deg sample scored, and the samples scored. */
  degStart: number;
  length: number;
}

/** Delay at deg sample m. */
export function delayAt(track: Pick<DelayTrackPlan, 'segments'>, m: number): number {
  const segs = track.segments;
  let s = 0;
  while (s + 1 < segs.length && m >= segs[s + 1].start) s++;
  return segs[s].intercept + segs[s].slope * m;
}

const CHUNK = 65536;

/** `src` (a ref, or noisy, which is time-aligned with ref) re-timed by the track. */
export function trackedSource(src: SignalSource, track: DelayTrackPlan): SignalSource {
  const segs = track.segments;
  const len = src.length;
  // How far the position can step back at a segment boundary.
  let back = 0;
  for (let s = 1; s < segs.length; s++) {
    const m = segs[s].start;
    const before = m - 1 - (segs[s - 1].intercept + segs[s - 1].slope * (m - 1));
    const after = m - (segs[s].intercept + segs[s].slope * m);
    back = Math.max(back, Math.ceil(before - after) + 1);
  }
  const keep = back + 2 * FD_HALF + 8;
  const buf = new Float64Array(keep + CHUNK + 2 * FD_HALF);
  let bufStart = 0; // ref index of buf[0]
  let bufEnd = 0; // ref index after the last sample held
  let k = 0; // next output sample
  let seg = 0;

  const load = (hi: number, lo: number) => {
    // Make room: keep from `lo − keep` on.
    if (hi - bufStart + 1 > buf.length) {
      const newStart = Math.max(bufStart, Math.min(lo, bufEnd) - keep);
      buf.copyWithin(0, newStart - bufStart, bufEnd - bufStart);
      bufStart = newStart;
    }
    while (bufEnd <= hi && bufEnd < len) {
      const room = buf.length - (bufEnd - bufStart);
      if (room <= 0) throw earshotError('ERR_INVALID_ARGUMENT', 'delay track: interpolation window too small');
      const got = src.read(buf.subarray(bufEnd - bufStart), Math.min(room, len - bufEnd));
      if (got === 0) break;
      bufEnd += got;
    }
  };

  const self: SignalSource = {
    length: track.length,
    read(out, max) {
      const n = Math.min(max, track.length - k);
      for (let j = 0; j < n; j++, k++) {
        const m = track.degStart + k;
        while (seg + 1 < segs.length && m >= segs[seg + 1].start) seg++;
        const p = m - (segs[seg].intercept + segs[seg].slope * m);
        const i = Math.floor(p);
        const f = p - i;
        const lo = Math.max(0, i - FD_HALF + 1);
        const hi = Math.min(len - 1, i + FD_HALF);
        if (hi >= bufEnd && bufEnd < len) load(hi, lo);
        if (lo < bufStart && lo <= hi) throw earshotError('ERR_INVALID_ARGUMENT', `delay track: position ${p.toFixed(1)} is behind the kept window`);
        out[j] = interpolateAt(buf, bufStart, 0, len, i, f);
      }
      return n;
    },
    rewind() {
      src.rewind();
      bufStart = bufEnd = 0;
      k = 0;
      seg = 0;
    },
    skip(n) {
      const scratch = new Float64Array(Math.min(Math.max(n, 1), 8192));
      for (let left = n; left > 0; ) {
        const got = self.read(scratch, Math.min(left, scratch.length));
        if (got === 0) break;
        left -= got;
      }
    },
    close: () => src.close(),
  };
  return self;
}

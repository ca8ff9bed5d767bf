/**
 * Time alignment (P.862 §10.1.3; Rix et al. 2001 §3). P.862 finds a delay per utterance in stages:
 * a crude delay from the cross-correlation of the two signals' energy envelopes (4 ms blocks,
 * log-compressed above a threshold), a fine delay from a histogram of 64 ms-frame cross-correlation
 * peaks, then utterance splitting and realignment where the delay changes.
 *
 * Ours (documented in docs/pesq-like.md): `globalDelay` does the first two stages for the whole file
 * (envelope cross-correlation over ±MAX_DELAY_S, then GCC-PHAT — whitened cross-correlation summed
 * over the loudest 64 ms frame pairs — to the sample); `utteranceDelays` repeats both per utterance of
 * the reference within ±UTTERANCE_SEARCH_S of the file's delay, keeping the file's delay where the
 * utterance's correlation is weak. P.862's further splitting of utterances at delay changes inside
 * them and its "bad interval" realignment are not done.
 */
import { GccPhat } from '../../dsp/gcc-phat.js';

/** Largest delay searched, seconds (the design asks for at least 1 s). */
export const MAX_DELAY_S = 1;
/** Envelope block, seconds (P.862 §10.1.3.1: 4 ms). */
export const ENVELOPE_BLOCK_S = 0.004;
/** Fine alignment frame, seconds (P.862 §10.1.3.2: 64 ms). */
export const FINE_FRAME_S = 0.064;
/** Loudest frame pairs used for the fine alignment. */
export const FINE_FRAMES = 16;
/** Fine search range around the crude delay, in envelope blocks. */
export const FINE_RANGE_BLOCKS = 3;

/** log(max(E/mean E, 1)) per block: the envelope of the louder parts, insensitive to gain. */
function envelope(x: Float64Array, block: number, blocks: number): Float64Array {
  const e = new Float64Array(blocks);
  let sum = 0;
  for (let b = 0; b < blocks; b++) {
    let s = 0;
    const end = Math.min(x.length, (b + 1) * block);
    for (let i = b * block; i < end; i++) s += x[i] * x[i];
    e[b] = s;
    sum += s;
  }
  const thr = sum / blocks;
  for (let b = 0; b < blocks; b++) e[b] = thr > 0 && e[b] > thr ? Math.log(e[b] / thr) : 0;
  return e;
}

/**
 * Starts of the FINE_FRAMES frames (hop frame/2) within ref[from, to) with the most reference energy,
 * among those `usable` accepts (the matching deg frame lies inside deg).
 */
function loudestFrames(ref: Float64Array, from: number, to: number, frame: number, usable: (s: number) => boolean): number[] {
  const cands: { start: number; energy: number }[] = [];
  const half = frame / 2;
  const halfEnergy = (s: number): number => {
    let e = 0;
    for (let i = s; i < s + half; i++) e += ref[i] * ref[i];
    return e;
  };
  // Frames hop by half a frame: each frame's energy is the sum of two half-frame energies.
  let prev = from + frame <= to ? halfEnergy(from) : 0;
  for (let s = from; s + frame <= to; s += half) {
    const next = halfEnergy(s + half);
    const e = prev + next;
    prev = next;
    if (!usable(s)) continue;
    if (e > 0) cands.push({ start: s, energy: e });
  }
  cands.sort((a, b) => b.energy - a.energy);
  return cands.slice(0, FINE_FRAMES).map((c) => c.start);
}

/** Delay in samples such that deg[n] ≈ ref[n − delay]; 0 when no estimate is possible. */
export function globalDelay(ref: Float64Array, deg: Float64Array, sampleRate: number): number {
  const block = Math.round(ENVELOPE_BLOCK_S * sampleRate);
  const nr = Math.ceil(ref.length / block);
  const nd = Math.ceil(deg.length / block);
  const er = envelope(ref, block, nr);
  const ed = envelope(deg, block, nd);
  const maxLag = Math.min(Math.round(MAX_DELAY_S / ENVELOPE_BLOCK_S), Math.max(nr, nd));
  // corr[lag] = Σ_b er[b]·ed[b + lag]. The envelopes are zero below their mean, so only the reference's
  // non-zero blocks are visited; each lag's sum still runs over b in increasing order, so the sums are
  // the dense loop's to the bit.
  const corr = new Float64Array(2 * maxLag + 1);
  for (let b = 0; b < nr; b++) {
    const e = er[b];
    if (e === 0) continue;
    const lo = Math.max(-maxLag, -b);
    const hi = Math.min(maxLag, nd - 1 - b);
    for (let lag = lo; lag <= hi; lag++) corr[lag + maxLag] += e * ed[b + lag];
  }
  // Ties (e.g. no envelope at all) keep the lag nearest zero.
  const coarse = centredPeak(corr).lag * block;
  // Fine: whitened cross-correlation of the loudest 64 ms frame pairs around the crude delay.
  let frame = 256;
  while (frame < FINE_FRAME_S * sampleRate) frame *= 2;
  const fineLag = Math.min(FINE_RANGE_BLOCKS * block, frame / 2 - 1);
  const starts = loudestFrames(ref, 0, ref.length, frame, (s) => s + coarse >= 0 && s + coarse + frame <= deg.length);
  if (starts.length === 0) return coarse;
  const gcc = new GccPhat(frame, fineLag);
  for (const s of starts) gcc.accumulate(ref.subarray(s, s + frame), deg.subarray(s + coarse, s + coarse + frame));
  const est = gcc.estimate();
  return est ? coarse + est.delaySamples : coarse;
}

/** Utterance detection on the reference (P.862 §10.1.3.3): blocks above this fraction of the mean block energy are speech. */
export const UTTERANCE_ACTIVITY_FRACTION = 0.1;
/** Pauses shorter than this do not split an utterance, seconds. */
export const UTTERANCE_MIN_PAUSE_S = 0.2;
/** Utterances shorter than this keep the file's delay, seconds. */
export const UTTERANCE_MIN_LENGTH_S = 0.3;
/** Search range of an utterance's delay around the file's delay, seconds. */
export const UTTERANCE_SEARCH_S = 0.25;
/** An utterance's own delay is used only when its whitened correlation peak reaches this height. */
export const UTTERANCE_MIN_CONFIDENCE = 0.3;

export interface Utterance {
  /** Reference samples [start, end). */
  start: number;
  end: number;
  /** deg[n] ≈ ref[n − delay] within the utterance. */
  delay: number;
}

/** Speech utterances of the reference from its 4 ms block energies. */
export function findUtterances(ref: Float64Array, sampleRate: number): { start: number; end: number }[] {
  const block = Math.round(ENVELOPE_BLOCK_S * sampleRate);
  const blocks = Math.ceil(ref.length / block);
  const e = new Float64Array(blocks);
  let sum = 0;
  for (let b = 0; b < blocks; b++) {
    let s = 0;
    const end = Math.min(ref.length, (b + 1) * block);
    for (let i = b * block; i < end; i++) s += ref[i] * ref[i];
    e[b] = s;
    sum += s;
  }
  const thr = (UTTERANCE_ACTIVITY_FRACTION * sum) / blocks;
  const minPause = Math.round(UTTERANCE_MIN_PAUSE_S / ENVELOPE_BLOCK_S);
  const out: { start: number; end: number }[] = [];
  let b = 0;
  while (b < blocks) {
    if (!(e[b] > thr)) {
      b++;
      continue;
    }
    const first = b;
    let last = b;
    let quiet = 0;
    for (b = b + 1; b < blocks; b++) {
      if (e[b] > thr) {
        last = b;
        quiet = 0;
      } else if (++quiet >= minPause) break;
    }
    out.push({ start: first * block, end: Math.min(ref.length, (last + 1) * block) });
  }
  return out;
}

/**
 * Delay per utterance (P.862 §10.1.3.3, simplified): each utterance of the reference long enough gets
 * its own crude (envelope) and fine (GCC-PHAT) delay, searched within ±UTTERANCE_SEARCH_S of the
 * file's delay; an utterance whose correlation peak is weak keeps the file's delay.
 */
export function utteranceDelays(ref: Float64Array, deg: Float64Array, sampleRate: number, fileDelay: number): Utterance[] {
  const minLen = UTTERANCE_MIN_LENGTH_S * sampleRate;
  const range = Math.round(UTTERANCE_SEARCH_S * sampleRate);
  let frame = 256;
  while (frame < FINE_FRAME_S * sampleRate) frame *= 2;
  const out: Utterance[] = [];
  for (const u of findUtterances(ref, sampleRate)) {
    let delay = fileDelay;
    if (u.end - u.start >= minLen) {
      const local = localDelay(ref, deg, u.start, u.end, fileDelay, range, frame, sampleRate);
      if (local !== null) delay = local;
    }
    out.push({ ...u, delay });
  }
  return out;
}

function localDelay(
  ref: Float64Array,
  deg: Float64Array,
  start: number,
  end: number,
  around: number,
  range: number,
  frame: number,
  sampleRate: number,
): number | null {
  // Crude: envelope cross-correlation of the utterance against deg within ±range of `around`.
  const block = Math.round(ENVELOPE_BLOCK_S * sampleRate);
  const nb = Math.floor((end - start) / block);
  if (nb < 4) return null;
  // The loops are kernels of their own: inlined here, V8 compiled this function on-stack at them
  // before the later branches had feedback, and bailed out of that code on later utterances.
  const er = new Float64Array(nb);
  blockEnergies(ref, start, block, er);
  const lagBlocks = Math.floor(range / block);
  const ed = new Float64Array(nb + 2 * lagBlocks);
  blockEnergies(deg, start + around - lagBlocks * block, block, ed);
  compressEnvelope(er);
  compressEnvelope(ed);
  const corr = new Float64Array(2 * lagBlocks + 1);
  envelopeCorrelation(er, ed, corr);
  const peak = centredPeak(corr);
  const best = peak.value;
  const crude = peak.lag;
  if (!(best > 0)) return null;
  const coarse = around + crude * block;
  // Fine: GCC-PHAT over the utterance's loudest frames.
  const fineLag = Math.min(FINE_RANGE_BLOCKS * block, frame / 2 - 1);
  const starts = loudestFrames(ref, start, end, frame, (s) => s + coarse >= 0 && s + coarse + frame <= deg.length);
  if (starts.length === 0) return null;
  const gcc = new GccPhat(frame, fineLag);
  for (const s of starts) gcc.accumulate(ref.subarray(s, s + frame), deg.subarray(s + coarse, s + coarse + frame));
  const est = gcc.estimate();
  if (!est || est.confidence < UTTERANCE_MIN_CONFIDENCE) return null;
  return coarse + est.delaySamples;
}

/** out[b] = Σ x[i]² over [lo + b·block, lo + (b+1)·block), samples outside x counting as 0. */
function blockEnergies(x: Float64Array, lo: number, block: number, out: Float64Array): void {
  for (let b = 0; b < out.length; b++) {
    let s = 0;
    const from = lo + b * block;
    for (let i = Math.max(0, from); i < Math.min(x.length, from + block); i++) s += x[i] * x[i];
    out[b] = s;
  }
}

/** In place: log of the ratio to the mean where above the mean, else 0. */
function compressEnvelope(x: Float64Array): void {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  for (let i = 0; i < x.length; i++) x[i] = m > 0 && x[i] > m ? Math.log(x[i] / m) : 0;
}

/** corr[k] = Σ_b er[b]·ed[b + k], visiting only non-zero er blocks (same sums). */
function envelopeCorrelation(er: Float64Array, ed: Float64Array, corr: Float64Array): void {
  for (let b = 0; b < er.length; b++) {
    const e = er[b];
    if (e === 0) continue;
    for (let k = 0; k < corr.length; k++) corr[k] += e * ed[b + k];
  }
}

/** Largest corr[l + L] over l = −L..L (L = (corr.length − 1)/2); ties go to the smaller |l|. */
function centredPeak(corr: Float64Array): { value: number; lag: number } {
  const half = (corr.length - 1) / 2;
  let best = -Infinity;
  let lag = 0;
  for (let l = -half; l <= half; l++) {
    const s = corr[l + half];
    if (s > best || (s === best && Math.abs(l) < Math.abs(lag))) {
      best = s;
      lag = l;
    }
  }
  return { value: best, lag };
}

/**
 * Delay of each analysis frame (start m·hop, length nfft): the delay of the utterance holding the
 * frame's centre, or of the nearest utterance for frames in pauses.
 */
export function frameDelays(utterances: Utterance[], frames: number, hop: number, nfft: number, fileDelay: number): Int32Array {
  const d = new Int32Array(frames).fill(fileDelay);
  if (utterances.length === 0) return d;
  let u = 0;
  for (let m = 0; m < frames; m++) {
    const c = m * hop + nfft / 2;
    while (u + 1 < utterances.length && c >= utterances[u + 1].start) u++;
    // c lies after utterances[u].start (or before the first); pick the nearer of u and u + 1.
    let k = u;
    if (c >= utterances[u].end && u + 1 < utterances.length && utterances[u + 1].start - c < c - utterances[u].end) k = u + 1;
    d[m] = utterances[k].delay;
  }
  return d;
}

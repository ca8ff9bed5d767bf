/**
 * Scoring one recorded call condition. The page records, at the call's rate (48 kHz), the signal that
 * entered the call (sent: after the browser's processing) and the one that came out (received). Here
 * both are resampled to the clean file's rate and scored three ways with the offline analyzer
 * (`analyze`, `--align auto`, the `analyze --json` keys):
 *
 * - processing: clean vs sent (noisy as the input), what NS / AEC / AGC did;
 * - network: sent vs received, what Opus and the jitter buffer did;
 * - end to end: clean vs received (noisy as the input).
 *
 * With the noisy input given, the analyzer's own `noiseAttenuationDb` (noisy's noise level over the
 * output's, in the same pauses of the input: docs/reference-free.md) says how much noise the browser's
 * suppressor removed, and `speechLevelChangeDb` what it did to the speech.
 *
 * The input loops from an unknown instant (loop-align.ts), so the clean reference of sent and of
 * received is the looped clean read from the phase each recording is found at (at the call's rate,
 * each recording trimmed to start on the clean's sample grid); `analyze` aligns the rest. The delay track is the live engine's `DelayTracker` run over the recorded sent/received
 * pair: every accepted delay change of the network path, NetEq's steps included.
 */
import { analyze } from '../analysis/analyze.js';
import { toSummary } from '../analysis/summary.js';
import { resampleOct } from '../dsp/resample.js';
import { DelayTracker, type DelayUpdate } from '../live/delay-tracker.js';
import { loopOffset, rotate } from './loop-align.js';

/** Samples per block fed to the delay tracker (any size gives the same track). */
const TRACK_BLOCK = 1024;
/** analyze's delay search for the network pair, s (design.md: a delay up to 1 s must be found). */
const NETWORK_MAX_DELAY_SEC = 1;
/** Residual delay searched after the loop phase is known, s: the phase is exact to a few ms. */
const LOOP_RESIDUAL_MAX_DELAY_SEC = 0.1;

/** The input, one period of the loop, at the scoring rate, and the noisy loop at the call's rate. */
export interface LoopInput {
  sampleRate: number;
  clean: Float64Array;
  noisy: Float64Array;
  /** The noisy loop as the page plays it (at the recording's rate): its period is a whole number of samples at both rates. */
  noisyCall: Float64Array;
}

export interface DelayPoint {
  /** Position in the recording, s. */
  tSec: number;
  /** The tracker's delay at `tSec` (fractional samples, as ms). */
  delayMs: number;
  /** The clock drift the tracker follows, ppm. */
  driftPpm: number;
  /** The tracker's update kind: 'jump' is a step, 'lost' a stretch without a clear peak. */
  kind: DelayUpdate['kind'];
  confidence: number;
}

export interface DelayTrack {
  points: DelayPoint[];
  /** Accepted jumps (changes of more than a few samples): NetEq's delay steps. */
  steps: number;
  firstMs: number | null;
  lastMs: number | null;
  minMs: number | null;
  maxMs: number | null;
}

export type MetricJson = Record<string, unknown>;


export interface ConditionScore {
  processing: MetricJson | null;
  network: MetricJson | null;
  endToEnd: MetricJson | null;
  delayTrack: DelayTrack;
  /** Where in the loop the recordings start (s into the clean), and how sure. */
  alignment: { sentPhaseSec: number | null; receivedPhaseSec: number | null; sentConfidence: number | null; receivedConfidence: number | null };
  reasons: Record<string, string>;
}

/** The delay of received against sent through the recording, by the live engine's tracker. */
export function delayTrack(sent: Float64Array, received: Float64Array, sampleRate: number): DelayTrack {
  const tracker = new DelayTracker({ sampleRate, maxDelaySec: NETWORK_MAX_DELAY_SEC });
  const points: DelayPoint[] = [];
  const n = Math.min(sent.length, received.length);
  for (let pos = 0; pos < n; pos += TRACK_BLOCK) {
    const end = Math.min(n, pos + TRACK_BLOCK);
    const u = tracker.push(sent.subarray(pos, end), received.subarray(pos, end));
    if (u) points.push({ tSec: u.at / sampleRate, delayMs: (1000 * u.delayExact) / sampleRate, driftPpm: u.driftPpm, kind: u.kind, confidence: u.confidence });
  }
  const ms = points.map((p) => p.delayMs);
  return {
    points,
    steps: points.filter((p) => p.kind === 'jump').length,
    firstMs: ms.length ? ms[0] : null,
    lastMs: ms.length ? ms[ms.length - 1] : null,
    minMs: ms.length ? Math.min(...ms) : null,
    maxMs: ms.length ? Math.max(...ms) : null,
  };
}

function score(ref: Float64Array, deg: Float64Array, noisy: Float64Array | undefined, sampleRate: number, maxDelaySec: number, metrics?: string): MetricJson {
  const report = analyze({ sampleRate, refs: [ref], degs: [deg], noisy }, { align: 'auto', maxDelaySec, metrics });
  const out = toSummary(report);
  if (report.notes.length) out.notes = report.notes;
  return out;
}

/**
 * Score one condition. `sent` and `received` are the page's recordings at `recordedRate`, sample for
 * sample simultaneous; `loop` is the input at the scoring rate.
 */
export function scoreCondition(loop: LoopInput, recordedRate: number, sent48: Float64Array, received48: Float64Array, metrics?: string): ConditionScore {
  const fs = loop.sampleRate;
  const down = (x: Float64Array) => (fs === recordedRate ? x : resampleOct(x, fs, recordedRate));
  const reasons: Record<string, string> = {};
  const n = Math.min(sent48.length, received48.length);
  const residual = Math.min(LOOP_RESIDUAL_MAX_DELAY_SEC, (0.45 * loop.clean.length) / fs);
  const network = Math.min(NETWORK_MAX_DELAY_SEC, (0.45 * loop.clean.length) / fs);

  // Network + codec and the delay track: both recordings on their common grid, as captured.
  const sent = down(sent48.subarray(0, n));
  const received = down(received48.subarray(0, n));
  const m = Math.min(sent.length, received.length);
  const net = score(sent.subarray(0, m), received.subarray(0, m), undefined, fs, network, metrics);

  // Against the clean: each recording trimmed to start on a sample of the clean's grid.
  const sentOnGrid = onLoopGrid(loop, recordedRate, sent48.subarray(0, n));
  const recvOnGrid = onLoopGrid(loop, recordedRate, received48.subarray(0, n));
  const stage = (g: OnGrid, name: 'processing' | 'endToEnd', what: string): MetricJson | null => {
    if (g.phase === null) {
      reasons[name] = `${what}: ${g.reason}`;
      return null;
    }
    const rec = down(g.recording);
    return score(rotate(loop.clean, g.phase, rec.length), rec, rotate(loop.noisy, g.phase, rec.length), fs, residual, metrics);
  };
  return {
    processing: stage(sentOnGrid, 'processing', 'sent'),
    network: net,
    endToEnd: stage(recvOnGrid, 'endToEnd', 'received'),
    delayTrack: delayTrack(sent.subarray(0, m), received.subarray(0, m), fs),
    alignment: {
      sentPhaseSec: sentOnGrid.phase === null ? null : sentOnGrid.phase / fs,
      receivedPhaseSec: recvOnGrid.phase === null ? null : recvOnGrid.phase / fs,
      sentConfidence: sentOnGrid.confidence,
      receivedConfidence: recvOnGrid.confidence,
    },
    reasons,
  };
}

type OnGrid = { recording: Float64Array; phase: number; confidence: number } | { recording: null; phase: null; confidence: null; reason: string };

/**
 * Where a call-rate recording is in the loop, and the recording trimmed to start on a sample that is
 * also one of the clean's (at 48 kHz and 16 kHz every third sample): a start between two samples of
 * the clean would leave a fraction of a sample of misalignment (1/3 sample costs SI-SDR ~50 dB).
 * `phase` is then the trimmed recording's start in the loop, in samples at the scoring rate.
 */
function onLoopGrid(loop: LoopInput, recordedRate: number, rec: Float64Array): OnGrid {
  const found = loopOffset(loop.noisyCall, rec);
  if (found.offset === null) return { recording: null, phase: null, confidence: null, reason: found.reason };
  const g = gcd(loop.sampleRate, recordedRate);
  const unit = recordedRate / g; // call-rate samples per common grid step
  const trim = (unit - (found.offset % unit)) % unit;
  const phase = (((found.offset + trim) / unit) * (loop.sampleRate / g)) % loop.clean.length;
  return { recording: rec.subarray(trim), phase, confidence: found.confidence };
}

/** Greatest common divisor of two positive integers. */
export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

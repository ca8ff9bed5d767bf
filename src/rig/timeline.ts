/**
 * Metric-over-time series for the rig's HTML report: the captured streams run through the live
 * engine twice (noisy vs clean, processed vs clean) at its report rate, and the processed stream's
 * running delay estimate.
 */
import { createLiveEngineSession } from '../live/engine.js';
import type { MetricSample, WindowName } from '../live/types.js';

/** Series the report plots: metric and the live window it is read from. */
export const TIMELINE_METRICS: { metric: string; window: WindowName }[] = [
  { metric: 'sisdr', window: '1s' },
  { metric: 'stoi', window: '3s' },
];
/** Samples per block pushed into the engine (any size gives the same series). */
const BLOCK = 2048;
const REPORT_RATE_HZ = 10;

export interface Timeline {
  /** Stream time of each point, s. */
  t: number[];
  /** `${metric}` → values for the noisy input and the processed output (null: undefined there). */
  noisy: Record<string, (number | null)[]>;
  processed: Record<string, (number | null)[]>;
  /** The live engine's delay estimate for the processed stream, ms (null before it locks). */
  delayMs: (number | null)[];
}

function runSession(ref: Float64Array, deg: Float64Array, noisy: Float64Array, sampleRate: number): MetricSample[] {
  const session = createLiveEngineSession({ id: 'rig', sampleRate, withNoisy: true, reportRateHz: REPORT_RATE_HZ });
  const samples: MetricSample[] = [];
  const wanted = new Set([...TIMELINE_METRICS.map((m) => `${m.metric}/${m.window}`), 'delay/frame']);
  session.samples$.subscribe((s) => {
    if (wanted.has(`${s.metric}/${s.window}`)) samples.push(s);
  });
  for (let t0 = 0; t0 < ref.length; t0 += BLOCK) {
    const end = Math.min(ref.length, t0 + BLOCK);
    session.push({ t0, sampleRate, ref: ref.subarray(t0, end), deg: deg.subarray(t0, end), noisy: noisy.subarray(t0, end) });
  }
  session.end();
  return samples;
}

/** Run both sessions and line their samples up on one time axis. */
export function computeTimeline(ref: Float64Array, processed: Float64Array, noisy: Float64Array, sampleRate: number): Timeline {
  const a = runSession(ref, noisy, noisy, sampleRate);
  const b = runSession(ref, processed, noisy, sampleRate);
  // Both sessions report every 1/REPORT_RATE_HZ s of their deg stream; the processed one may lag by
  // the processor's delay, so points are matched to the nearest report tick.
  const tick = (t: number) => Math.round(t * REPORT_RATE_HZ);
  const times = [...new Set([...a, ...b].map((s) => tick(s.t)))].sort((x, y) => x - y);
  const index = new Map(times.map((t, i) => [t, i]));
  const column = () => new Array<number | null>(times.length).fill(null);
  const out: Timeline = { t: times.map((t) => t / REPORT_RATE_HZ), noisy: {}, processed: {}, delayMs: column() };
  for (const { metric } of TIMELINE_METRICS) {
    out.noisy[metric] = column();
    out.processed[metric] = column();
  }
  const fill = (samples: MetricSample[], into: Record<string, (number | null)[]>, withDelay: boolean) => {
    for (const s of samples) {
      const i = index.get(tick(s.t))!;
      if (s.metric === 'delay') {
        if (withDelay) out.delayMs[i] = s.value;
      } else into[s.metric][i] = s.value;
    }
  };
  fill(a, out.noisy, false);
  fill(b, out.processed, true);
  return out;
}

/**
 * How the live engine windows each metric family, by the registry's live policy (src/metrics/registry.ts):
 * - `sums` (SNR, MSE, SI-SDR, wSDR): ratios of sums; a window merges its hops' sums, `total` is one
 *   accumulator over everything (identical to the offline value for the same alignment);
 * - `frames` (segmental SNR, LSD, spectral cosine, STOI, ESTOI): means of per-frame (per-segment)
 *   values; `frame` is the latest frame, windows average their frames. STOI's silence removal uses a
 *   running loudest-frame estimate (LiveStoiAccumulator, docs/live.md);
 * - `refresh` (CI-SDR, PMSQE, PESQ-like, reference-free, quality index): recomputed every few seconds
 *   of stream over their window, at a phase chosen per session;
 * - `offline`: whole-stream only, in `earshot analyze` (the summary says so).
 * The accumulators are the same classes the offline analysis uses; they read the same front end.
 */
import { perceptualRate, type FrontEnd, type PairBlock, STFT32_SE_SPAN, STOI_RATE_HZ } from '../features/front-end.js';
import { CiSdrAccumulator } from '../metrics/ci-sdr.js';
import type { MetricResult } from '../metrics/families.js';
import { pesqLike } from '../metrics/pesq/index.js';
import { PMSQE_SE_SPAN, PmsqeAccumulator } from '../metrics/pmsqe.js';
import { standardErrorOf } from '../metrics/running-stats.js';
import { qualityIndex } from '../metrics/quality-index.js';
import { ReferenceFreeSet } from '../metrics/reference-free/index.js';
import type { ReferenceFreeMetrics } from '../metrics/reference-free/types.js';
import { metricDefinition, type MetricFamily, type MetricSelection } from '../metrics/registry.js';
import { SEGSNR_SE_SPAN, SegSnrAccumulator } from '../metrics/segsnr.js';
import { SiSdrAccumulator } from '../metrics/si-sdr.js';
import { SnrAccumulator } from '../metrics/snr.js';
import { SpectralAccumulator } from '../metrics/spectral.js';
import { LiveStoiAccumulator } from '../metrics/stoi-live.js';
import { STOI_SE_SPAN } from '../metrics/stoi.js';
import type { MetricValue } from '../metrics/types.js';
import { WsdrAccumulator } from '../metrics/wsdr.js';
import { Refresh } from './refresh.js';
import type { WindowName } from './types.js';
import { FrameWindows, SumWindows, type SumAccumulator } from './windows.js';

export const SLIDING: readonly WindowName[] = ['1s', '3s', '10s'];
/** PMSQE's live window (it normalises levels over the frames it scores): the last 10 s. */
const PMSQE_WINDOW_SEC = 10;
/** PMSQE frames per second (hop N/2 = 16 ms at both 8 and 16 kHz). */
const PMSQE_FRAMES_PER_SEC = 62.5;
/**
 * Live PESQ-like: the last 10 s (P.862.3 asks for speech samples of 8–12 s). Until the session has
 * 10 s, the value covers what there is, from PESQ_FIRST_SEC on, refreshed every PESQ_EARLY_EVERY_SEC,
 * and says so ("over the last 5.9 s"); after that every 10 s at the session's phase (registry policy).
 * 3.2 s is 8 s at P.862.3's lowest share of active speech (40 %): less than that is no longer a
 * sample P.862's guidance covers, though the model scores it. The model itself returns null with a
 * reason only below its minimum of active speech (src/metrics/pesq, MIN_ACTIVE_SECONDS).
 */
export const PESQ_WINDOW_SEC = 10;
export const PESQ_FIRST_SEC = 3.2;
export const PESQ_EARLY_EVERY_SEC = 2;

/** What a family needs from the engine at each report. */
export interface ReportContext {
  /** Stream time of the report (s). */
  t: number;
  /** The stream has ended (final report). */
  ended: boolean;
  /** Hops in a sliding window. */
  hops(window: WindowName): number;
  emit(key: string, window: WindowName, v: MetricValue, uncertainty: number | null): void;
}

export interface LiveFamily {
  /** Emit this report's samples. */
  report(ctx: ReportContext): void;
  /** Values over the whole stream (the summary). */
  totals(): Record<string, MetricResult>;
  /** Inputs of the quality index over `window` (value and standard error per key). */
  qualityInputs?(ctx: ReportContext, window: WindowName): Record<string, { value: number | null; uncertainty: number | null }>;
  /** A hop ended: open a new slot in the hop rings. */
  advance?(): void;
  /** The stream ended (before the final report). */
  end?(): void;
}

export interface LiveFamilyContext {
  fe: FrontEnd;
  sampleRate: number;
  withNoisy: boolean;
  /** Hop slots in the rings (the longest window plus one). */
  slots: number;
  /** The session's phase in [0, 1) for refresh scheduling. */
  phase: number;
  selection: MetricSelection;
}

const refreshEvery = (key: string): number => {
  const p = metricDefinition(key)!.live;
  return p.kind === 'refresh' ? p.everySec : 0;
};

/** A `sums` family: one hop ring of accumulators, read by one or more keys (one merge per window for all). */
function sumsFamily<A extends SumAccumulator<A>>(c: LiveFamilyContext, make: () => A, keys: [string, (a: A) => MetricValue][]): LiveFamily {
  const w = new SumWindows(make, c.slots);
  c.fe.onSamples(w);
  const selected = keys.filter(([k]) => c.selection.computed.has(k));
  const reads = selected.map(([, read]) => read);
  return {
    report(ctx) {
      for (const win of SLIDING) {
        const r = w.window(ctx.hops(win), reads);
        selected.forEach(([key], i) => ctx.emit(key, win, r[i].value, r[i].uncertainty));
      }
      for (const [key, read] of selected) ctx.emit(key, 'total', read(w.total), null);
    },
    totals: () => Object.fromEntries(selected.map(([k, read]) => [k, read(w.total)])),
    qualityInputs(ctx, win) {
      const r = w.window(ctx.hops(win), reads);
      return Object.fromEntries(selected.map(([key], i) => [key, { value: r[i].value.value, uncertainty: r[i].uncertainty }]));
    },
    advance: () => w.advance(),
  };
}

/**
 * A `frames` family: per-frame values of its keys into hop rings, totals from the accumulator.
 * `span`: how many of the values' frames overlap (the standard-error span, as the accumulator's own).
 */
function framesFamily(
  c: LiveFamilyContext,
  keys: string[],
  span: number,
  attach: (add: ((v: number) => void)[]) => { totals(): Record<string, MetricResult>; end?(): void },
): LiveFamily {
  const windows = keys.map(() => new FrameWindows(c.slots, span));
  const acc = attach(windows.map((w) => (v: number) => w.add(v)));
  const selected = keys.map((k, i) => [k, windows[i]] as const).filter(([k]) => c.selection.computed.has(k));
  return {
    report(ctx) {
      const totals = acc.totals();
      for (const [key, f] of selected) {
        if (f.latest !== null) ctx.emit(key, 'frame', { value: f.latest }, null);
        for (const win of SLIDING) {
          const r = f.window(ctx.hops(win));
          ctx.emit(key, win, r.value, r.uncertainty);
        }
        ctx.emit(key, 'total', totals[key], totals[key].uncertainty ?? null);
      }
    },
    totals: () => {
      const t = acc.totals();
      return Object.fromEntries(selected.map(([k]) => [k, t[k]]));
    },
    qualityInputs(ctx, win) {
      const out: Record<string, { value: number | null; uncertainty: number | null }> = {};
      for (const [key, f] of selected) {
        const r = f.window(ctx.hops(win));
        out[key] = { value: r.value.value, uncertainty: r.uncertainty };
      }
      return out;
    },
    advance: () => {
      for (const w of windows) w.advance();
    },
    end: acc.end,
  };
}

/** The last `seconds` of aligned ref/deg at the perceptual rate, for the PESQ-like model (float32 ring). */
class RecentAudio {
  private readonly ref: Float32Array;
  private readonly deg: Float32Array;
  /** Samples written since the start. */
  written = 0;
  constructor(rate: number, seconds: number) {
    this.ref = new Float32Array(Math.round(seconds * rate));
    this.deg = new Float32Array(this.ref.length);
  }
  get capacity(): number {
    return this.ref.length;
  }
  update({ ref, deg }: PairBlock): void {
    // Block copies (float64 → float32 rounds as an element store does), in pieces up to the wrap.
    const cap = this.ref.length;
    const n = ref.length;
    for (let i = 0; i < n; ) {
      const j = (this.written + i) % cap;
      const take = Math.min(n - i, cap - j);
      this.ref.set(ref.subarray(i, i + take), j);
      this.deg.set(deg.subarray(i, i + take), j);
      i += take;
    }
    this.written += n;
  }
  /** The held audio in time order (allocates: called every few seconds, not per block). */
  snapshot(): { ref: Float64Array; deg: Float64Array } {
    const cap = this.ref.length;
    const n = Math.min(cap, this.written);
    const ref = new Float64Array(n);
    const deg = new Float64Array(n);
    const from = (this.written - n) % cap;
    const first = Math.min(n, cap - from);
    ref.set(this.ref.subarray(from, from + first), 0);
    deg.set(this.deg.subarray(from, from + first), 0);
    if (first < n) {
      ref.set(this.ref.subarray(0, n - first), first);
      deg.set(this.deg.subarray(0, n - first), first);
    }
    return { ref, deg };
  }
}

/** A `refresh` family: `compute` every `everySec` of stream, the last value emitted on every report. */
function refreshFamily(
  c: LiveFamilyContext,
  key: string,
  window: WindowName,
  compute: () => MetricResult,
  firstAfterPeriods: number,
  total: () => MetricResult,
  freshAtEnd = true,
): LiveFamily & { last(): MetricResult } {
  const refresh = new Refresh(refreshEvery(key), c.phase, firstAfterPeriods);
  let last: MetricResult = { value: null, reason: 'not computed yet' };
  return {
    report(ctx) {
      if (refresh.due(ctx.t) || (ctx.ended && last.value === null)) last = compute();
      ctx.emit(key, window, last, last.uncertainty ?? null);
    },
    totals: () => ({ [key]: total() }),
    // The final report carries a fresh value (PESQ-like only if it has none: its window is 10 s).
    end: () => {
      if (freshAtEnd) refresh.force();
    },
    last: () => last,
  };
}

type LiveFactory = (c: LiveFamilyContext) => LiveFamily;

const LIVE_FACTORIES: Partial<Record<MetricFamily, LiveFactory>> = {
  energy: (c) =>
    sumsFamily(c, () => new SnrAccumulator(), [
      ['snr', (a) => a.compute()],
      ['mse', (a) => a.computeMse()],
    ]),
  sisdr: (c) => sumsFamily(c, () => new SiSdrAccumulator(), [['sisdr', (a) => a.compute()]]),
  wsdr: (c) => {
    if (c.withNoisy) return sumsFamily(c, () => new WsdrAccumulator(), [['wsdr', (a) => a.compute()]]);
    const why = { value: null, reason: 'needs the noisy input (--noisy)' };
    return { report: (ctx) => ctx.emit('wsdr', 'total', why, null), totals: () => ({ wsdr: why }) };
  },
  segsnr: (c) =>
    framesFamily(c, ['segsnr'], SEGSNR_SE_SPAN, ([add]) => {
      const acc = new SegSnrAccumulator(c.sampleRate, add, { framer: false });
      c.fe.onSepmFrames(acc);
      return { totals: () => ({ segsnr: acc.compute(c.fe.samples) }) };
    }),
  spectral: (c) =>
    framesFamily(c, ['lsd', 'cosine'], STFT32_SE_SPAN, ([addLsd, addCos]) => {
      const acc = new SpectralAccumulator(c.fe, (lsd, cos) => {
        addLsd(lsd);
        addCos(cos);
      });
      return { totals: () => ({ ...acc.compute() }) };
    }),
  stoi: (c) =>
    framesFamily(c, ['stoi', 'estoi'], STOI_SE_SPAN, ([addStoi, addEstoi]) => {
      // The front end resamples to 10 kHz; the accumulator frames and judges silence.
      const acc = new LiveStoiAccumulator(STOI_RATE_HZ, (s, e) => {
        addStoi(s);
        addEstoi(e);
      });
      c.fe.onStoiRate(acc);
      return { totals: () => ({ ...acc.compute() }), end: () => acc.flush() };
    }),
  cisdr: (c) => {
    const acc = new CiSdrAccumulator();
    c.fe.onSamples(acc);
    // A 512-tap Toeplitz solve (~1–3 ms) per value: refreshed every few seconds, whole stream.
    return refreshFamily(c, 'cisdr', 'total', () => acc.compute(), -1, () => acc.compute());
  },
  pmsqe: (c) => {
    const rate = perceptualRate(c.sampleRate);
    const acc = new PmsqeAccumulator({ sampleRate: rate, windowFrames: Math.round(PMSQE_WINDOW_SEC * PMSQE_FRAMES_PER_SEC) });
    c.fe.onPerceptualRate(acc);
    const compute = (): MetricResult => {
      const v = acc.compute();
      const stats = acc.frameStats();
      return { ...v, uncertainty: stats && stats.variance !== null ? standardErrorOf(stats.variance, stats.count, PMSQE_SE_SPAN) : null };
    };
    const why = { value: null, reason: 'live PMSQE covers the last 10 s only (it normalises over all scored frames); run earshot analyze for the whole stream' };
    return refreshFamily(c, 'pmsqe', '10s', compute, -1, () => why);
  },
  pesq: (c) => livePesq(c),
};

/** The live PESQ-like family (pesq and pesqRaw from one call): see PESQ_WINDOW_SEC. */
function livePesq(c: LiveFamilyContext): LiveFamily {
  const rate = perceptualRate(c.sampleRate);
  const recent = new RecentAudio(rate, PESQ_WINDOW_SEC);
  c.fe.onPerceptualRate(recent);
  const refresh = new Refresh(refreshEvery('pesq'), c.phase, -0.5);
  let last: MetricResult = { value: null, reason: 'not computed yet' };
  let raw: MetricResult = last;
  let lastAt = -Infinity;
  let heldAtLast = 0;
  const compute = (): void => {
    const a = recent.snapshot();
    heldAtLast = a.ref.length;
    const r = pesqLike(a.ref, a.deg, rate, rate >= 16000 ? 'wb' : 'nb');
    // Shorter than the window: the value is over what there is, and says how long that was.
    const span = heldAtLast < recent.capacity ? `over the last ${(heldAtLast / rate).toFixed(1)} s (the live window is ${PESQ_WINDOW_SEC} s)` : undefined;
    const qualify = (v: number): MetricResult => (span ? { value: v, reason: span } : { value: v });
    last = r.value === null ? { value: null, reason: r.reason } : qualify(r.value);
    raw = r.value === null ? { value: null, reason: r.reason } : qualify(r.raw!);
  };
  const wholeSession = (): boolean => recent.written <= recent.capacity && recent.written > 0;
  return {
    report(ctx) {
      const held = Math.min(recent.written, recent.capacity) / rate;
      let due: boolean;
      if (recent.written < recent.capacity) {
        due = held >= PESQ_FIRST_SEC && ctx.t - lastAt >= PESQ_EARLY_EVERY_SEC;
        // Keep the regular schedule's clock from firing at once when the window fills.
        refresh.due(ctx.t);
      } else due = refresh.due(ctx.t);
      // The final report of a session that fits in the window scores all of it.
      if (ctx.ended && wholeSession() && heldAtLast !== recent.written) due = true;
      if (ctx.ended && last.value === null && held > 0) due = true;
      if (due) {
        compute();
        lastAt = ctx.t;
      }
      ctx.emit('pesq', '10s', last, null);
      ctx.emit('pesqRaw', '10s', raw, null);
    },
    totals: () => {
      // A session no longer than the window is all in it: its total is the last value over all of it.
      if (wholeSession() && heldAtLast === recent.written) return { pesq: wholeOf(last), pesqRaw: wholeOf(raw) };
      const why = { value: null, reason: 'live PESQ-like covers the last 10 s only; run earshot analyze for the whole stream' };
      return { pesq: why, pesqRaw: why };
    },
  };
}

/** A value over the whole session (it fitted in the window) says so, as the summary's reason. */
const wholeOf = (r: MetricResult): MetricResult => (r.value === null ? r : { value: r.value, reason: 'over the whole session (live, float32 audio)' });

/** Reference-free measures of the aligned deg (and noisy), refreshed every second, whole stream. */
export class LiveReferenceFree {
  private readonly set: ReferenceFreeSet;
  private last: ReferenceFreeMetrics | null = null;
  private readonly refresh: Refresh;
  constructor(c: LiveFamilyContext, readonly keys: readonly string[]) {
    this.set = new ReferenceFreeSet({ sampleRate: c.sampleRate, withNoisy: c.withNoisy });
    c.fe.onSamples({ update: (b) => this.set.update({ deg: b.deg, noisy: b.noisy }) });
    this.refresh = new Refresh(refreshEvery('speechActivity'), 0, -Infinity);
  }
  report(ctx: ReportContext): void {
    if (this.refresh.due(ctx.t) || ctx.ended || !this.last) this.last = this.set.compute();
    for (const key of this.keys) ctx.emit(key, 'total', this.last[key as keyof ReferenceFreeMetrics] as MetricValue, null);
  }
  compute(): ReferenceFreeMetrics {
    return this.set.compute();
  }
}

/** The live families of a selection (keys with an `offline` policy have none). */
export function createLiveFamilies(c: LiveFamilyContext): Map<MetricFamily, LiveFamily & { last?(): MetricResult }> {
  const out = new Map<MetricFamily, LiveFamily & { last?(): MetricResult }>();
  for (const f of c.selection.families) {
    const make = LIVE_FACTORIES[f];
    if (make) out.set(f, make(c));
  }
  return out;
}

/** The quality index over 3 s and 10 s from the windowed values of the families that have them. */
export function reportQualityIndex(ctx: ReportContext, families: Map<MetricFamily, LiveFamily & { last?(): MetricResult }>): void {
  for (const win of ['3s', '10s'] as const) {
    const inputs: Record<string, { value: number | null; uncertainty: number | null }> = {};
    for (const f of families.values()) if (f.qualityInputs) Object.assign(inputs, f.qualityInputs(ctx, win));
    const pmsqe = families.get('pmsqe')?.last?.();
    if (win === '10s' && pmsqe) inputs.pmsqe = { value: pmsqe.value, uncertainty: pmsqe.uncertainty ?? null };
    const q = qualityIndex(inputs);
    ctx.emit('qindex', win, q, q.uncertainty);
  }
}

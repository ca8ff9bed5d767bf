/**
 * The live engine: captured blocks in, repaired (input-guard.ts), aligned (aligner.ts), through the
 * session's one feature front end and the selected metric families (live-families.ts), out as metric
 * samples for windows `frame`, `1s`, `3s`, `10s` and `total` at a fixed report rate (default 10 per
 * second of stream time), plus delay events and a final summary with the keys of `earshot analyze --json`.
 *
 * Which metrics run and how each is windowed come from the registry (src/metrics/registry.ts): its
 * live policy per key, and `options.metrics` (`--metrics`) for the selection. `delay` (ms) is reported
 * per hop with window `frame`; `qindex` combines the 3 s and 10 s windows of the metrics that carry a
 * standard error.
 */
import { Subject } from 'rxjs';
import { toSummaryRecord } from '../analysis/summary.js';
import { earshotError } from '../errors.js';
import { FrontEnd } from '../features/front-end.js';
import { Spectrogram, type SpectrumColumn } from '../features/spectrogram.js';
import type { MetricResult } from '../metrics/families.js';
import { REFERENCE_FREE_METRIC_KEYS, metricRegistry, selectMetrics, type MetricFamily, type MetricSelection } from '../metrics/registry.js';
import type { MetricValue } from '../metrics/types.js';
import { SASDR_ONE_SPEAKER_REASON } from '../analysis/metric-info.js';
import type { StreamBlock } from '../stream/types.js';
import { Aligner, type AlignedChunk } from './aligner.js';
import { InputGuard } from './input-guard.js';
import { LiveReferenceFree, createLiveFamilies, reportQualityIndex, type LiveFamily, type ReportContext } from './live-families.js';
import { sessionPhase } from './refresh.js';
import type { DelayEvent, LiveEngineOptions, LiveEngineSession, MetricSample, SummaryRecord, WindowName } from './types.js';
import { WINDOW_SECONDS } from './types.js';

export function createLiveEngineSession(options: LiveEngineOptions): LiveEngineSession {
  return new LiveEngine(options);
}

const NOT_REQUESTED = 'not requested (--metrics)';
const OFFLINE_ONLY = 'offline only: run earshot analyze on a recording';

class LiveEngine implements LiveEngineSession {
  readonly id: string;
  readonly sampleRate: number;
  readonly samples$ = new Subject<MetricSample>();
  readonly delays$ = new Subject<DelayEvent>();
  readonly summary$ = new Subject<SummaryRecord>();
  readonly spectra$ = new Subject<SpectrumColumn>();
  private readonly withNoisy: boolean;
  private readonly hop: number;
  private readonly hopsPerSec: number;
  private readonly selection: MetricSelection;
  private readonly guard: InputGuard;
  private readonly aligner: Aligner;
  private readonly fe: FrontEnd;
  private readonly families: Map<MetricFamily, LiveFamily & { last?(): MetricResult }>;
  private readonly referenceFree: LiveReferenceFree | null;
  private readonly ctx: ReportContext;
  private readonly delayTrack: { t: number; delayMs: number }[] = [];
  private inHop = 0;
  private degEnd = 0;
  private ended = false;

  constructor(options: LiveEngineOptions) {
    const fs = options.sampleRate;
    if (!Number.isInteger(fs) || fs < 8000 || fs > 48000) {
      throw earshotError('ERR_SAMPLE_RATE', `live engine supports 8000..48000 Hz, got ${fs}`);
    }
    this.id = options.id;
    this.sampleRate = fs;
    this.withNoisy = options.withNoisy;
    this.selection = selectMetrics(options.metrics);
    const rate = options.reportRateHz ?? 10;
    if (!(rate > 0 && rate <= 100)) throw earshotError('ERR_INVALID_ARGUMENT', `report rate must be in (0, 100] Hz, got ${rate}`);
    this.hop = Math.max(1, Math.round(fs / rate));
    this.hopsPerSec = fs / this.hop;
    const slots = Math.ceil(10 * this.hopsPerSec) + 1;
    this.fe = new FrontEnd(fs);
    const c = { fe: this.fe, sampleRate: fs, withNoisy: this.withNoisy, slots, phase: sessionPhase(options.id), selection: this.selection };
    this.families = createLiveFamilies(c);
    const spectrumRate = options.spectrumRateHz ?? 0;
    if (!(spectrumRate >= 0 && spectrumRate <= 100)) throw earshotError('ERR_INVALID_ARGUMENT', `spectrum rate must be in [0, 100] Hz, got ${spectrumRate}`);
    if (spectrumRate > 0) new Spectrogram(this.fe, (col) => this.spectra$.next(col), spectrumRate);
    const rfKeys = REFERENCE_FREE_METRIC_KEYS.filter((k) => this.selection.requested.has(k));
    this.referenceFree = rfKeys.length ? new LiveReferenceFree(c, rfKeys) : null;
    const hopsOf = new Map<WindowName, number>(Object.entries(WINDOW_SECONDS).map(([w, sec]) => [w as WindowName, Math.round(sec! * this.hopsPerSec)]));
    this.ctx = {
      t: 0,
      ended: false,
      hops: (w) => hopsOf.get(w) ?? 1,
      emit: (metric, window, v, uncertainty) => this.emit(metric, window, v, uncertainty),
    };
    this.guard = new InputGuard(fs, this.withNoisy, (ref, deg, noisy) => this.aligner.push({ t0: this.guard.expectedT0 - ref.length, sampleRate: fs, ref, deg, noisy }), (t, reason) =>
      this.samples$.next({ session: this.id, t, metric: 'input', window: 'frame', value: null, uncertainty: null, reason }),
    );
    this.aligner = new Aligner(
      { sampleRate: fs, withNoisy: this.withNoisy },
      {
        onChunk: (chunk) => this.onAligned(chunk),
        onDelay: (u) => {
          // The summary's delay track: each lock and jump (start s of deg, delay ms), as offline.
          // t: the deg sample from which the delay applies (for the first, the first scored sample).
          const d = this.aligner.currentDelay;
          if ((u.kind === 'initial' || u.kind === 'jump') && d !== null) this.delayTrack.push({ t: this.aligner.position / fs, delayMs: (1000 * d) / fs });
          this.delays$.next({
            session: this.id,
            t: u.at / fs,
            delayMs: (1000 * u.delayExact) / fs,
            delaySamples: u.delaySamples,
            driftPpm: u.driftPpm,
            confidence: u.confidence,
            kind: u.kind,
          });
        },
      },
    );
  }

  /**
   * Feed one captured block. Bad input never ends the stream (see input-guard.ts): it is repaired
   * where that is well-defined and reported as a sample `{metric: 'input', value: null, reason}`.
   * Only pushing after `end()` throws (a programming error).
   */
  push(block: StreamBlock): void {
    if (this.ended) throw earshotError('ERR_INVALID_ARGUMENT', `session ${this.id} has ended`);
    this.guard.push(block);
  }

  end(): void {
    if (this.ended) return;
    this.aligner.end();
    this.fe.end();
    for (const f of this.families.values()) f.end?.();
    this.ended = true;
    this.report();
    this.summary$.next(this.summary());
    this.spectra$.complete();
    this.samples$.complete();
    this.delays$.complete();
    this.summary$.complete();
  }

  private onAligned(chunk: AlignedChunk): void {
    let pos = 0;
    const n = chunk.ref.length;
    while (pos < n) {
      const take = Math.min(n - pos, this.hop - this.inHop);
      this.fe.push({ ref: chunk.ref.subarray(pos, pos + take), deg: chunk.deg.subarray(pos, pos + take), noisy: chunk.noisy?.subarray(pos, pos + take) });
      this.inHop += take;
      pos += take;
      this.degEnd = chunk.degEnd - (n - pos);
      if (this.inHop === this.hop) {
        this.report();
        this.inHop = 0;
        for (const f of this.families.values()) f.advance?.();
      }
    }
  }

  private emit(metric: string, window: WindowName, v: MetricValue, uncertainty: number | null): void {
    const sample: MetricSample = { session: this.id, t: this.ctx.t, metric, window, value: v.value, uncertainty: v.value === null ? null : uncertainty };
    // A null's excuse, or what qualifies a value (e.g. PESQ-like "over the last 5.9 s").
    if (v.reason) sample.reason = v.reason;
    this.samples$.next(sample);
  }

  private report(): void {
    const ctx = this.ctx;
    ctx.t = this.degEnd / this.sampleRate;
    ctx.ended = this.ended;
    for (const f of this.families.values()) f.report(ctx);
    this.referenceFree?.report(ctx);
    if (this.selection.requested.has('qindex')) reportQualityIndex(ctx, this.families);
    const d = this.aligner.currentDelay;
    this.emit('delay', 'frame', d === null ? { value: null, reason: 'delay not locked yet' } : { value: (1000 * d) / this.sampleRate }, null);
  }

  private summary(): SummaryRecord {
    const values: Record<string, MetricValue> = {};
    for (const f of this.families.values()) Object.assign(values, f.totals());
    values.sasdr = { value: null, reason: SASDR_ONE_SPEAKER_REASON };
    const rf = this.referenceFree?.compute();
    for (const d of metricRegistry) {
      if (!this.selection.requested.has(d.key)) values[d.key] = { value: null, reason: NOT_REQUESTED };
      else if (d.kind === 'reference-free') values[d.key] = rf![d.key as keyof typeof rf] as MetricValue;
      else values[d.key] ??= { value: null, reason: OFFLINE_ONLY };
    }
    const d = this.aligner.currentDelay;
    return toSummaryRecord(this.id, values, {
      dropoutTimes: rf?.dropoutTimes ?? [],
      repeatedFrameTimes: rf?.repeatedFrameTimes ?? [],
      sampleRate: this.sampleRate,
      durationSec: this.fe.samples / this.sampleRate,
      delayMs: d === null ? null : (1000 * d) / this.sampleRate,
      driftPpm: d === null ? null : this.aligner.driftPpm,
      delayTrack: d === null ? null : this.delayTrack,
    });
  }
}

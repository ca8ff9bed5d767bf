/**
 * The live engine: captured blocks in, aligned, through the same accumulators as the offline
 * analysis, out as metric samples for windows `frame`, `1s`, `3s`, `10s` and `total` at a fixed
 * report rate (default 10 per second of stream time), plus delay events and a final summary with the
 * keys of `earshot analyze --json`.
 *
 * How each metric is windowed:
 * - SNR, MSE, SI-SDR, wSDR are ratios of sums: each hop has its own accumulator, a window merges its
 *   hops' sums, and `total` is one accumulator over everything (identical to the offline value for the
 *   same alignment). Uncertainty: standard error of the per-hop values in the window.
 * - segmental SNR, LSD, spectral cosine are means of per-frame values: the offline accumulator runs for
 *   `total` and hands each frame's value to the hop it falls in; `frame` is the latest frame.
 * - STOI, ESTOI are means of per-segment values (384 ms segments), with a running loudest-frame
 *   estimate for silence removal (LiveStoiAccumulator); `frame` is the latest segment.
 * - CI-SDR needs a 512×512 Toeplitz solve per value, so it is reported for `total` only, refreshed
 *   every 2 s of stream (and at the end).
 * - `delay` (ms) is reported per hop with window `frame`.
 * - PMSQE normalises levels over all the frames it scores, so live it is scored over the last 10 s
 *   (`10s` window, recomputed every 5 s); its `total` would need every frame kept: null.
 * - The PESQ-like estimate runs on the last 10 s of aligned audio (resampled to 16 kHz when faster),
 *   refreshed every 10 s of stream (`10s` window); composites and `total` are offline-only.
 * - `qindex` combines the 3 s and 10 s windows of the metrics that carry a standard error.
 * - Reference-free measures of deg (docs/reference-free.md) run on the aligned deg (and noisy), and
 *   are reported for `total`, refreshed once per second of stream.
 */
import { Subject } from 'rxjs';
import { CiSdrAccumulator } from '../metrics/ci-sdr.js';
import { RunningStats } from '../metrics/running-stats.js';
import { SegSnrAccumulator } from '../metrics/segsnr.js';
import { SiSdrAccumulator } from '../metrics/si-sdr.js';
import { SnrAccumulator } from '../metrics/snr.js';
import { SpectralAccumulator } from '../metrics/spectral.js';
import { LiveStoiAccumulator } from '../metrics/stoi-live.js';
import type { MetricValue } from '../metrics/types.js';
import { WsdrAccumulator } from '../metrics/wsdr.js';
import type { StreamBlock } from '../stream/types.js';
import { Aligner, type AlignedChunk } from './aligner.js';
import { HopRingOf } from './windows.js';
import type { DelayEvent, LiveEngineOptions, LiveEngineSession, MetricSample, SummaryRecord, WindowName } from './types.js';
import { WINDOW_SECONDS } from './types.js';
import { earshotError } from '../errors.js';
import { METRIC_KEYS, REFERENCE_FREE_LIST_KEYS, REFERENCE_FREE_VALUE_KEYS, SASDR_ONE_SPEAKER_REASON } from '../analysis/metric-info.js';
import { ReferenceFreeSet } from '../metrics/reference-free/index.js';
import type { ReferenceFreeMetrics } from '../metrics/reference-free/types.js';
import { ResampledPmsqe } from '../analysis/metric-set.js';
import { createResamplerPair, octaveResamplerDesign, type PairResampler } from '../dsp/resample.js';
import { pesqLike } from '../metrics/pesq/index.js';
import { qualityIndex } from '../metrics/quality-index.js';

const SLIDING: WindowName[] = ['1s', '3s', '10s'];
/** Longest t0 gap filled with silence (longer ones: the rest is skipped, so memory stays bounded). */
const MAX_GAP_FILL_SEC = 10;

/** A stable number in [0, 1) from a session id (FNV-1a). */
function sessionPhase(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h / 4294967296;
}

function countNonFinite(x: Float64Array): number {
  let bad = 0;
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) bad++;
  return bad;
}

function finiteCopy(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Number.isFinite(x[i]) ? x[i] : 0;
  return out;
}
/** PMSQE rescoring the 10 s window costs ~10× its new frames when done every second: every 5 s. */
const PMSQE_REFRESH_SEC = 5;
const PESQ_WINDOW_SEC = 10;
/** Non-overlapping 10 s windows: the PESQ-like model is the costliest live metric (~2 ms per second of audio). */
const PESQ_REFRESH_SEC = 10;
const PESQ_MAX_RATE = 16000;

/** The last `seconds` of aligned ref/deg (float32, resampled down to 16 kHz above it) for PESQ. */
class RecentAudio {
  readonly rate: number;
  private readonly ref: Float32Array;
  private readonly deg: Float32Array;
  private written = 0;
  private readonly resampler: PairResampler | null;
  private bufA = new Float64Array(4096);
  private bufB = new Float64Array(4096);
  constructor(inputRate: number, seconds: number) {
    this.rate = Math.min(inputRate, PESQ_MAX_RATE);
    this.resampler = this.rate === inputRate ? null : createResamplerPair(octaveResamplerDesign(this.rate, inputRate));
    this.ref = new Float32Array(Math.round(seconds * this.rate));
    this.deg = new Float32Array(this.ref.length);
  }
  push(ref: Float64Array, deg: Float64Array): void {
    let a = ref;
    let b = deg;
    if (this.resampler) {
      const need = this.resampler.maxOutput(ref.length);
      if (need > this.bufA.length) {
        this.bufA = new Float64Array(need);
        this.bufB = new Float64Array(need);
      }
      const n = this.resampler.push(ref, deg, this.bufA, this.bufB, 0);
      a = this.bufA.subarray(0, n);
      b = this.bufB.subarray(0, n);
    }
    const cap = this.ref.length;
    for (let i = 0; i < a.length; i++) {
      this.ref[(this.written + i) % cap] = a[i];
      this.deg[(this.written + i) % cap] = b[i];
    }
    this.written += a.length;
  }
  /** The held audio in time order (allocates: called every few seconds, not per block). */
  snapshot(): { ref: Float64Array; deg: Float64Array } {
    const cap = this.ref.length;
    const n = Math.min(cap, this.written);
    const ref = new Float64Array(n);
    const deg = new Float64Array(n);
    const start = this.written - n;
    for (let i = 0; i < n; i++) {
      ref[i] = this.ref[(start + i) % cap];
      deg[i] = this.deg[(start + i) % cap];
    }
    return { ref, deg };
  }
}
/** CI-SDR costs a 512-tap Toeplitz solve (~1–3 ms) per value: refreshed every 2 s of stream. */
const CI_SDR_REFRESH_SEC = 2;

type SumAccumulator = SnrAccumulator | SiSdrAccumulator | WsdrAccumulator;

interface SumMetric<A extends SumAccumulator> {
  key: string;
  make: () => A;
  value: (a: A) => MetricValue;
}

class SumWindows<A extends SumAccumulator> {
  readonly ring: HopRingOf<A>;
  readonly total: A;
  private readonly scratch: A;
  private readonly perHop = new RunningStats();
  constructor(
    readonly spec: SumMetric<A>,
    slots: number,
  ) {
    this.ring = new HopRingOf(slots, spec.make);
    this.total = spec.make();
    this.scratch = spec.make();
  }
  update(chunk: AlignedChunk): void {
    this.ring.current.update(chunk);
    this.total.update(chunk);
  }
  window(hops: number): { value: MetricValue; uncertainty: number | null } {
    const s = this.scratch;
    s.reset();
    this.perHop.reset();
    this.ring.forLast(hops, (slot) => {
      (s as SumAccumulator).merge(slot as never);
      const v = this.spec.value(slot).value;
      if (v !== null) this.perHop.add(v);
    });
    return { value: this.spec.value(s), uncertainty: this.perHop.standardError() };
  }
}

/** Per-frame (or per-segment) values of one metric, grouped by hop. */
class FrameWindows {
  readonly ring: HopRingOf<RunningStats>;
  latest: number | null = null;
  private readonly scratch = new RunningStats();
  constructor(slots: number) {
    this.ring = new HopRingOf(slots, () => new RunningStats());
  }
  add(v: number): void {
    if (Number.isNaN(v)) return;
    this.ring.current.add(v);
    this.latest = v;
  }
  window(hops: number): { value: MetricValue; uncertainty: number | null } {
    const s = this.scratch;
    s.reset();
    this.ring.forLast(hops, (slot) => s.merge(slot));
    if (s.count === 0) return { value: { value: null, reason: 'no frames in this window yet' }, uncertainty: null };
    return { value: { value: s.mean }, uncertainty: s.standardError() };
  }
}

export function createLiveEngineSession(options: LiveEngineOptions): LiveEngineSession {
  return new LiveEngine(options);
}

class LiveEngine implements LiveEngineSession {
  readonly id: string;
  readonly sampleRate: number;
  readonly samples$ = new Subject<MetricSample>();
  readonly delays$ = new Subject<DelayEvent>();
  readonly summary$ = new Subject<SummaryRecord>();
  private readonly withNoisy: boolean;
  private readonly hop: number;
  private readonly hopsPerSec: number;
  private readonly aligner: Aligner;
  private readonly sums: SumWindows<SumAccumulator>[];
  private readonly segsnr: SegSnrAccumulator;
  private readonly spectral: SpectralAccumulator;
  private readonly stoi: LiveStoiAccumulator;
  private readonly cisdr = new CiSdrAccumulator();
  private readonly pmsqe: ResampledPmsqe;
  private readonly recent: RecentAudio;
  private lastPmsqe: MetricValue & { uncertainty?: number | null } = { value: null, reason: 'not computed yet' };
  private lastPmsqeAt: number;
  private lastPesq: MetricValue = { value: null, reason: 'needs a few seconds of audio' };
  private lastPesqAt: number;
  private readonly referenceFree: ReferenceFreeSet;
  private lastReferenceFree: ReferenceFreeMetrics | null = null;
  private lastReferenceFreeAt = -Infinity;
  private readonly frames: Record<'segsnr' | 'lsd' | 'cosine' | 'stoi' | 'estoi', FrameWindows>;
  private inHop = 0;
  private degEnd = 0;
  private expectedT0 = 0;
  private lastCiSdr: MetricValue = { value: null, reason: 'not computed yet' };
  private lastCiSdrAt: number;
  private ended = false;

  constructor(options: LiveEngineOptions) {
    const fs = options.sampleRate;
    if (!Number.isInteger(fs) || fs < 8000 || fs > 48000) {
      throw earshotError('ERR_SAMPLE_RATE', `live engine supports 8000..48000 Hz, got ${fs}`);
    }
    this.id = options.id;
    this.sampleRate = fs;
    // The costly refreshes (PESQ-like, PMSQE, CI-SDR) run at a phase of their period chosen from the
    // session id, so many sessions started together do not all compute them in the same report
    // (measured: 50 synchronised sessions stalled the server's event loop for about a second).
    const phase = sessionPhase(options.id);
    this.lastPesqAt = (phase - 0.5) * PESQ_REFRESH_SEC; // first value after 5–15 s of audio
    this.lastPmsqeAt = (phase - 1) * PMSQE_REFRESH_SEC;
    this.lastCiSdrAt = (phase - 1) * CI_SDR_REFRESH_SEC;
    this.withNoisy = options.withNoisy;
    const rate = options.reportRateHz ?? 10;
    if (!(rate > 0 && rate <= 100)) throw earshotError('ERR_INVALID_ARGUMENT', `report rate must be in (0, 100] Hz, got ${rate}`);
    this.hop = Math.max(1, Math.round(fs / rate));
    this.hopsPerSec = fs / this.hop;
    const slots = Math.ceil(10 * this.hopsPerSec) + 1;
    const sumSpecs: SumMetric<SumAccumulator>[] = [
      { key: 'snr', make: () => new SnrAccumulator(), value: (a) => (a as SnrAccumulator).compute() },
      { key: 'mse', make: () => new SnrAccumulator(), value: (a) => (a as SnrAccumulator).computeMse() },
      { key: 'sisdr', make: () => new SiSdrAccumulator(), value: (a) => a.compute() },
    ];
    if (this.withNoisy) sumSpecs.push({ key: 'wsdr', make: () => new WsdrAccumulator(), value: (a) => a.compute() });
    this.sums = sumSpecs.map((s) => new SumWindows(s, slots));
    this.frames = {
      segsnr: new FrameWindows(slots),
      lsd: new FrameWindows(slots),
      cosine: new FrameWindows(slots),
      stoi: new FrameWindows(slots),
      estoi: new FrameWindows(slots),
    };
    this.segsnr = new SegSnrAccumulator(fs, (v) => this.frames.segsnr.add(v));
    this.spectral = new SpectralAccumulator(fs, (lsd, cos) => {
      this.frames.lsd.add(lsd);
      this.frames.cosine.add(cos);
    });
    this.stoi = new LiveStoiAccumulator(fs, (s, e) => {
      this.frames.stoi.add(s);
      this.frames.estoi.add(e);
    });
    this.pmsqe = new ResampledPmsqe(fs, 10);
    this.referenceFree = new ReferenceFreeSet({ sampleRate: fs, withNoisy: this.withNoisy });
    this.recent = new RecentAudio(fs, PESQ_WINDOW_SEC);
    this.aligner = new Aligner(
      { sampleRate: fs, withNoisy: this.withNoisy },
      {
        onChunk: (c) => this.onAligned(c),
        onDelay: (u) =>
          this.delays$.next({
            session: this.id,
            t: u.at / fs,
            delayMs: (1000 * u.delaySamples) / fs,
            delaySamples: u.delaySamples,
            confidence: u.confidence,
            kind: u.kind,
          }),
      },
    );
  }

  /**
   * Feed one captured block. Bad input never ends the stream: it is repaired where that is
   * well-defined and reported as a sample `{metric: 'input', value: null, reason}`:
   * - NaN/Inf samples are replaced by 0;
   * - streams of unequal length are cut to the shortest;
   * - a gap in t0 is filled with silence (up to 10 s; beyond that the rest is skipped), an overlap
   *   drops the samples already seen;
   * - a block at another sample rate is dropped.
   * Only pushing after `end()` throws (a programming error).
   */
  push(block: StreamBlock): void {
    if (this.ended) throw earshotError('ERR_INVALID_ARGUMENT', `session ${this.id} has ended`);
    const t = this.expectedT0 / this.sampleRate;
    if (block.sampleRate !== this.sampleRate) {
      this.inputProblem(t, `block at ${block.sampleRate} Hz in a ${this.sampleRate} Hz session: dropped`);
      return;
    }
    let { ref, deg, noisy } = block;
    const n = Math.min(ref.length, deg.length, this.withNoisy ? (noisy?.length ?? 0) : Infinity);
    if (ref.length !== n || deg.length !== n || (this.withNoisy && noisy!.length !== n)) {
      this.inputProblem(t, `streams of one block differ in length (ref ${ref.length}, deg ${deg.length}${this.withNoisy ? `, noisy ${noisy?.length ?? 0}` : ''}): cut to ${n}`);
      ref = ref.subarray(0, n);
      deg = deg.subarray(0, n);
      noisy = noisy?.subarray(0, n);
    }
    let t0 = block.t0;
    if (t0 < this.expectedT0) {
      const skip = Math.min(n, this.expectedT0 - t0);
      this.inputProblem(t, `block t0 ${t0} overlaps what was already received (expected ${this.expectedT0}): ${skip} samples dropped`);
      ref = ref.subarray(skip);
      deg = deg.subarray(skip);
      noisy = noisy?.subarray(skip);
      t0 += skip;
      if (ref.length === 0) return;
    } else if (t0 > this.expectedT0) {
      const gap = t0 - this.expectedT0;
      const fill = Math.min(gap, MAX_GAP_FILL_SEC * this.sampleRate);
      this.inputProblem(t, `gap of ${gap} samples before t0 ${t0}: ${fill < gap ? `${fill} filled with silence, the rest skipped` : 'filled with silence'}`);
      const zeros = new Float64Array(Math.min(fill, 4096));
      for (let done = 0; done < fill; done += zeros.length) {
        const k = Math.min(zeros.length, fill - done);
        const z = zeros.subarray(0, k);
        this.accept(z, z, this.withNoisy ? z : undefined);
      }
      this.expectedT0 = t0;
    }
    const bad = countNonFinite(ref) + countNonFinite(deg) + (noisy ? countNonFinite(noisy) : 0);
    if (bad > 0) {
      this.inputProblem(t, `${bad} non-finite (NaN/Inf) samples replaced by 0`);
      ref = finiteCopy(ref);
      deg = finiteCopy(deg);
      noisy = noisy && finiteCopy(noisy);
    }
    this.accept(ref, deg, this.withNoisy ? noisy : undefined);
  }

  private accept(ref: Float64Array, deg: Float64Array, noisy: Float64Array | undefined): void {
    const t0 = this.expectedT0;
    this.expectedT0 += ref.length;
    this.aligner.push({ t0, sampleRate: this.sampleRate, ref, deg, noisy });
  }

  private inputProblem(t: number, reason: string): void {
    this.samples$.next({ session: this.id, t, metric: 'input', window: 'frame', value: null, uncertainty: null, reason });
  }

  end(): void {
    if (this.ended) return;
    this.aligner.end();
    this.stoi.flush();
    this.lastCiSdrAt = -Infinity; // the final report carries fresh CI-SDR and PMSQE values
    this.lastPmsqeAt = -Infinity;
    this.ended = true;
    this.report();
    this.summary$.next(this.summary());
    this.samples$.complete();
    this.delays$.complete();
    this.summary$.complete();
  }

  private onAligned(chunk: AlignedChunk): void {
    let pos = 0;
    const n = chunk.ref.length;
    while (pos < n) {
      const take = Math.min(n - pos, this.hop - this.inHop);
      const part: AlignedChunk = {
        ref: chunk.ref.subarray(pos, pos + take),
        deg: chunk.deg.subarray(pos, pos + take),
        noisy: chunk.noisy?.subarray(pos, pos + take),
        degEnd: chunk.degEnd - (n - pos - take),
      };
      for (const s of this.sums) s.update(part);
      this.segsnr.update(part);
      this.spectral.update(part);
      this.stoi.update(part);
      this.cisdr.update(part);
      this.pmsqe.update(part);
      this.referenceFree.update({ deg: part.deg, noisy: part.noisy });
      this.recent.push(part.ref, part.deg);
      this.inHop += take;
      this.degEnd = part.degEnd;
      pos += take;
      if (this.inHop === this.hop) {
        this.report();
        this.inHop = 0;
        for (const s of this.sums) s.ring.advance();
        for (const f of Object.values(this.frames)) f.ring.advance();
      }
    }
  }

  private emit(metric: string, window: WindowName, v: MetricValue, uncertainty: number | null, t: number): void {
    const sample: MetricSample = { session: this.id, t, metric, window, value: v.value, uncertainty: v.value === null ? null : uncertainty };
    if (v.value === null && v.reason) sample.reason = v.reason;
    this.samples$.next(sample);
  }

  private report(): void {
    const t = this.degEnd / this.sampleRate;
    for (const s of this.sums) {
      for (const w of SLIDING) {
        const r = s.window(Math.round(WINDOW_SECONDS[w]! * this.hopsPerSec));
        this.emit(s.spec.key, w, r.value, r.uncertainty, t);
      }
      this.emit(s.spec.key, 'total', s.spec.value(s.total), null, t);
    }
    const totals = this.frameTotals();
    for (const [key, f] of Object.entries(this.frames)) {
      if (f.latest !== null) this.emit(key, 'frame', { value: f.latest }, null, t);
      for (const w of SLIDING) {
        const r = f.window(Math.round(WINDOW_SECONDS[w]! * this.hopsPerSec));
        this.emit(key, w, r.value, r.uncertainty, t);
      }
      const tot = totals[key as keyof typeof totals];
      this.emit(key, 'total', tot, tot.uncertainty ?? null, t);
    }
    if (t - this.lastCiSdrAt >= CI_SDR_REFRESH_SEC) {
      this.lastCiSdr = this.cisdr.compute();
      this.lastCiSdrAt = t;
    }
    this.emit('cisdr', 'total', this.lastCiSdr, null, t);
    if (t - this.lastPmsqeAt >= PMSQE_REFRESH_SEC) {
      this.lastPmsqe = this.pmsqe.compute();
      this.lastPmsqeAt = t;
    }
    this.emit('pmsqe', '10s', this.lastPmsqe, this.lastPmsqe.uncertainty ?? null, t);
    if (t - this.lastPesqAt >= PESQ_REFRESH_SEC || (this.ended && this.lastPesq.value === null)) {
      const a = this.recent.snapshot();
      const r = pesqLike(a.ref, a.deg, this.recent.rate, this.recent.rate >= 16000 ? 'wb' : 'nb');
      this.lastPesq = r.value === null ? { value: null, reason: r.reason } : { value: r.value };
      this.lastPesqAt = t;
    }
    this.emit('pesq', '10s', this.lastPesq, null, t);
    if (t - this.lastReferenceFreeAt >= 1 || this.ended) {
      this.lastReferenceFree = this.referenceFree.compute();
      this.lastReferenceFreeAt = t;
    }
    for (const key of REFERENCE_FREE_VALUE_KEYS) this.emit(key, 'total', this.lastReferenceFree![key], null, t);
    for (const w of ['3s', '10s'] as const) {
      const hops = Math.round(WINDOW_SECONDS[w]! * this.hopsPerSec);
      const inputs: Record<string, { value: number | null; uncertainty: number | null }> = {};
      for (const s of this.sums) if (s.spec.key === 'sisdr') {
        const r = s.window(hops);
        inputs.sisdr = { value: r.value.value, uncertainty: r.uncertainty };
      }
      for (const [key, f] of Object.entries(this.frames)) {
        const r = f.window(hops);
        inputs[key] = { value: r.value.value, uncertainty: r.uncertainty };
      }
      if (w === '10s') inputs.pmsqe = { value: this.lastPmsqe.value, uncertainty: this.lastPmsqe.uncertainty ?? null };
      const q = qualityIndex(inputs);
      this.emit('qindex', w, q, q.uncertainty, t);
    }
    const d = this.aligner.currentDelay;
    this.emit('delay', 'frame', d === null ? { value: null, reason: 'delay not locked yet' } : { value: (1000 * d) / this.sampleRate }, null, t);
  }

  private frameTotals(): Record<'segsnr' | 'lsd' | 'cosine' | 'stoi' | 'estoi', MetricValue & { uncertainty?: number | null }> {
    const sp = this.spectral.compute();
    const st = this.stoi.compute();
    return { segsnr: this.segsnr.compute(), lsd: sp.lsd, cosine: sp.cosine, stoi: st.stoi, estoi: st.estoi };
  }

  private summary(): SummaryRecord {
    const totals = this.frameTotals();
    const sum = (key: string) => this.sums.find((s) => s.spec.key === key);
    const values: Record<string, MetricValue> = {
      snr: sum('snr')!.spec.value(sum('snr')!.total),
      segsnr: totals.segsnr,
      sisdr: sum('sisdr')!.spec.value(sum('sisdr')!.total),
      cisdr: this.cisdr.compute(),
      wsdr: this.withNoisy ? sum('wsdr')!.spec.value(sum('wsdr')!.total) : { value: null, reason: 'needs the noisy input (--noisy)' },
      sasdr: { value: null, reason: SASDR_ONE_SPEAKER_REASON },
      stoi: totals.stoi,
      estoi: totals.estoi,
      lsd: totals.lsd,
      cosine: totals.cosine,
      mse: sum('mse')!.spec.value(sum('mse')!.total),
      pmsqe: { value: null, reason: 'live PMSQE covers the last 10 s only (it normalises over all scored frames); run earshot analyze for the whole stream' },
      pesq: { value: null, reason: 'live PESQ-like covers the last 10 s only; run earshot analyze for the whole stream' },
    };
    for (const key of METRIC_KEYS) values[key] ??= { value: null, reason: 'offline only: run earshot analyze on a recording' };
    const rf = this.referenceFree.compute();
    for (const key of REFERENCE_FREE_VALUE_KEYS) values[key] = rf[key];
    const out: SummaryRecord = { type: 'summary', session: this.id };
    const reasons: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) {
      out[k] = v.value;
      if (v.value === null && v.reason) reasons[k] = v.reason;
    }
    for (const key of REFERENCE_FREE_LIST_KEYS) out[key] = rf[key];
    out.reasons = reasons;
    out.sampleRate = this.sampleRate;
    out.durationSec = (sum('snr')!.total as SnrAccumulator).sampleCount / this.sampleRate;
    const d = this.aligner.currentDelay;
    out.delayMs = d === null ? null : (1000 * d) / this.sampleRate;
    return out;
  }
}

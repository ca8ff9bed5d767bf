/**
 * `earshot call`, the engine: a live WebRTC loopback call in headless Chromium as the device under
 * test. Starts the page server (page-server.ts) and Chromium (chromium.ts), runs one call per
 * condition (bitrate × NS × AEC × AGC) in the page (call-page/call-page.js), collects the recorded
 * sent and received signals from the page's socket (streaming them on to a running `earshot serve`
 * when asked), and scores each condition (score.ts). See docs/call.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resampleOct } from '../dsp/resample.js';
import { earshotError } from '../errors.js';
import { encodeWavPcm16 } from '../io/wav.js';
import { atRate, readMono } from '../rig/inputs.js';
import { mixAtSnr } from '../rig/mix.js';
import { IngestClient } from '../server/client.js';
import type { StreamId } from '../server/protocol.js';
import { fakeCaptureArgs, launchCallBrowser, resolveChromium } from './chromium.js';
import { startPageServer, type PageMessage } from './page-server.js';
import { gcd, scoreCondition, type ConditionScore, type LoopInput } from './score.js';
import { callStats, type CallStats, type StatsSnapshot } from './stats.js';

/** The call's sample rate (Opus runs at 48 kHz; so do the page's AudioContext and the recording), Hz. */
export const CALL_RATE_HZ = 48000;
/** Call time before recording starts, so the jitter buffer reaches its target and NetEq stops stepping, s. */
export const DEFAULT_SETTLE_SEC = 3;
/** receiver.jitterBufferTarget, ms: a fixed target holds NetEq's delay steady. */
export const DEFAULT_JITTER_BUFFER_TARGET_MS = 100;
/** Recording per condition when --seconds is not given: the clean file, at least this, s. */
export const MIN_DEFAULT_SECONDS = 3;
/** ... and at most this, s. */
export const MAX_DEFAULT_SECONDS = 20;
/** After the page returned, wait this long for its socket's last batches, ms. */
const END_TIMEOUT_MS = 15_000;
/** Opus' bitrate range (RFC 6716), bit/s. */
export const MIN_BITRATE = 6000;
export const MAX_BITRATE = 510000;

export interface CallOptions {
  clean: string;
  /** Noise mixed into the clean at `snr` dB (whole-file energy), or a ready noisy file. */
  noise?: string;
  snr?: number;
  noisy?: string;
  bitrates: number[];
  /** Each list sweeps its setting: conditions are every combination with every bitrate. */
  ns: boolean[];
  aec: boolean[];
  agc: boolean[];
  /** Recorded seconds per condition. */
  seconds?: number;
  settleSec?: number;
  jitterBufferTargetMs?: number;
  chromium?: string;
  /** Stream sent (ref) and received (deg) of each condition live to this `earshot serve`. */
  serve?: { url: string; token?: string };
  /** Metric keys to score (as `analyze --metrics`). */
  metrics?: string;
  onProgress?: (line: string) => void;
  /** Each condition's recordings at the call rate (sent, received), before scoring. */
  onRecording?: (condition: { bitrate: number; ns: boolean; aec: boolean; agc: boolean }, sent: Float64Array, received: Float64Array) => void;
}

export interface CallCondition extends ConditionScore {
  bitrate: number;
  ns: boolean;
  aec: boolean;
  agc: boolean;
  stats: CallStats;
  capture: {
    /** The page's AudioContext rate (the recording's), Hz. */
    sampleRate: number;
    /** getUserMedia's track settings (processing on only). */
    captureRate: number | null;
    captureChannels: number | null;
    recordedSec: number;
    /** Frames the capture worklet dropped (the page's main thread was late), zero-filled. */
    droppedFrames: number;
  };
  /** The `earshot serve` session the condition streamed to, with its final summary. */
  live: { session: string; summary: Record<string, unknown> | null } | null;
}

export interface CallResult {
  clean: string;
  noise: string | null;
  snr: number | null;
  noisy: string | null;
  /** Scoring rate (the clean file's), Hz. */
  sampleRate: number;
  callSampleRate: number;
  seconds: number;
  settleSec: number;
  jitterBufferTargetMs: number;
  chromium: string;
  conditions: CallCondition[];
  notes: string[];
}

interface PageResult {
  before: StatsSnapshot;
  after: StatsSnapshot;
  final: { droppedFrames?: number } | null;
  sampleRate: number;
  captureRate: number | null;
  captureChannels: number | null;
}

const REF: StreamId = { kind: 'ref', speaker: 0 };
const DEG: StreamId = { kind: 'deg', speaker: 0 };


/**
 * The input as one loop period at the scoring rate, zero-padded so that the period is a whole
 * number of samples at the call rate too (the phase found at one rate then holds at the other).
 */
export function prepareLoop(clean: Float64Array, noisy: Float64Array, sampleRate: number): LoopInput {
  const unit = sampleRate / gcd(sampleRate, CALL_RATE_HZ);
  const n = Math.ceil(Math.min(clean.length, noisy.length) / unit) * unit;
  const c = new Float64Array(n);
  const x = new Float64Array(n);
  c.set(clean.subarray(0, Math.min(n, clean.length)));
  x.set(noisy.subarray(0, Math.min(n, noisy.length)));
  const noisyCall = sampleRate === CALL_RATE_HZ ? x : resampleOct(x, CALL_RATE_HZ, sampleRate);
  return { sampleRate, clean: c, noisy: x, noisyCall };
}

/** Collects one condition's recording from the page's socket messages. */
class Recording {
  sent: Float32Array;
  received: Float32Array;
  frames = 0;
  dropped = 0;
  batchFrames = 0;
  begun = false;
  private endResolve: (() => void) | undefined;
  readonly ended: Promise<void>;
  onBatch: ((t0: number, sent: Float32Array, received: Float32Array) => void) | undefined;

  constructor(expectedFrames: number) {
    this.sent = new Float32Array(expectedFrames);
    this.received = new Float32Array(expectedFrames);
    this.ended = new Promise((resolve) => (this.endResolve = resolve));
  }

  message(m: PageMessage): void {
    if (m.json) {
      if (m.json.type === 'begin') {
        this.begun = true;
        this.batchFrames = Number(m.json.batchFrames);
      } else if (m.json.type === 'end') this.endResolve?.();
      return;
    }
    if (!m.binary || !this.begun) return;
    const ab = m.binary.buffer.slice(m.binary.byteOffset, m.binary.byteOffset + m.binary.byteLength);
    const header = new Float64Array(ab, 0, 16);
    const t0 = header[0];
    const frames = header[1];
    const data = new Float32Array(ab, 128);
    if (!(frames > 0) || data.length < this.batchFrames + frames) return;
    const sent = data.subarray(0, frames);
    const received = data.subarray(this.batchFrames, this.batchFrames + frames);
    if (t0 > this.frames) this.dropped += t0 - this.frames; // the gap stays zeros
    this.grow(t0 + frames);
    this.sent.set(sent, t0);
    this.received.set(received, t0);
    this.frames = Math.max(this.frames, t0 + frames);
    this.onBatch?.(t0, sent, received);
  }

  private grow(n: number): void {
    if (n <= this.sent.length) return;
    const size = Math.max(n, 2 * this.sent.length);
    const s = new Float32Array(size);
    s.set(this.sent);
    const r = new Float32Array(size);
    r.set(this.received);
    this.sent = s;
    this.received = r;
  }
}

function onOff(b: boolean): string {
  return b ? 'on' : 'off';
}

/** Session name of a condition on `earshot serve`: call-<bitrate>, plus the processing when several are swept. */
export function sessionName(c: { bitrate: number; ns: boolean; aec: boolean; agc: boolean }, sweepsProcessing: boolean): string {
  return sweepsProcessing ? `call-${c.bitrate}-ns-${onOff(c.ns)}-aec-${onOff(c.aec)}-agc-${onOff(c.agc)}` : `call-${c.bitrate}`;
}

function validate(o: CallOptions): void {
  if (o.bitrates.length === 0) throw earshotError('ERR_USAGE', '--bitrate: expected at least one bitrate');
  for (const b of o.bitrates) {
    if (!Number.isInteger(b) || b < MIN_BITRATE || b > MAX_BITRATE) {
      throw earshotError('ERR_USAGE', `--bitrate: expected whole bit/s in ${MIN_BITRATE}..${MAX_BITRATE} (Opus), got ${b}`);
    }
  }
  if (o.noise !== undefined && o.snr === undefined) throw earshotError('ERR_USAGE', '--noise needs --snr');
  if (o.noise !== undefined && o.noisy !== undefined) throw earshotError('ERR_USAGE', 'give --noise (with --snr) or --noisy, not both');
  if (o.seconds !== undefined && !(o.seconds >= 1 && o.seconds <= 600)) throw earshotError('ERR_USAGE', `--seconds: expected 1..600, got ${o.seconds}`);
}

/** Run every condition; resolves with the scores (throws on unreadable input or a browser that will not start). */
export async function runCall(o: CallOptions): Promise<CallResult> {
  validate(o);
  const notes: string[] = [];
  const progress = o.onProgress ?? (() => {});
  const clean = readMono(o.clean, notes);
  const sampleRate = clean.sampleRate;
  let noisySamples = clean.samples;
  if (o.noise !== undefined) {
    const noise = atRate(readMono(o.noise, notes), sampleRate, notes);
    const mix = mixAtSnr(clean.samples, noise, o.snr as number);
    if (mix.looped) notes.push(`${o.noise}: shorter than the clean speech, looped`);
    noisySamples = mix.noisy;
  } else if (o.noisy !== undefined) {
    noisySamples = atRate(readMono(o.noisy, notes), sampleRate, notes);
    if (noisySamples.length !== clean.samples.length) notes.push(`${o.noisy}: ${noisySamples.length} samples, the clean ${clean.samples.length}: using the common length`);
  }
  const loop = prepareLoop(clean.samples, noisySamples, sampleRate);
  let peak = 0;
  for (const v of loop.noisyCall) peak = Math.max(peak, Math.abs(v));
  if (peak > 1) notes.push(`the noisy input peaks at ${peak.toFixed(2)} (above full scale): getUserMedia conditions hear it clipped (the fake capture device plays 16-bit PCM)`);
  const loopSec = loop.clean.length / sampleRate;
  if (loopSec < 1) throw earshotError('ERR_WAV_INVALID', `${o.clean}: ${loopSec.toFixed(2)} s of audio; a call needs at least 1 s`);
  const seconds = o.seconds ?? Math.min(MAX_DEFAULT_SECONDS, Math.max(MIN_DEFAULT_SECONDS, loopSec));
  const settleSec = o.settleSec ?? DEFAULT_SETTLE_SEC;
  const jitterBufferTargetMs = o.jitterBufferTargetMs ?? DEFAULT_JITTER_BUFFER_TARGET_MS;
  const executable = resolveChromium(o.chromium);

  const settings: { ns: boolean; aec: boolean; agc: boolean }[] = [];
  for (const ns of o.ns) for (const aec of o.aec) for (const agc of o.agc) settings.push({ ns, aec, agc });
  const sweepsProcessing = settings.length > 1;
  const plan = settings.flatMap((s) => o.bitrates.map((bitrate) => ({ bitrate, ...s })));

  const dir = mkdtempSync(join(tmpdir(), 'earshot-call-input-'));
  const wav = join(dir, 'noisy-48k.wav');
  // The fake capture device is always there (it also grants the media permission that lets
  // Chromium gather plain host candidates); only processing-on conditions call getUserMedia.
  writeFileSync(wav, encodeWavPcm16([loop.noisyCall], CALL_RATE_HZ));
  const extraArgs = fakeCaptureArgs(wav);
  const server = await startPageServer();
  server.setNoisy(Float32Array.from(loop.noisyCall));
  let browser: Awaited<ReturnType<typeof launchCallBrowser>> | undefined;
  let ingest: IngestClient | undefined;
  const conditions: CallCondition[] = [];
  try {
    // The server first: a wrong --serve fails before a browser starts.
    if (o.serve) ingest = await IngestClient.connect(o.serve.url, { token: o.serve.token });
    browser = await launchCallBrowser(executable, extraArgs);
    const pageErrors: string[] = [];
    browser.page.on('pageerror', (e) => void pageErrors.push(String(e.message ?? e)));
    await browser.page.goto(server.pageUrl);
    await browser.page.waitForFunction('window.earshotCall !== undefined', undefined, { timeout: 30_000 });

    for (const [index, c] of plan.entries()) {
      const label = `${c.bitrate} bit/s, NS ${onOff(c.ns)}, AEC ${onOff(c.aec)}, AGC ${onOff(c.agc)}`;
      progress(`call ${index + 1}/${plan.length}: ${label} (${settleSec} s settling, ${seconds} s recorded)`);
      const rec = new Recording(Math.ceil((seconds + 1) * CALL_RATE_HZ));
      server.onMessage = (m) => rec.message(m);
      let live: { session: string; handle: number } | null = null;
      if (ingest) {
        const opened = await ingest.open({ name: sessionName(c, sweepsProcessing), sampleRate: CALL_RATE_HZ, streams: [REF, DEG] });
        live = { session: opened.session, handle: opened.handle };
        const h = opened.handle;
        const client = ingest;
        rec.onBatch = (t0, sent, received) => {
          client.sendAudio(h, REF, CALL_RATE_HZ, t0, sent, 'float32');
          client.sendAudio(h, DEG, CALL_RATE_HZ, t0, received, 'float32');
        };
      }
      const condition = {
        index,
        bitrate: c.bitrate,
        ns: c.ns,
        aec: c.aec,
        agc: c.agc,
        useMedia: c.ns || c.aec || c.agc,
        sampleRate: CALL_RATE_HZ,
        noisyUrl: server.noisyUrl,
        workletUrl: server.workletUrl,
        wsUrl: server.wsUrl,
        settleSec,
        recordSec: seconds,
        jitterBufferTargetMs,
      };
      let page: PageResult;
      try {
        page = await browser.page.evaluate((arg) => (globalThis as unknown as { earshotCall: { runCondition(a: unknown): Promise<PageResult> } }).earshotCall.runCondition(arg), condition);
      } catch (e) {
        throw earshotError('ERR_INVALID_ARGUMENT', `the call page failed (${label}): ${(e as Error).message.split('\n')[0]}${pageErrors.length ? `; page errors: ${pageErrors.join('; ')}` : ''}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([rec.ended.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), END_TIMEOUT_MS)))]);
      clearTimeout(timer);
      if (!ended) throw earshotError('ERR_INVALID_ARGUMENT', `the call page's recording did not arrive (${label}): its socket to ${server.wsUrl} sent no end within ${END_TIMEOUT_MS / 1000} s`);
      let summary: Record<string, unknown> | null = null;
      if (ingest && live) {
        const closed = await ingest.close(live.handle);
        summary = (closed.summaries?.[0] as Record<string, unknown> | undefined) ?? null;
      }
      progress(`call ${index + 1}/${plan.length}: scoring`);
      const sent = Float64Array.from(rec.sent.subarray(0, rec.frames));
      const received = Float64Array.from(rec.received.subarray(0, rec.frames));
      o.onRecording?.(c, sent, received);
      const scored = scoreCondition(loop, page.sampleRate, sent, received, o.metrics);
      conditions.push({
        bitrate: c.bitrate,
        ns: c.ns,
        aec: c.aec,
        agc: c.agc,
        ...scored,
        stats: callStats(page.before, page.after),
        capture: {
          sampleRate: page.sampleRate,
          captureRate: page.captureRate,
          captureChannels: page.captureChannels,
          recordedSec: rec.frames / page.sampleRate,
          droppedFrames: Math.max(rec.dropped, page.final?.droppedFrames ?? 0),
        },
        live: live ? { session: live.session, summary } : null,
      });
    }
  } finally {
    ingest?.end();
    await browser?.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    clean: o.clean,
    noise: o.noise ?? null,
    snr: o.noise !== undefined ? (o.snr ?? null) : null,
    noisy: o.noisy ?? null,
    sampleRate,
    callSampleRate: CALL_RATE_HZ,
    seconds,
    settleSec,
    jitterBufferTargetMs,
    chromium: executable,
    conditions,
    notes,
  };
}

/**
 * Browser mode: "Analyze in this browser". The page runs the capture worklet itself and streams what
 * it captures to the server's `/ingest`, so the session appears (and is scored) like any other.
 *
 * - Files: the user picks ref and deg (and optionally noisy); the page decodes them
 *   (`decodeAudioData`, at the ref file's own sample rate when it is a WAV), plays them in real time
 *   through AudioBufferSourceNodes into `worklets/capture.worklet.js` (served as a bundle asset), and
 *   sends the captured blocks. The capture ends with the shorter of ref and deg, as
 *   `earshot analyze` scores the common length.
 * - Microphone (experimental): the ref file plays to the speakers and the microphone is deg, so the
 *   device under test is the room, speaker and microphone chain. `getUserMedia` is only ever called
 *   from the user's click on that button.
 *
 * Transport: a SharedArrayBuffer ring when the page is cross-origin isolated, else batches of 8
 * render quanta transferred through the worklet's port (`src/stream/web-audio-source.ts`).
 */
import type { Subscription } from 'rxjs';
import type { StreamBlock } from '../../src/stream/types.js';
import { createWebAudioSource, type WebAudioSource } from '../../src/stream/web-audio-source.js';
import type { StreamId } from '../../src/server/protocol.js';
import { BrowserIngest, ingestUrl } from './ingest.js';
import captureWorkletUrl from '../../worklets/capture.worklet.js?url';

/** Sample rate when the ref file's own rate is unknown (not a WAV), Hz. */
const DEFAULT_RATE_HZ = 16000;
/** Rates the ingest protocol accepts, Hz (docs/protocol.md). */
const MIN_RATE_HZ = 8000;
const MAX_RATE_HZ = 48000;
/** Frames per captured block: 20 ms, a typical ingest frame (docs/protocol.md). */
const BLOCK_SEC = 0.02;
/** Port transport: render quanta per transferred batch (the worklet's minimum, 8 × 128 frames). */
const BATCH_QUANTA = 8;
/** Mic mode: keep capturing this long after the ref file ends, so the chain's latency is not cut, s. */
const MIC_TAIL_SEC = 0.5;
/** Sources start this long after the capture is set up, so their first samples are captured, s. */
const START_LEAD_SEC = 0.05;

const REF: StreamId = { kind: 'ref', speaker: 0 };
const DEG: StreamId = { kind: 'deg', speaker: 0 };
const NOISY: StreamId = { kind: 'noisy', speaker: 0 };

export interface BrowserModeOptions {
  /** Where the panel goes (its contents are replaced). */
  root: HTMLElement;
  token: string | undefined;
  /** A session was opened by this page: show it. */
  onSession: (id: string) => void;
}

/** Sample rate from a WAV header (the `fmt ` chunk), or undefined when the bytes are not a WAV. */
export function wavSampleRate(bytes: ArrayBuffer): number | undefined {
  const v = new DataView(bytes);
  const tag = (o: number) => String.fromCharCode(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2), v.getUint8(o + 3));
  if (v.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return undefined;
  for (let o = 12; o + 8 <= v.byteLength; ) {
    const size = v.getUint32(o + 4, true);
    if (tag(o) === 'fmt ' && o + 16 <= v.byteLength) return v.getUint32(o + 12, true);
    o += 8 + size + (size & 1);
  }
  return undefined;
}

/** Session names must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$: "browser-<file stem>-<4 hex>". */
export function sessionName(fileName: string): string {
  const stem = fileName.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 24);
  const tag = Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0');
  return stem ? `browser-${stem}-${tag}` : `browser-${tag}`;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

interface Run {
  ctx: AudioContext;
  capture: WebAudioSource | undefined;
  sub: Subscription | undefined;
  sources: AudioBufferSourceNode[];
  mic: MediaStream | undefined;
  ingest: BrowserIngest | undefined;
  /** Set once the run is ending, and why. */
  stopping: 'ended' | 'stopped' | 'failed' | undefined;
}

export function mountBrowserMode(o: BrowserModeOptions): void {
  const fileInput = (id: string, label: string, hint: string) => {
    const input = el('input', { type: 'file', id, accept: 'audio/*,.wav' });
    return { input, row: el('label', { className: 'bm-file', title: hint }, el('span', { className: 'bm-label' }, label), input) };
  };
  const ref = fileInput('bm-ref', 'Clean', 'Reference: the clean speech (ref)');
  const deg = fileInput('bm-deg', 'Processed', 'The processed output to score (deg)');
  const noisy = fileInput('bm-noisy', 'Noisy', 'Optional: the input the processing saw (noisy)');
  const listen = el('input', { type: 'checkbox', id: 'bm-listen' });
  const start = el('button', { type: 'button', id: 'bm-start', className: 'bm-primary', textContent: 'Analyze files' });
  const mic = el('button', {
    type: 'button',
    id: 'bm-mic',
    textContent: 'Mic as deg',
    title: 'Experimental: plays the clean file to your speakers and scores what the microphone hears (the room, speaker and microphone chain)',
  });
  const stop = el('button', { type: 'button', id: 'bm-stop', textContent: 'Stop', disabled: true });
  const status = el('p', { className: 'bm-status', id: 'bm-status', role: 'status' });
  const body = el(
    'div',
    { className: 'bm-body' },
    ref.row,
    deg.row,
    noisy.row,
    el('label', { className: 'bm-check', title: 'Play the processed file to the speakers while it is analyzed' }, listen, ' listen to deg'),
    el('div', { className: 'bm-actions' }, start, mic, stop),
    el('p', { className: 'bm-note' }, el('span', { className: 'bm-exp' }, 'experimental'), ' Mic as deg plays the clean file aloud and scores the microphone.'),
    status,
  );
  const details = el('details', { className: 'browser-mode', open: true }, el('summary', {}, 'Analyze in this browser'), body);
  o.root.replaceChildren(details);

  let run: Run | undefined;
  const say = (text: string, kind: 'info' | 'error' = 'info') => {
    status.textContent = text;
    status.dataset.kind = kind;
  };
  const setBusy = (busy: boolean) => {
    start.disabled = busy;
    mic.disabled = busy;
    stop.disabled = !busy;
    for (const i of [ref.input, deg.input, noisy.input, listen]) i.disabled = busy;
    details.dataset.state = busy ? 'running' : 'idle';
  };

  start.onclick = () => {
    const files = { ref: ref.input.files?.[0], deg: deg.input.files?.[0], noisy: noisy.input.files?.[0] };
    if (!files.ref || !files.deg) {
      say('Pick a clean (ref) and a processed (deg) file first.', 'error');
      return;
    }
    void begin({ ref: files.ref, deg: files.deg, noisy: files.noisy, mic: false });
  };
  mic.onclick = () => {
    const refFile = ref.input.files?.[0];
    if (!refFile) {
      say('Pick the clean (ref) file to play first.', 'error');
      return;
    }
    if (!navigator.mediaDevices?.getUserMedia) {
      say('This page cannot use the microphone (it needs https or localhost).', 'error');
      return;
    }
    // Ask at once, inside the click: the permission prompt belongs to this gesture.
    const stream = navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    stream.catch(() => {}); // a refusal is reported where begin() awaits it, not as unhandled
    void begin({ ref: refFile, mic: stream });
  };
  stop.onclick = () => {
    if (run) void finish(run, 'stopped');
  };

  async function begin(job: { ref: File; deg?: File; noisy?: File; mic: false | Promise<MediaStream> }): Promise<void> {
    setBusy(true);
    let r: Run | undefined;
    try {
      say('Decoding…');
      const bytes = await Promise.all([job.ref, job.deg, job.noisy].map((f) => f?.arrayBuffer()));
      const rate = wavSampleRate(bytes[0]!) ?? DEFAULT_RATE_HZ;
      const sampleRate = Math.min(MAX_RATE_HZ, Math.max(MIN_RATE_HZ, rate));
      const ctx = new AudioContext({ sampleRate, latencyHint: 'playback' });
      r = { ctx, capture: undefined, sub: undefined, sources: [], mic: undefined, ingest: undefined, stopping: undefined };
      run = r;
      const decode = async (b: ArrayBuffer | undefined, name: string) => {
        if (!b) return undefined;
        try {
          return await ctx.decodeAudioData(b);
        } catch {
          throw new Error(`cannot decode ${name}`);
        }
      };
      const [refBuf, degBuf, noisyBuf] = await Promise.all([decode(bytes[0], job.ref.name), decode(bytes[1], job.deg?.name ?? ''), decode(bytes[2], job.noisy?.name ?? '')]);
      const run_ = r;
      /** The user pressed stop while we were still setting up. */
      const checkStopped = () => {
        if (run_.stopping) throw new Error('stopped before the start');
      };
      checkStopped();
      const node = (b: AudioBuffer) => {
        const s = new AudioBufferSourceNode(ctx, { buffer: b });
        r!.sources.push(s);
        return s;
      };
      const refNode = node(refBuf!);
      let degNode: AudioNode;
      let noisyNode: AudioNode | undefined;
      if (job.mic) {
        say('Waiting for the microphone…');
        r.mic = await job.mic;
        checkStopped();
        degNode = new MediaStreamAudioSourceNode(ctx, { mediaStream: r.mic });
        refNode.connect(ctx.destination); // the ref is played aloud: the room is the device under test
      } else {
        degNode = node(degBuf!);
        noisyNode = noisyBuf ? node(noisyBuf) : undefined;
        if (listen.checked) degNode.connect(ctx.destination);
      }

      say('Connecting…');
      const ingest = await BrowserIngest.connect(ingestUrl(location.href, o.token));
      r.ingest = ingest;
      checkStopped();
      const streams = noisyNode ? [REF, DEG, NOISY] : [REF, DEG];
      const opened = await ingest.open({ name: sessionName(job.ref.name), sampleRate, streams });
      const handle = opened.handle;
      let irregular = 0;
      ingest.onIngestEvent = () => void irregular++;
      o.onSession(opened.session);

      const capture = await createWebAudioSource(ctx, {
        ref: refNode,
        deg: degNode,
        noisy: noisyNode,
        hop: Math.round(BLOCK_SEC * sampleRate),
        transport: 'auto',
        batchQuanta: BATCH_QUANTA,
        workletUrl: new URL(captureWorkletUrl, location.href),
      });
      r.capture = capture;
      checkStopped();
      const done = new Promise<void>((resolve, reject) => {
        run_.sub = capture.blocks.subscribe({
          next: (b: StreamBlock) => {
            try {
              ingest.sendAudio(handle, REF, sampleRate, b.t0, b.ref);
              ingest.sendAudio(handle, DEG, sampleRate, b.t0, b.deg);
              if (b.noisy) ingest.sendAudio(handle, NOISY, sampleRate, b.t0, b.noisy);
            } catch (e) {
              // The server closed the connection (its reason is in the error): stop playing.
              reject(e instanceof Error ? e : new Error(String(e)));
            }
          },
          error: (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
          complete: () => resolve(),
        });
      });
      await ctx.resume();
      const when = ctx.currentTime + START_LEAD_SEC;
      for (const s of r.sources) s.start(when);
      // Files: the common length, like `earshot analyze`. Mic: the ref file plus a tail.
      const endSec = job.mic ? refBuf!.duration + MIC_TAIL_SEC : Math.min(refBuf!.duration, degBuf!.duration);
      const endAt = when + endSec;
      const tick = () => {
        if (run_.stopping) return;
        const left = Math.max(0, endAt - ctx.currentTime);
        say(`${job.mic ? 'Listening' : 'Playing'} · ${left.toFixed(0)} s left · ${opened.session}${irregular ? ` · ${irregular} ingest events` : ''}`);
        if (left <= 0) void finish(run_, 'ended');
        else setTimeout(tick, Math.min(250, left * 1000));
      };
      tick();
      await done;
      say('Scoring…');
      const closed = await ingest.close(handle);
      ingest.disconnect();
      const s = closed.summaries[0] as unknown as Record<string, unknown> | undefined;
      const num = (k: string, d: number) => (typeof s?.[k] === 'number' ? (s[k] as number).toFixed(d) : '–');
      say(`${run_.stopping === 'stopped' ? 'Stopped' : 'Done'}: ${opened.session} · STOI ${num('stoi', 2)} · SI-SDR ${num('sisdr', 1)} dB`);
    } catch (e) {
      if (r?.stopping === 'stopped') say('Stopped.');
      else say(`Browser mode: ${(e as Error).message}`, 'error');
      if (r) void finish(r, 'failed');
      // A microphone granted after the failure must not stay open.
      if (job.mic) job.mic.then((m) => m.getTracks().forEach((t) => t.stop()), () => {});
    } finally {
      if (r) teardown(r);
      if (run === r) run = undefined;
      setBusy(false);
    }
  }

  /** End the capture: sources stop, what was captured is delivered, then the blocks complete. */
  async function finish(r: Run, why: 'ended' | 'stopped' | 'failed'): Promise<void> {
    if (r.stopping) return;
    r.stopping = why;
    for (const s of r.sources) {
      try {
        s.stop();
      } catch {
        // not started yet
      }
    }
    for (const t of r.mic?.getTracks() ?? []) t.stop();
    r.capture?.stop();
    if (why === 'failed') r.ingest?.disconnect();
  }

  function teardown(r: Run): void {
    r.sub?.unsubscribe();
    r.ingest?.disconnect();
    for (const t of r.mic?.getTracks() ?? []) t.stop();
    void r.ctx.close().catch(() => {});
  }
}

/**
 * `monitorCall` (earshot/browser): tap a page's own RTCPeerConnection and stream it to a running
 * `earshot serve`, which scores it live (the dashboard shows it as it happens). Browser only.
 *
 * It opens one session per pair on `/ingest` and feeds each through the capture worklet
 * (`createWebAudioSource`, as the dashboard's browser mode does):
 *
 * - `<session>-sent`: ref = `localTrack` (before processing), deg = what the connection sends (the
 *   audio sender's track): what the page's processing (the browser's NS / AEC / AGC, or your own
 *   denoiser) did to its input. Only with `localTrack`.
 * - `<session>-received-<k>`: ref = what is sent, deg = the k-th received audio track (k from 1),
 *   noisy = `localTrack` when given: what came back. Meaningful when the received audio carries the
 *   page's own (a loopback or echo-test call, an SFU echo); in a call with another party the server
 *   finds no delay and says so.
 *
 * Received tracks are also attached to muted <audio> elements: Chromium's Web Audio hears a remote
 * track as silence otherwise. Tracks received later (the `track` event) get their session when they
 * arrive. A sender whose track is replaced later (`replaceTrack`) keeps being tapped on its old track.
 *
 * @example
 *   import { monitorCall } from 'earshot/browser';
 *   import workletUrl from 'earshot/worklets/capture?url';
 *   const mic = await navigator.mediaDevices.getUserMedia({ audio: { noiseSuppression: false } });
 *   const mon = await monitorCall({ pc, localTrack: mic.getAudioTracks()[0], server: 'http://127.0.0.1:8080', token, session: 'my-call', workletUrl });
 *   // … the call …
 *   const summaries = await mon.stop();
 */
import type { Subscription } from 'rxjs';
import { earshotError } from '../errors.js';
import { BrowserIngest, ingestEndpoint } from '../server/browser-ingest.js';
import type { StreamId } from '../server/protocol.js';
import type { SummaryRecord } from '../live/types.js';
import { createWebAudioSource, type AudioContextLike, type AudioNodeLike, type WebAudioSource } from '../stream/web-audio-source.js';

/** The call's rate when monitorCall makes the AudioContext (WebRTC's Opus runs at 48 kHz), Hz. */
export const MONITOR_CALL_RATE_HZ = 48000;
/** Frames per block sent to the server (85 ms at 48 kHz). */
const HOP = 4096;
/** Port transport: render quanta per batch. */
const BATCH_QUANTA = 16;

const REF: StreamId = { kind: 'ref', speaker: 0 };
const DEG: StreamId = { kind: 'deg', speaker: 0 };
const NOISY: StreamId = { kind: 'noisy', speaker: 0 };

/** The parts of RTCPeerConnection used (the DOM class satisfies it). */
export interface PeerConnectionLike {
  getSenders(): { track: MediaStreamTrackLike | null }[];
  getReceivers(): { track: MediaStreamTrackLike }[];
  addEventListener(type: 'track', listener: (e: { track: MediaStreamTrackLike }) => void): void;
  removeEventListener(type: 'track', listener: (e: { track: MediaStreamTrackLike }) => void): void;
}

export interface MediaStreamTrackLike {
  readonly kind: string;
  readonly id: string;
}

/** A realtime AudioContext (the DOM class satisfies it). */
export interface CallAudioContext extends AudioContextLike {
  resume(): Promise<void>;
  close(): Promise<void>;
}

interface AudioElementLike {
  muted: boolean;
  srcObject: unknown;
  play(): Promise<void>;
  pause(): void;
}

/** The browser globals used, typed here so the module compiles without the DOM lib. */
interface BrowserGlobals {
  AudioContext: new (o: { sampleRate: number }) => CallAudioContext;
  MediaStream: new (tracks: MediaStreamTrackLike[]) => unknown;
  MediaStreamAudioSourceNode: new (ctx: CallAudioContext, o: { mediaStream: unknown }) => AudioNodeLike;
  document?: { createElement(tag: 'audio'): AudioElementLike };
}

export interface MonitorCallOptions {
  pc: PeerConnectionLike;
  /** The local audio track before processing (the raw microphone, or your processing's input). */
  localTrack?: MediaStreamTrackLike;
  /** The `earshot serve` base URL: http(s)://host:port or ws(s)://host:port. */
  server: string;
  token?: string;
  /** Session name prefix (letters, digits, . _ -). */
  session: string;
  /** Default: a new AudioContext at 48 kHz (closed by `stop`). */
  context?: CallAudioContext;
  /** Where `capture.worklet.js` is served (bundlers: `earshot/worklets/capture?url`). */
  workletUrl?: string | URL;
}

export interface CallMonitor {
  /** The server's session ids opened so far. */
  readonly sessions: string[];
  /** Stop every tap and close the sessions; resolves with the server's final summaries. */
  stop(): Promise<SummaryRecord[]>;
}

interface Tap {
  handle: number;
  session: string;
  capture: WebAudioSource;
  sub: Subscription;
  done: Promise<void>;
}

/** Tap `o.pc` (see the module comment); rejects when the server cannot be reached or refuses. */
export async function monitorCall(o: MonitorCallOptions): Promise<CallMonitor> {
  const sender = o.pc.getSenders().find((s) => s.track?.kind === 'audio')?.track ?? null;
  if (!sender) throw earshotError('ERR_INVALID_ARGUMENT', 'monitorCall: the peer connection sends no audio track (add it before monitoring)');
  const g = globalThis as unknown as BrowserGlobals;
  const ownContext = o.context === undefined;
  const ctx = o.context ?? new g.AudioContext({ sampleRate: MONITOR_CALL_RATE_HZ });
  const rate = ctx.sampleRate;
  const ingest = await BrowserIngest.connect(ingestEndpoint(o.server, o.token));
  const taps: Tap[] = [];
  const sessions: string[] = [];
  const elements: AudioElementLike[] = [];
  let received = 0;
  let stopped = false;

  const nodeOf = (track: MediaStreamTrackLike, remote: boolean): AudioNodeLike => {
    const stream = new g.MediaStream([track]);
    if (remote && g.document) {
      const el = g.document.createElement('audio');
      el.muted = true;
      el.srcObject = stream;
      void el.play().catch(() => {});
      elements.push(el);
    }
    return new g.MediaStreamAudioSourceNode(ctx, { mediaStream: stream });
  };

  const tap = async (name: string, ref: AudioNodeLike, deg: AudioNodeLike, noisy?: AudioNodeLike): Promise<void> => {
    const streams = noisy ? [REF, DEG, NOISY] : [REF, DEG];
    const opened = await ingest.open({ name, sampleRate: rate, streams });
    const capture = await createWebAudioSource(ctx, { ref, deg, noisy, hop: HOP, transport: 'auto', batchQuanta: BATCH_QUANTA, workletUrl: o.workletUrl });
    let sub: Subscription | undefined;
    const done = new Promise<void>((resolve) => {
      sub = capture.blocks.subscribe({
        next: (b) => {
          try {
            ingest.sendAudio(opened.handle, REF, rate, b.t0, b.ref);
            ingest.sendAudio(opened.handle, DEG, rate, b.t0, b.deg);
            if (b.noisy) ingest.sendAudio(opened.handle, NOISY, rate, b.t0, b.noisy);
          } catch {
            capture.stop(); // the server closed the connection
          }
        },
        error: () => resolve(),
        complete: () => resolve(),
      });
    });
    taps.push({ handle: opened.handle, session: opened.session, capture, sub: sub as Subscription, done });
    sessions.push(opened.session);
  };

  const localNode = o.localTrack ? nodeOf(o.localTrack, false) : undefined;
  const tapReceived = async (track: MediaStreamTrackLike): Promise<void> => {
    if (track.kind !== 'audio' || stopped) return;
    received += 1;
    await tap(`${o.session}-received-${received}`, nodeOf(sender, false), nodeOf(track, true), localNode && nodeOf(o.localTrack as MediaStreamTrackLike, false));
  };
  const seen = new Set<string>();
  const onTrack = (e: { track: MediaStreamTrackLike }) => {
    if (seen.has(e.track.id)) return;
    seen.add(e.track.id);
    void tapReceived(e.track).catch(() => {});
  };
  try {
    if (ctx.state === 'suspended') await ctx.resume();
    if (localNode) await tap(`${o.session}-sent`, localNode, nodeOf(sender, false));
    for (const r of o.pc.getReceivers()) {
      if (r.track.kind !== 'audio' || seen.has(r.track.id)) continue;
      seen.add(r.track.id);
      await tapReceived(r.track);
    }
    o.pc.addEventListener('track', onTrack);
  } catch (e) {
    ingest.disconnect();
    if (ownContext) void ctx.close().catch(() => {});
    throw e;
  }

  return {
    sessions,
    async stop() {
      if (stopped) return [];
      stopped = true;
      o.pc.removeEventListener('track', onTrack);
      for (const t of taps) t.capture.stop();
      await Promise.all(taps.map((t) => t.done));
      const summaries: SummaryRecord[] = [];
      try {
        for (const t of taps) {
          const closed = await ingest.close(t.handle);
          for (const s of closed.summaries ?? []) summaries.push(s as SummaryRecord);
        }
      } finally {
        for (const t of taps) t.sub.unsubscribe();
        ingest.disconnect();
        for (const el of elements) {
          el.pause();
          el.srcObject = null;
        }
        if (ownContext) await ctx.close().catch(() => {});
      }
      return summaries;
    },
  };
}

// @ts-check
/**
 * The page `earshot call` drives in headless Chromium (src/call/). One condition at a time:
 *
 *   noisy signal ──► [getUserMedia processing: NS / AEC / AGC, or nothing] ──► sent track
 *   sent track ──► RTCPeerConnection A ══ Opus over loopback ══► RTCPeerConnection B ──► received track
 *   sent + received ──► one two-input `earshot-capture` worklet ──► batches over a WebSocket to Node
 *
 * - Processing on (any of NS, AEC, AGC): the sender's audio is Chromium's fake capture device playing
 *   the WAV file given at launch (`--use-file-for-fake-audio-capture`), through getUserMedia with the
 *   asked constraints. The file loops from the moment of getUserMedia, so its offset is unknown: the
 *   sent (processed) signal is recorded, and Node finds where in the loop it is.
 * - Processing off: an AudioBufferSourceNode loops the noisy signal (fetched as raw float32) into a
 *   MediaStreamAudioDestinationNode; the same node feeds the recorder's first input directly.
 * - The received stream is attached to a muted <audio> element (without one Chromium's Web Audio hears
 *   silence), its receiver gets `jitterBufferTarget`, and the call settles before recording starts so
 *   NetEq stops moving the delay.
 * - The Opus bitrate: `maxaveragebitrate` munged into the answer's fmtp line, plus the sender's
 *   `maxBitrate` encoding parameter.
 * - Statistics: `getStats()` snapshots of both ends when recording starts and ends (Node computes the
 *   deltas: payload bitrate, packets lost, concealment, jitter-buffer delay).
 *
 * Node calls `window.earshotCall.runCondition(condition)` and reads its result; the audio arrives on
 * the WebSocket as the capture worklet's own batches (a Float64 header of 16 values, then planar
 * float32 per channel, docs/call.md), framed by JSON text messages `begin` and `end`.
 * Plain modern JavaScript, no build step; its one import is the SDP munging (sdp.js).
 */
import { withOpusBitrate } from './sdp.js';

/** The capture worklet's processor name (worklets/capture.worklet.js). */
const CAPTURE_PROCESSOR = 'earshot-capture';
/** Web Audio render quantum, frames. */
const RENDER_QUANTUM = 128;
/** Capture batch, render quanta (4096 frames: 85 ms at 48 kHz). */
const BATCH_QUANTA = 32;
/** Batches the worklet may hold before Node's side returns them (about 1.4 s at 48 kHz). */
const POOL_SIZE = 16;
/** Give up waiting for the peer connections to connect after this long, ms. */
const CONNECT_TIMEOUT_MS = 15000;
/** Give up waiting for the worklet's final message after this long, ms. */
const FINAL_TIMEOUT_MS = 5000;

const statusEl = document.getElementById('status');

/** @param {string} text */
function say(text) {
  if (statusEl) statusEl.textContent = text;
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** @type {WebSocket | undefined} */
let socket;

/**
 * @param {string} url
 * @returns {Promise<WebSocket>}
 */
function connectSocket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
  });
}

/**
 * The fields of both ends' statistics Node uses (W3C webrtc-stats names).
 * @param {RTCPeerConnection} sender
 * @param {RTCPeerConnection} receiver
 */
async function snapshot(sender, receiver) {
  /** @type {Record<string, any>} */
  const out = { outbound: null, inbound: null, codec: null };
  (await sender.getStats()).forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'audio') {
      out.outbound = pick(s, ['timestamp', 'bytesSent', 'headerBytesSent', 'packetsSent', 'targetBitrate']);
    }
  });
  const inbound = await receiver.getStats();
  inbound.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      out.inbound = pick(s, [
        'timestamp',
        'bytesReceived',
        'headerBytesReceived',
        'packetsReceived',
        'packetsLost',
        'packetsDiscarded',
        'jitter',
        'jitterBufferDelay',
        'jitterBufferTargetDelay',
        'jitterBufferMinimumDelay',
        'jitterBufferEmittedCount',
        'totalSamplesReceived',
        'concealedSamples',
        'silentConcealedSamples',
        'concealmentEvents',
        'insertedSamplesForDeceleration',
        'removedSamplesForAcceleration',
        'codecId',
      ]);
    }
  });
  if (out.inbound && out.inbound.codecId) {
    const c = /** @type {Map<string, any>} */ (/** @type {unknown} */ (inbound)).get(out.inbound.codecId);
    if (c) out.codec = pick(c, ['mimeType', 'clockRate', 'channels', 'sdpFmtpLine']);
  }
  return out;
}

/**
 * @param {any} s
 * @param {string[]} keys
 */
function pick(s, keys) {
  /** @type {Record<string, unknown>} */
  const o = {};
  for (const k of keys) if (s[k] !== undefined) o[k] = s[k];
  return o;
}

/** @param {RTCPeerConnection} pc */
function connected(pc) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the peer connection did not connect within ${CONNECT_TIMEOUT_MS / 1000} s (state ${pc.connectionState}; no ICE candidates without --allow-loopback-in-peer-connection)`)), CONNECT_TIMEOUT_MS);
    const check = () => {
      if (pc.connectionState === 'connected') {
        clearTimeout(timer);
        resolve(undefined);
      } else if (pc.connectionState === 'failed') {
        clearTimeout(timer);
        reject(new Error('the peer connection failed'));
      }
    };
    pc.addEventListener('connectionstatechange', check);
    check();
  });
}

/**
 * One call condition, see the module comment.
 * @param {{
 *   index: number, bitrate: number, ns: boolean, aec: boolean, agc: boolean, useMedia: boolean,
 *   sampleRate: number, noisyUrl: string, workletUrl: string, wsUrl: string,
 *   settleSec: number, recordSec: number, jitterBufferTargetMs: number
 * }} c
 */
async function runCondition(c) {
  if (!socket || socket.readyState !== WebSocket.OPEN) socket = await connectSocket(c.wsUrl);
  const ws = socket;
  const ctx = new AudioContext({ sampleRate: c.sampleRate, latencyHint: 'playback' });
  /** @type {(() => void)[]} */
  const cleanup = [() => void ctx.close().catch(() => {})];
  try {
    await ctx.audioWorklet.addModule(c.workletUrl);
    await ctx.resume();
    say(`condition ${c.index}: ${c.bitrate} bit/s, ns ${c.ns}, aec ${c.aec}, agc ${c.agc}`);

    /** @type {MediaStream} */
    let sentStream;
    /** @type {AudioNode} */
    let sentNode;
    let captureRate = null;
    let captureChannels = null;
    if (c.useMedia) {
      sentStream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: c.aec, noiseSuppression: c.ns, autoGainControl: c.agc },
      });
      const settings = sentStream.getAudioTracks()[0].getSettings();
      captureRate = settings.sampleRate ?? null;
      captureChannels = settings.channelCount ?? null;
      cleanup.push(() => sentStream.getTracks().forEach((t) => t.stop()));
      sentNode = new MediaStreamAudioSourceNode(ctx, { mediaStream: sentStream });
    } else {
      const bytes = await (await fetch(c.noisyUrl)).arrayBuffer();
      const samples = new Float32Array(bytes);
      const buffer = new AudioBuffer({ numberOfChannels: 1, length: samples.length, sampleRate: c.sampleRate });
      buffer.copyToChannel(samples, 0);
      const source = new AudioBufferSourceNode(ctx, { buffer, loop: true });
      const dest = new MediaStreamAudioDestinationNode(ctx, { channelCount: 1 });
      source.connect(dest);
      source.start();
      cleanup.push(() => source.stop());
      sentStream = dest.stream;
      sentNode = source;
    }

    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    cleanup.push(() => a.close(), () => b.close());
    a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate));
    b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate));
    /** @type {Promise<RTCTrackEvent>} */
    const remote = new Promise((resolve) => (b.ontrack = resolve));
    const sender = a.addTrack(sentStream.getAudioTracks()[0], sentStream);
    const offer = await a.createOffer();
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(offer);
    const answer = await b.createAnswer();
    await b.setLocalDescription(answer);
    await a.setRemoteDescription({ type: 'answer', sdp: withOpusBitrate(answer.sdp ?? '', c.bitrate) });
    const params = sender.getParameters();
    if (params.encodings && params.encodings.length > 0) {
      params.encodings[0].maxBitrate = c.bitrate;
      await sender.setParameters(params);
    }
    await connected(a);
    const ev = await remote;
    ev.receiver.jitterBufferTarget = c.jitterBufferTargetMs;
    const receivedStream = ev.streams[0] ?? new MediaStream([ev.track]);
    // Without a media element Chromium's Web Audio gets silence from a remote stream.
    const audio = new Audio();
    audio.muted = true;
    audio.srcObject = receivedStream;
    await audio.play().catch(() => {});
    cleanup.push(() => {
      audio.pause();
      audio.srcObject = null;
    });
    const receivedNode = new MediaStreamAudioSourceNode(ctx, { mediaStream: receivedStream });

    const batchFrames = BATCH_QUANTA * RENDER_QUANTUM;
    const capture = new AudioWorkletNode(ctx, CAPTURE_PROCESSOR, {
      numberOfInputs: 2,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      channelCount: 1,
      channelCountMode: 'explicit',
      channelInterpretation: 'speakers',
      processorOptions: { transport: 'port', channels: 2, batchFrames, poolSize: POOL_SIZE, startRunning: false },
    });
    sentNode.connect(capture, 0, 0);
    receivedNode.connect(capture, 0, 1);
    capture.connect(ctx.destination);
    /** @type {any} */
    let final = null;
    capture.port.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) {
        ws.send(e.data); // copied into the socket's queue: the buffer can go back at once
        capture.port.postMessage(e.data, [e.data]);
      } else if (e.data && e.data.type === 'final') {
        final = e.data;
      }
    };

    say(`condition ${c.index}: settling`);
    await sleep(c.settleSec * 1000);
    ws.send(JSON.stringify({ type: 'begin', index: c.index, sampleRate: ctx.sampleRate, batchFrames, channels: 2 }));
    const before = await snapshot(a, b);
    capture.port.postMessage('start');
    say(`condition ${c.index}: recording`);
    await sleep(c.recordSec * 1000);
    capture.port.postMessage('stop');
    const after = await snapshot(a, b);
    const deadline = performance.now() + FINAL_TIMEOUT_MS;
    while (final === null && performance.now() < deadline) await sleep(10);
    ws.send(JSON.stringify({ type: 'end', index: c.index, final }));
    while (ws.bufferedAmount > 0) await sleep(5);
    say(`condition ${c.index}: done`);
    return {
      before,
      after,
      final,
      sampleRate: ctx.sampleRate,
      captureRate,
      captureChannels,
      baseLatency: ctx.baseLatency,
      outputLatency: ctx.outputLatency ?? null,
    };
  } finally {
    for (const f of cleanup.reverse()) {
      try {
        f();
      } catch {
        // already closed
      }
    }
  }
}

// @ts-ignore -- the page's one global, read by src/call/browser-session.ts
window.earshotCall = { runCondition, withOpusBitrate };
say('ready');

/**
 * The one-command demo: a bundled clean speech clip and its noisy mixture loop through a realtime
 * `node-web-audio-api` graph in which the example spectral-subtraction AudioWorklet is the device
 * under test; the capture worklet takes ref (clean), deg (denoised) and noisy out of the audio
 * thread, and the blocks go to a local `earshot serve` over its own ingest protocol on loopback, so
 * the dashboard shows exactly what any external pipeline would see. No microphone, no sound card
 * (sinkId none), no network beyond 127.0.0.1.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Subscription } from 'rxjs';
import { earshotError } from '../errors.js';
import { readWav } from '../io/wav.js';
import { IngestClient } from '../server/client.js';
import type { StreamId } from '../server/protocol.js';
import type { EarshotServer } from '../server/server.js';
import { loadNodeWebAudio, type RealtimeAudioContext } from '../stream/node-web-audio.js';
import { createWebAudioSource } from '../stream/web-audio-source.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Package root from src/demo (tsx) or dist/src/demo (built). */
const root = resolve(here, here.includes(`${'dist'}`) ? '../../..' : '../..');
export const DEMO_CLEAN = resolve(root, 'examples/audio/hello.ref.wav');
export const DEMO_NOISY = resolve(root, 'examples/audio/hello.noisy.wav');
export const DEMO_DENOISER = resolve(root, 'examples/spectral-subtraction.worklet.js');
export const DEMO_SESSION = 'demo';

const STREAMS: Record<'ref' | 'deg' | 'noisy', StreamId> = {
  ref: { kind: 'ref', speaker: 0 },
  deg: { kind: 'deg', speaker: 0 },
  noisy: { kind: 'noisy', speaker: 0 },
};

export interface DemoHandle {
  context: RealtimeAudioContext;
  /** Blocks sent so far and the capture's counters. */
  stats(): { framesSent: number; overruns: number; droppedFrames: number };
  stop(): Promise<void>;
}

/** Start the graph and stream it into `server` (which must accept ingest with `token`). */
export async function startDemoAudio(server: EarshotServer, token: string | undefined): Promise<DemoHandle> {
  const clean = readWav(DEMO_CLEAN);
  const noisy = readWav(DEMO_NOISY);
  if (clean.sampleRate !== noisy.sampleRate) throw earshotError('ERR_SAMPLE_RATE', 'demo clips differ in sample rate');
  const sampleRate = clean.sampleRate;
  const wa = await loadNodeWebAudio('earshot demo');
  const context = new wa.AudioContext({ sinkId: { type: 'none' }, sampleRate, latencyHint: 'playback' });
  const toBuffer = (x: Float64Array) => {
    const b = new wa.AudioBuffer({ length: x.length, sampleRate, numberOfChannels: 1 });
    b.copyToChannel(Float32Array.from(x), 0);
    return b;
  };
  const cleanNode = new wa.AudioBufferSourceNode(context, { buffer: toBuffer(clean.channels[0]), loop: true });
  const noisyNode = new wa.AudioBufferSourceNode(context, { buffer: toBuffer(noisy.channels[0]), loop: true });
  // node-web-audio-api's addModule takes a filesystem path (browsers take a URL).
  await context.audioWorklet.addModule(DEMO_DENOISER);
  const denoiser = new wa.AudioWorkletNode(context, 'spectral-subtraction', {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    outputChannelCount: [1],
    channelCount: 1,
    channelCountMode: 'explicit',
    channelInterpretation: 'speakers',
    processorOptions: {},
  });
  noisyNode.connect(denoiser);
  // A 4 s ring rides out main-thread pauses (the engine's 10 s PESQ-like window, GC) without overruns.
  const source = await createWebAudioSource(context, { ref: cleanNode, deg: denoiser, noisy: noisyNode, AudioWorkletNode: wa.AudioWorkletNode, ringSeconds: 4 });
  const ingest = await IngestClient.connect(server.wsUrl, { token });
  const opened = await ingest.open({ name: DEMO_SESSION, sampleRate, streams: [STREAMS.ref, STREAMS.deg, STREAMS.noisy] });
  let framesSent = 0;
  const subscription: Subscription = source.blocks.subscribe({
    next: (b) => {
      if (ingest.closed) return;
      ingest.sendAudio(opened.handle, STREAMS.ref, sampleRate, b.t0, b.ref, 'float32');
      ingest.sendAudio(opened.handle, STREAMS.deg, sampleRate, b.t0, b.deg, 'float32');
      if (b.noisy) ingest.sendAudio(opened.handle, STREAMS.noisy, sampleRate, b.t0, b.noisy, 'float32');
      framesSent += b.ref.length;
    },
  });
  cleanNode.start();
  noisyNode.start();
  return {
    context,
    stats: () => ({ framesSent, overruns: source.stats().overruns, droppedFrames: source.stats().droppedFrames }),
    stop: async () => {
      source.stop();
      subscription.unsubscribe();
      await context.close();
      if (!ingest.closed) await ingest.close(opened.handle).catch(() => undefined);
      ingest.ws.close();
    },
  };
}

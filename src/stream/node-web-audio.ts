/**
 * Loads `node-web-audio-api` (Web Audio in Node, native) for the Web Audio source in Node: tests,
 * the demo, the DSP rig. Import this module, never the package directly:
 *
 * - node-web-audio-api 2.x declares Node ≥ 22. On Node 20 the one thing it lacks is
 *   `Promise.withResolvers` (used by `AudioWorklet.addModule`); `installPromiseWithResolvers()` defines
 *   it before the package is loaded.
 * - The package's type declarations reference the DOM lib (`/// <reference lib="dom" />`), which would
 *   leak `window` typings into every file of the program. So the module is imported through a
 *   non-literal specifier (TypeScript does not resolve it) and typed here by the small structural
 *   interfaces below, which the browser's classes satisfy too.
 * - Never call `getUserMedia` (or `mediaDevices` at all): on a machine without capture hardware it
 *   aborts the whole process, uncatchably. A realtime `AudioContext` without a sound card needs
 *   `sinkId: { type: 'none' }`.
 * - Every context that runs a JS worklet keeps one core busy (its worklet thread polls): close
 *   contexts as soon as they are done.
 */
import { earshotError } from '../errors.js';
import type {
  AudioContextLike,
  AudioNodeLike,
  AudioWorkletNodeConstructor,
  OfflineAudioContextLike,
} from './web-audio-source.js';

/** A realtime context (what the tests and the demo use of it). */
export interface RealtimeAudioContext extends AudioContextLike {
  readonly currentTime: number;
  resume(): Promise<void>;
  suspend(): Promise<void>;
  close(): Promise<void>;
}

export interface OfflineAudioContextInstance extends OfflineAudioContextLike {
  readonly currentTime: number;
  startRendering(): Promise<AudioBufferInstance>;
}

export interface AudioBufferInstance {
  readonly length: number;
  readonly sampleRate: number;
  readonly numberOfChannels: number;
  readonly duration: number;
  getChannelData(channel: number): Float32Array;
  copyToChannel(source: Float32Array, channel: number, offset?: number): void;
}

export interface AudioParamInstance {
  value: number;
  setValueAtTime(value: number, time: number): AudioParamInstance;
}

export interface AudioBufferSourceNodeInstance extends AudioNodeLike {
  buffer: AudioBufferInstance | null;
  loop: boolean;
  start(when?: number, offset?: number, duration?: number): void;
  stop(when?: number): void;
}

export interface GainNodeInstance extends AudioNodeLike {
  readonly gain: AudioParamInstance;
}

export interface DelayNodeInstance extends AudioNodeLike {
  readonly delayTime: AudioParamInstance;
}

export interface OscillatorNodeInstance extends AudioNodeLike {
  readonly frequency: AudioParamInstance;
  start(when?: number): void;
  stop(when?: number): void;
}

/** The classes of node-web-audio-api this project uses. */
export interface NodeWebAudio {
  AudioContext: new (options?: {
    sampleRate?: number;
    latencyHint?: 'interactive' | 'balanced' | 'playback' | number;
    sinkId?: string | { type: 'none' };
  }) => RealtimeAudioContext;
  OfflineAudioContext: new (options: {
    numberOfChannels: number;
    length: number;
    sampleRate: number;
  }) => OfflineAudioContextInstance;
  AudioWorkletNode: AudioWorkletNodeConstructor;
  AudioBuffer: new (options: { length: number; sampleRate: number; numberOfChannels?: number }) => AudioBufferInstance;
  AudioBufferSourceNode: new (
    context: AudioContextLike,
    options?: { buffer?: AudioBufferInstance; loop?: boolean; playbackRate?: number },
  ) => AudioBufferSourceNodeInstance;
  GainNode: new (context: AudioContextLike, options?: { gain?: number }) => GainNodeInstance;
  DelayNode: new (context: AudioContextLike, options?: { delayTime?: number; maxDelayTime?: number }) => DelayNodeInstance;
  OscillatorNode: new (
    context: AudioContextLike,
    options?: { type?: 'sine' | 'square' | 'sawtooth' | 'triangle'; frequency?: number },
  ) => OscillatorNodeInstance;
}

const PACKAGE = 'node-web-audio-api';

/**
 * Define `Promise.withResolvers` (ES2024) where it is missing (Node 20), as the proposal specifies:
 * a new promise with its resolve and reject functions. Idempotent; never replaces a native one.
 */
export function installPromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

let loading: Promise<NodeWebAudio> | undefined;

/**
 * Install the polyfill, then load node-web-audio-api once (later calls share the same module).
 * It is an optional dependency: when it is not installed this rejects with `ERR_MISSING_DEPENDENCY`,
 * "install node-web-audio-api to use <feature>", and a later call tries again.
 */
export function loadNodeWebAudio(feature = 'Web Audio in Node'): Promise<NodeWebAudio> {
  if (loading === undefined) {
    installPromiseWithResolvers();
    const specifier: string = PACKAGE; // non-literal: keeps the package's DOM typings out (see above)
    loading = import(specifier).then(
      (m: unknown) => m as NodeWebAudio,
      (e: unknown) => {
        loading = undefined;
        throw isMissingPackage(e) ? earshotError('ERR_MISSING_DEPENDENCY', `install ${PACKAGE} to use ${feature} (npm install ${PACKAGE}); it is an optional dependency of earshot and is not installed`) : e;
      },
    );
  }
  return loading;
}

/** The package itself is not installed (not: it is installed but one of its own files fails to load). */
function isMissingPackage(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  return err.code === 'ERR_MODULE_NOT_FOUND' && typeof err.message === 'string' && err.message.includes(`'${PACKAGE}'`);
}

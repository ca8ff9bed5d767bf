/**
 * Our own declarations of the AudioWorkletGlobalScope (Web Audio API 1.0, §1.32) for type-checking
 * `capture.worklet.js` (see `worklets/tsconfig.json`). Kept apart from the main program so these
 * globals never leak into Node code, and without the DOM lib, which would bring the whole window.
 */

/** The subset of MessagePort a processor uses (browser MessagePort, or Node's in node-web-audio-api). */
interface WorkletMessagePort {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

interface AudioWorkletNodeOptionsSeen {
  numberOfInputs?: number;
  numberOfOutputs?: number;
  outputChannelCount?: number[];
  parameterData?: Record<string, number>;
  processorOptions?: unknown;
}

declare class AudioWorkletProcessor {
  constructor(options?: AudioWorkletNodeOptionsSeen);
  readonly port: WorkletMessagePort;
}

interface AudioWorkletProcessorConstructor {
  new (options: AudioWorkletNodeOptionsSeen): AudioWorkletProcessor & {
    process(inputs: Float32Array[][], outputs: Float32Array[][], parameters: Record<string, Float32Array>): boolean;
  };
  parameterDescriptors?: Iterable<unknown>;
}

declare function registerProcessor(name: string, processorCtor: AudioWorkletProcessorConstructor): void;

/** Frame index of the quantum being rendered. */
declare const currentFrame: number;
/** `currentFrame / sampleRate`, seconds. */
declare const currentTime: number;
/** The context's sample rate, Hz. */
declare const sampleRate: number;

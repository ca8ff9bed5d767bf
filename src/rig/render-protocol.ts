/** Messages between the rig (main thread) and its render worker (`render-worker.ts`). */
import type { CaptureStats } from '../stream/web-audio-source.js';

/** One condition to render: the noisy input through the processor, captured with clean and noisy. */
export interface RenderJob {
  id: number;
  sampleRate: number;
  /** The reference, fed to the capture's ref input. */
  clean: Float32Array;
  /** The processor's input, also fed to the capture's noisy input. Same length as clean. */
  noisy: Float32Array;
  /** Absolute path of the processor's module. */
  processorPath: string;
  /** Processor name; absent: the one name the module registers. */
  name?: string;
  /** processorOptions for the processor under test (a JSON object). */
  options: Record<string, unknown>;
  /** processorOptions entries read from files in the worker: bytes as an ArrayBuffer, or a compiled WebAssembly.Module. */
  optionFiles: { key: string; path: string; kind: 'bytes' | 'wasm' }[];
  /** Absolute path of a set-up module whose function gets the context and the node before rendering. */
  setupPath?: string;
  /** The timing wrapper's shared buffer (`createRigBuffer`). */
  rigBuffer: SharedArrayBuffer;
}

export type RenderFailureCode = 'load' | 'name' | 'node' | 'setup' | 'render';

export type RenderReply =
  /** The worker has the job (the render watchdog starts here, not while the worker boots). */
  | { id: number; type: 'started' }
  /** A step of the set-up is done, or `frames` more frames were captured: the render is progressing. */
  | { id: number; type: 'progress'; step?: string; frames?: number }
  | {
      id: number;
      type: 'rendered';
      name: string;
      /** Names the module registered (null: the scope did not answer). */
      names: string[] | null;
      ref: Float64Array;
      deg: Float64Array;
      noisy: Float64Array;
      renderMs: number;
      capture: CaptureStats;
      /** `processorerror` events of the node (constructor failures the wrapper also records). */
      processorErrors: string[];
    }
  | { id: number; type: 'failed'; code: RenderFailureCode; message: string; names?: string[] | null };

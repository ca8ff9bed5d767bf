/**
 * Runs the capture worklet's processor class on the current thread, outside any audio context:
 * the worklet file is evaluated with stand-ins for the AudioWorkletGlobalScope globals (Web Audio
 * 1.0 §1.32) and `process()` is called directly. For unit tests (overruns, zeros, batching: things an
 * audio context makes hard to provoke) and for the benchmark of the bare per-quantum cost.
 * Node only (reads the file); nothing here is used by the live engine.
 */
import { readFileSync } from 'node:fs';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { CAPTURE_PROCESSOR_NAME, defaultCaptureWorkletUrl } from './web-audio-source.js';

/** A capture processor as the audio thread sees it. */
export interface HostedProcessor {
  process(inputs: Float32Array[][], outputs: Float32Array[][], parameters: Record<string, Float32Array>): boolean;
}

export interface HostedCapture {
  processor: HostedProcessor;
  /** The node side of the processor's port (what `AudioWorkletNode.port` would be). */
  port: MessagePort;
  /** Close both ports. */
  close(): void;
}

type ProcessorClass = new (options: { processorOptions: Record<string, unknown> }) => HostedProcessor;

let cached: { cls: ProcessorClass; setPending: (port: MessagePort) => void } | undefined;

/** Evaluate `worklets/capture.worklet.js` once with stand-in globals; returns its processor class. */
function loadClass(): NonNullable<typeof cached> {
  if (cached !== undefined) return cached;
  const source = readFileSync(fileURLToPath(defaultCaptureWorkletUrl()), 'utf8');
  let pendingPort: MessagePort | null = null;
  // The base class hands each new processor the port prepared for it, as a real scope does.
  class AudioWorkletProcessor {
    readonly port: MessagePort;
    constructor() {
      if (pendingPort === null) throw new Error('worklet-host: construct processors with createHostedCapture');
      this.port = pendingPort;
      pendingPort = null;
    }
  }
  const registered = new Map<string, ProcessorClass>();
  const registerProcessor = (name: string, cls: ProcessorClass): void => {
    registered.set(name, cls);
  };
  // The worklet has no imports or exports, so its text is a valid strict-mode function body.
  const evaluate = new Function(
    'AudioWorkletProcessor',
    'registerProcessor',
    'sampleRate',
    'currentFrame',
    'currentTime',
    `"use strict";\n${source}`,
  ) as (...args: unknown[]) => void;
  evaluate(AudioWorkletProcessor, registerProcessor, 48000, 0, 0);
  const cls = registered.get(CAPTURE_PROCESSOR_NAME);
  if (cls === undefined) throw new Error(`worklet-host: the worklet registered no '${CAPTURE_PROCESSOR_NAME}'`);
  cached = {
    cls,
    setPending: (port) => {
      pendingPort = port;
    },
  };
  return cached;
}

/** Construct a capture processor with these `processorOptions`. */
export function createHostedCapture(processorOptions: Record<string, unknown>): HostedCapture {
  const { cls, setPending } = loadClass();
  const channel = new MessageChannel();
  setPending(channel.port1);
  const processor = new cls({ processorOptions });
  return {
    processor,
    port: channel.port2,
    close: () => {
      channel.port1.close();
      channel.port2.close();
    },
  };
}

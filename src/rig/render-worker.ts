/**
 * The rig's render worker (a worker_threads Worker started by `renderer.ts`): builds one
 * OfflineAudioContext per job,
 *
 *   clean  ─────────────────────────────► capture input 0 (ref)
 *   noisy ──► processor under test ──────► capture input 1 (deg)
 *         └──────────────────────────────► capture input 2 (noisy)
 *
 * with the timing wrapper added before the user's module, renders it through the capture worklet and
 * posts the three captured streams back (transferred). processorOptions entries given as files are
 * read here (bytes as an ArrayBuffer, or compiled to a WebAssembly.Module); a `--setup` module's
 * function gets the context and the node before rendering starts. Each step of the set-up and each
 * captured block is reported as progress, which is what the main thread's watchdog watches.
 *
 * Why a worker of our own: a processor whose `process()` never returns blocks its worklet thread
 * forever, and with it the render; nothing in node-web-audio-api can stop that. Terminating this
 * worker stops the nested worklet thread too, so the rig can give up after a timeout and exit.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { loadNodeWebAudio } from '../stream/node-web-audio.js';
import { createWebAudioSource } from '../stream/web-audio-source.js';
import type { RenderFailureCode, RenderJob, RenderReply } from './render-protocol.js';
import { RIG_OPTIONS_KEY, SCOPE_LOADER_SOURCE, WRAPPER_SOURCE } from './worklet-wrapper.js';

/** How long the worklet scope gets to answer the names query, ms (it answers within a few ms). */
const NAMES_TIMEOUT_MS = 3000;
/** Frames per captured block (any size gives the same streams). */
const CAPTURE_HOP = 8192;

class RenderFailure extends Error {
  constructor(
    readonly code: RenderFailureCode,
    message: string,
    readonly names?: string[] | null,
  ) {
    super(message);
  }
}

function errorText(e: unknown): string {
  if (e !== null && typeof e === 'object' && typeof (e as Error).message === 'string') {
    const name = (e as Error).name;
    return name && name !== 'Error' ? `${name}: ${(e as Error).message}` : (e as Error).message;
  }
  return String(e);
}

/** Ask the worklet scope (through the wrapper) which processor names have been registered. */
function registeredNames(port: MessagePort | undefined): Promise<string[] | null> {
  if (port === undefined) return Promise.resolve(null);
  return new Promise((resolve) => {
    const onMessage = (m: unknown): void => {
      const d = m as { type?: string; names?: string[] };
      if (d?.type !== 'earshot-rig:names') return;
      clearTimeout(timer);
      port.off('message', onMessage);
      resolve(Array.isArray(d.names) ? d.names : null);
    };
    const timer = setTimeout(() => {
      port.off('message', onMessage);
      resolve(null);
    }, NAMES_TIMEOUT_MS);
    port.on('message', onMessage);
    port.postMessage({ type: 'earshot-rig:names?' });
  });
}

/** The parts of the WebAssembly global used here (the project's TypeScript libs do not declare it). */
const Wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: ArrayBuffer): Promise<object> } }).WebAssembly;
/** Compiled modules by path: each condition's node gets the same module (compiling once per worker). */
const wasmCache = new Map<string, object>();

/** The file's bytes in an ArrayBuffer of their own (a Node Buffer may be a view into a shared pool). */
function fileBytes(path: string): ArrayBuffer {
  const b = readFileSync(path);
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return out;
}

async function optionEntries(files: RenderJob['optionFiles']): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const f of files) {
    const flag = f.kind === 'wasm' ? '--option-wasm' : '--option-file';
    try {
      if (f.kind === 'bytes') out[f.key] = fileBytes(f.path);
      else {
        let m = wasmCache.get(f.path);
        if (m === undefined) {
          m = await Wasm.compile(fileBytes(f.path));
          wasmCache.set(f.path, m);
        }
        out[f.key] = m;
      }
    } catch (e) {
      throw new RenderFailure('setup', `${flag} ${f.key}=${f.path}: ${errorText(e)}`);
    }
  }
  return out;
}

/** What a `--setup` module's function receives. */
export interface RigSetupArgs {
  context: unknown;
  node: unknown;
  sampleRate: number;
  name: string;
  processorOptions: Record<string, unknown>;
  /** The node-web-audio-api module, to create further nodes. */
  webAudio: unknown;
}

async function runSetup(path: string, args: RigSetupArgs): Promise<void> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    throw new RenderFailure('setup', `--setup ${path}: the module failed to load: ${errorText(e)}`);
  }
  const fn = typeof mod.default === 'function' ? mod.default : mod.setup;
  if (typeof fn !== 'function') {
    throw new RenderFailure('setup', `--setup ${path}: exports no function (expected \`export default function setup({ context, node }) { ... }\` or a named export \`setup\`)`);
  }
  try {
    await (fn as (a: RigSetupArgs) => unknown)(args);
  } catch (e) {
    throw new RenderFailure('setup', `--setup ${path}: the set-up function threw: ${errorText(e)}`);
  }
}

async function render(job: RenderJob, step: (name: string, frames?: number) => void): Promise<RenderReply> {
  const wa = await loadNodeWebAudio('earshot rig');
  step('engine loaded');
  const n = job.clean.length;
  const ctx = new wa.OfflineAudioContext({ numberOfChannels: 1, length: n, sampleRate: job.sampleRate });
  for (const source of [SCOPE_LOADER_SOURCE, WRAPPER_SOURCE]) {
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    try {
      await ctx.audioWorklet.addModule(url);
    } finally {
      URL.revokeObjectURL(url);
    }
  }
  step('wrapper added');
  try {
    await ctx.audioWorklet.addModule(job.processorPath);
  } catch (e) {
    throw new RenderFailure('load', `${job.processorPath}: the module failed to load: ${errorText(e)}`);
  }
  step('module added');
  const names = await registeredNames((ctx.audioWorklet as unknown as { port?: MessagePort }).port);
  let name = job.name;
  if (name === undefined) {
    if (names === null) throw new RenderFailure('name', `${job.processorPath}: cannot list the processors it registers; give --name`, names);
    if (names.length === 0) throw new RenderFailure('name', `${job.processorPath}: registers no processor (registerProcessor was never called)`, names);
    if (names.length > 1) {
      throw new RenderFailure('name', `${job.processorPath}: registers ${names.length} processors (${names.join(', ')}); choose one with --name`, names);
    }
    name = names[0];
  } else if (names !== null && !names.includes(name)) {
    const have = names.length ? `it registers: ${names.join(', ')}` : 'it registers none';
    throw new RenderFailure('name', `${job.processorPath}: no processor named "${name}" (${have})`, names);
  }

  const buffer = (x: Float32Array) => {
    const b = new wa.AudioBuffer({ length: n, sampleRate: job.sampleRate, numberOfChannels: 1 });
    b.copyToChannel(x, 0);
    return b;
  };
  const cleanSource = new wa.AudioBufferSourceNode(ctx, { buffer: buffer(job.clean) });
  const noisySource = new wa.AudioBufferSourceNode(ctx, { buffer: buffer(job.noisy) });
  const fromFiles = await optionEntries(job.optionFiles);
  step('options read');
  const processorOptions = { ...job.options, ...fromFiles };
  let dut;
  try {
    dut = new wa.AudioWorkletNode(ctx, name, {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      channelCount: 1,
      channelCountMode: 'explicit',
      channelInterpretation: 'speakers',
      processorOptions: { ...processorOptions, [RIG_OPTIONS_KEY]: { buffer: job.rigBuffer } },
    });
  } catch (e) {
    throw new RenderFailure('node', `cannot create the AudioWorkletNode "${name}": ${errorText(e)}`, names);
  }
  step('node created');
  if (job.setupPath !== undefined) {
    await runSetup(job.setupPath, { context: ctx, node: dut, sampleRate: job.sampleRate, name, processorOptions, webAudio: wa });
    step('set-up done');
  }
  const processorErrors: string[] = [];
  (dut as unknown as { onprocessorerror: ((e: unknown) => void) | null }).onprocessorerror = (e) => {
    processorErrors.push(errorText((e as { error?: unknown }).error ?? e));
  };
  noisySource.connect(dut);
  const source = await createWebAudioSource(ctx, {
    ref: cleanSource,
    deg: dut,
    noisy: noisySource,
    AudioWorkletNode: wa.AudioWorkletNode,
    hop: CAPTURE_HOP,
  });
  step('capture ready');
  cleanSource.start();
  noisySource.start();
  const ref = new Float64Array(n);
  const deg = new Float64Array(n);
  const noisy = new Float64Array(n);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    source.blocks.subscribe({
      next: (b) => {
        step('block', b.ref.length);
        ref.set(b.ref, b.t0);
        deg.set(b.deg, b.t0);
        if (b.noisy) noisy.set(b.noisy, b.t0);
      },
      error: (e: unknown) => reject(new RenderFailure('render', `rendering failed: ${errorText(e)}`, names)),
      complete: () => resolve(),
    });
  });
  return {
    id: job.id,
    type: 'rendered',
    name,
    names,
    ref,
    deg,
    noisy,
    renderMs: performance.now() - t0,
    capture: source.stats(),
    processorErrors,
  };
}

// node-web-audio-api logs every processor error with console.log(err) on this thread; the rig reports
// those itself (with the quantum and time), so the echo is dropped. Other output passes through.
const log = console.log.bind(console);
console.log = (...args: unknown[]) => {
  if (args.length === 1 && args[0] instanceof Error) return;
  log(...args);
};

const port = parentPort;
if (port === null) throw new Error('render-worker.ts runs in a worker thread');
port.on('message', (job: RenderJob) => {
  port.postMessage({ id: job.id, type: 'started' } satisfies RenderReply);
  const step = (name: string, frames?: number): void => port.postMessage({ id: job.id, type: 'progress', step: name, frames } satisfies RenderReply);
  render(job, step).then(
    (reply) => {
      if (reply.type === 'rendered') port.postMessage(reply, [reply.ref.buffer as ArrayBuffer, reply.deg.buffer as ArrayBuffer, reply.noisy.buffer as ArrayBuffer]);
      else port.postMessage(reply);
    },
    (e: unknown) => {
      const failure: RenderReply =
        e instanceof RenderFailure
          ? { id: job.id, type: 'failed', code: e.code, message: e.message, names: e.names }
          : { id: job.id, type: 'failed', code: 'render', message: `rendering failed: ${errorText(e)}` };
      port.postMessage(failure);
    },
  );
});

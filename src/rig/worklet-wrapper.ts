/**
 * The rig's timing wrapper for the processor under test, and the shared-memory layout it reports
 * through.
 *
 * `WRAPPER_SOURCE` is a worklet module (plain JavaScript, no imports) that the rig adds to the
 * context *before* the user's module. It replaces `registerProcessor` in the AudioWorkletGlobalScope
 * with one that registers a subclass of each processor class whose `process()`:
 *  - times the user's `process()` call alone with `performance.now()` (Node's worker threads and
 *    browsers have it; where it is missing `Date.now()` is used and the report says so), and writes
 *    the duration into a Float64 slot of a SharedArrayBuffer: no allocation, no message per quantum;
 *  - catches exceptions: counts them, keeps the first message (and its first stack frame outside the
 *    wrapper) and, as the Web Audio spec does after an exception, stops calling the user's
 *    `process()`; the output is silence from then on;
 *  - notes a falsy return value while the input is connected (browsers may stop calling such a
 *    processor), an output that is not one mono channel, and non-finite output samples (replaced by
 *    0 so the capture and the metrics keep working);
 *  - returns true, so the render always completes and the report can say what went wrong.
 * The SharedArrayBuffer arrives in `processorOptions[RIG_OPTIONS_KEY]`; the wrapper removes that key
 * before the user's constructor sees the options. Processors created without it run unwrapped.
 *
 * It also makes the scope browser-like before the user's module is evaluated. node-web-audio-api's
 * AudioWorkletGlobalScope is a Node worker thread, so `process` and `Buffer` are globals there, and
 * Emscripten-built loaders (RNNoise, Speex, ...) then take their Node path and fail (`__dirname is not
 * defined`, `require` is not a function) where a browser would work. So:
 *  - `process`, `Buffer` and `global` become accessors that answer `undefined` to every caller except
 *    Node's own code (its bundled fetch reads `global`) and node-web-audio-api's scope code (it calls
 *    `process.exit()` when the context is released), told apart by the caller's file (V8 call sites);
 *  - any `require`, `module`, `exports`, `__dirname`, `__filename` globals are deleted;
 *  - `SCOPE_LOADER_SOURCE`, added before the wrapper, registers a module hook that loads the user's
 *    files as ES modules even where Node would load them as CommonJS (a `.js` file outside a
 *    `"type": "module"` package): browsers load every worklet file as a module, and a CommonJS
 *    wrapper would hand the code `require`, `module` and `__dirname`.
 * And it records uncaught exceptions and unhandled rejections of the scope (an async failure in a
 * constructor, a throwing port handler): the first one's text, the quantum, the count, for the most
 * recently constructed processor (errors before any construction are held and passed to the first).
 *
 * The scope's `port` answers `{type: 'earshot-rig:names?'}` with the names registered so far, so the
 * rig knows which processors a file defines.
 */

/** Key of the rig's entry in `processorOptions` (removed before the user's constructor runs). */
export const RIG_OPTIONS_KEY = '__earshotRig';
/** Name of the capture processor: never wrapped. */
const CAPTURE_NAME = 'earshot-capture';

// Int32 header slots.
export const I_CALLS = 0; // process() calls so far (render quanta while the node is alive)
export const I_BUSY = 1; // 1 while the user's process() is running
export const I_CURRENT = 2; // quantum index of the running (or last) call
export const I_EXCEPTIONS = 3;
export const I_EXCEPTION_AT = 4;
export const I_FALSY = 5; // falsy return values while the input was connected
export const I_FALSY_AT = 6;
export const I_FALSY_KIND = 7; // 1 undefined, 2 false, 3 other falsy value
export const I_NONFINITE = 8; // quanta with NaN or ±Infinity in the output
export const I_NONFINITE_AT = 9;
export const I_SHAPE = 10; // quanta whose output was not exactly one output of `channels` channels
export const I_SHAPE_AT = 11;
export const I_SHAPE_OUTPUTS = 12;
export const I_SHAPE_CHANNELS = 13;
export const I_CTOR_ERROR = 14;
export const I_TEXT_KIND = 15; // 0 none, 1 constructor error, 2 process() error
export const I_TEXT_LENGTH = 16;
export const I_TIMER = 17; // 1 performance.now(), 2 Date.now()
export const I_CONSTRUCTED = 18; // 1 once the wrapped constructor returned
export const I_CAPACITY = 19; // duration slots
export const I_EXPECTED_CHANNELS = 20;
export const I_SCOPE_ERRORS = 21; // uncaught exceptions and unhandled rejections in the worklet scope
export const I_SCOPE_AT = 22; // quantum of the first one (calls made by then)
export const I_SCOPE_KIND = 23; // 1 uncaught exception, 2 unhandled rejection
export const I_SCOPE_TEXT_LENGTH = 24;
export const HEADER_INTS = 32;
/** Byte offset of the Float64 durations (ms per call, −1 for a call that did not reach the user). */
export const DURATIONS_OFFSET = HEADER_INTS * 4;
/** UTF-16 code units kept of the first error message. */
export const TEXT_CHARS = 1024;

export const TEXT_KIND_CONSTRUCTOR = 1;
export const TEXT_KIND_PROCESS = 2;

/** Bytes of a rig buffer with `capacity` duration slots: header, durations, error text, scope error text. */
export function rigBufferBytes(capacity: number): number {
  return DURATIONS_OFFSET + 8 * capacity + 4 * TEXT_CHARS;
}

/** A zeroed rig buffer for a render of `quanta` quanta (plus slack), expecting mono output. */
export function createRigBuffer(quanta: number, channels = 1): SharedArrayBuffer {
  const capacity = quanta + 8;
  const sab = new SharedArrayBuffer(rigBufferBytes(capacity));
  const head = new Int32Array(sab, 0, HEADER_INTS);
  head[I_CAPACITY] = capacity;
  head[I_EXPECTED_CHANNELS] = channels;
  head[I_EXCEPTION_AT] = head[I_FALSY_AT] = head[I_NONFINITE_AT] = head[I_SHAPE_AT] = head[I_SCOPE_AT] = -1;
  return sab;
}

/** What the wrapper saw, read back on the main thread. */
export interface RigCounters {
  calls: number;
  busy: boolean;
  current: number;
  exceptions: number;
  exceptionAt: number;
  falsy: number;
  falsyAt: number;
  falsyKind: 'undefined' | 'false' | 'falsy' | null;
  nonFinite: number;
  nonFiniteAt: number;
  shape: number;
  shapeAt: number;
  shapeOutputs: number;
  shapeChannels: number;
  constructorError: boolean;
  constructed: boolean;
  timer: 'performance.now' | 'Date.now' | null;
  /** First error text (constructor or process), '' if none. */
  errorText: string;
  /** Uncaught exceptions and unhandled rejections in the worklet scope. */
  scopeErrors: number;
  /** Quantum of the first (the number of process() calls made by then). */
  scopeErrorAt: number;
  scopeErrorKind: 'exception' | 'rejection' | null;
  scopeErrorText: string;
  /** ms per call that reached the user's process(), in call order. */
  durations: Float64Array;
}

export function readRigBuffer(sab: SharedArrayBuffer): RigCounters {
  const h = new Int32Array(sab, 0, HEADER_INTS);
  const capacity = h[I_CAPACITY];
  const calls = Atomics.load(h, I_CALLS);
  const all = new Float64Array(sab, DURATIONS_OFFSET, capacity);
  const stored = Math.min(calls, capacity);
  let measured = 0;
  for (let i = 0; i < stored; i++) if (all[i] >= 0) measured++;
  const durations = new Float64Array(measured);
  for (let i = 0, j = 0; i < stored; i++) if (all[i] >= 0) durations[j++] = all[i];
  const textLength = Math.min(h[I_TEXT_LENGTH], TEXT_CHARS);
  const text = new Uint16Array(sab, DURATIONS_OFFSET + 8 * capacity, TEXT_CHARS);
  let errorText = '';
  for (let i = 0; i < textLength; i++) errorText += String.fromCharCode(text[i]);
  const scopeLength = Math.min(h[I_SCOPE_TEXT_LENGTH], TEXT_CHARS);
  const scopeText = new Uint16Array(sab, DURATIONS_OFFSET + 8 * capacity + 2 * TEXT_CHARS, TEXT_CHARS);
  let scopeErrorText = '';
  for (let i = 0; i < scopeLength; i++) scopeErrorText += String.fromCharCode(scopeText[i]);
  const scopeKind = h[I_SCOPE_KIND];
  const falsyKind = h[I_FALSY_KIND];
  return {
    calls,
    busy: Atomics.load(h, I_BUSY) === 1,
    current: Atomics.load(h, I_CURRENT),
    exceptions: h[I_EXCEPTIONS],
    exceptionAt: h[I_EXCEPTION_AT],
    falsy: h[I_FALSY],
    falsyAt: h[I_FALSY_AT],
    falsyKind: falsyKind === 1 ? 'undefined' : falsyKind === 2 ? 'false' : falsyKind === 3 ? 'falsy' : null,
    nonFinite: h[I_NONFINITE],
    nonFiniteAt: h[I_NONFINITE_AT],
    shape: h[I_SHAPE],
    shapeAt: h[I_SHAPE_AT],
    shapeOutputs: h[I_SHAPE_OUTPUTS],
    shapeChannels: h[I_SHAPE_CHANNELS],
    constructorError: h[I_CTOR_ERROR] === 1,
    constructed: h[I_CONSTRUCTED] === 1,
    timer: h[I_TIMER] === 1 ? 'performance.now' : h[I_TIMER] === 2 ? 'Date.now' : null,
    errorText,
    scopeErrors: Atomics.load(h, I_SCOPE_ERRORS),
    scopeErrorAt: h[I_SCOPE_AT],
    scopeErrorKind: scopeKind === 1 ? 'exception' : scopeKind === 2 ? 'rejection' : null,
    scopeErrorText,
    durations,
  };
}

/** Module hooks for the worklet thread: files Node would load as CommonJS are loaded as ES modules. */
const LOADER_HOOKS = `import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const ENGINE = /[\\\\/]node-web-audio-api[\\\\/]/;
export async function load(url, context, nextLoad) {
  const r = await nextLoad(url, context);
  if (r.format === 'commonjs' && url.startsWith('file:') && !ENGINE.test(url)) {
    return { format: 'module', source: r.source ?? readFileSync(fileURLToPath(url)), shortCircuit: true };
  }
  return r;
}
`;

/**
 * A worklet module the rig adds first: registers `LOADER_HOOKS` in the worklet thread (Node ≥ 20.6;
 * a no-op where `module.register` is missing).
 */
export const SCOPE_LOADER_SOURCE = `// earshot rig: load the user's files as ES modules, as a browser does (see src/rig/worklet-wrapper.ts)
import * as nodeModule from 'node:module';
if (typeof nodeModule.register === 'function') nodeModule.register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(LOADER_HOOKS))});
`;

/**
 * The worklet module. Constants are spliced in from this file so both sides share one layout.
 * Hot path (`process`): property reads, typed-array stores, one try/catch; nothing allocated.
 */
export const WRAPPER_SOURCE = `// earshot rig: timing wrapper (see src/rig/worklet-wrapper.ts)
const RIG_KEY = ${JSON.stringify(RIG_OPTIONS_KEY)};
const CAPTURE_NAME = ${JSON.stringify(CAPTURE_NAME)};
// Rig state per instance lives beside the object, not on it: adding a property after the user's
// constructor would change the object's hidden class and deoptimize code the constructor warmed up.
const STATES = new WeakMap();
const HEADER_INTS = ${HEADER_INTS};
const DURATIONS_OFFSET = ${DURATIONS_OFFSET};
const TEXT_CHARS = ${TEXT_CHARS};
const I_CALLS = ${I_CALLS}, I_BUSY = ${I_BUSY}, I_CURRENT = ${I_CURRENT};
const I_EXCEPTIONS = ${I_EXCEPTIONS}, I_EXCEPTION_AT = ${I_EXCEPTION_AT};
const I_FALSY = ${I_FALSY}, I_FALSY_AT = ${I_FALSY_AT}, I_FALSY_KIND = ${I_FALSY_KIND};
const I_NONFINITE = ${I_NONFINITE}, I_NONFINITE_AT = ${I_NONFINITE_AT};
const I_SHAPE = ${I_SHAPE}, I_SHAPE_AT = ${I_SHAPE_AT}, I_SHAPE_OUTPUTS = ${I_SHAPE_OUTPUTS}, I_SHAPE_CHANNELS = ${I_SHAPE_CHANNELS};
const I_CTOR_ERROR = ${I_CTOR_ERROR}, I_TEXT_KIND = ${I_TEXT_KIND}, I_TEXT_LENGTH = ${I_TEXT_LENGTH};
const I_TIMER = ${I_TIMER}, I_CONSTRUCTED = ${I_CONSTRUCTED}, I_CAPACITY = ${I_CAPACITY}, I_EXPECTED_CHANNELS = ${I_EXPECTED_CHANNELS};
const I_SCOPE_ERRORS = ${I_SCOPE_ERRORS}, I_SCOPE_AT = ${I_SCOPE_AT}, I_SCOPE_KIND = ${I_SCOPE_KIND}, I_SCOPE_TEXT_LENGTH = ${I_SCOPE_TEXT_LENGTH};
const KIND_CONSTRUCTOR = ${TEXT_KIND_CONSTRUCTOR}, KIND_PROCESS = ${TEXT_KIND_PROCESS};

// --- A browser-like scope: hide Node's globals from the user's module (see worklet-wrapper.ts). ---
const REAL_PROCESS = typeof globalThis.process === 'object' ? globalThis.process : undefined;
/** Files whose code still gets the real globals: Node's own, and node-web-audio-api's scope code. */
const ENGINE_FILE = /^node:|[\\/]node-web-audio-api[\\/]js[\\/]/;
/** The file of the code that read \`process\` (the getter's caller), or '' if unknown. */
function callerFile(getter) {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  let file = '';
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = (_, sites) => sites;
    const holder = {};
    Error.captureStackTrace(holder, getter);
    const sites = holder.stack;
    if (Array.isArray(sites) && sites.length > 0) file = String(sites[0].getFileName() || '');
  } catch (_) {
    file = '';
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
  return file;
}
/** Make globalThis[name] undefined to the user's code (which may still assign its own: a polyfill). */
function hideFromUser(name) {
  const real = globalThis[name];
  if (real === undefined) return;
  let own = undefined;
  const get = function () {
    return ENGINE_FILE.test(callerFile(get)) ? real : own;
  };
  const set = function (value) {
    own = value;
  };
  try {
    Object.defineProperty(globalThis, name, { get, set, configurable: true, enumerable: false });
  } catch (_) { /* not configurable: left */ }
}
hideFromUser('process');
hideFromUser('Buffer');
hideFromUser('global');
for (const name of ['require', 'module', 'exports', '__dirname', '__filename']) {
  try { delete globalThis[name]; } catch (_) { /* not configurable: left */ }
}

const HAS_PERF = typeof performance === 'object' && performance !== null && typeof performance.now === 'function';
const now = HAS_PERF ? () => performance.now() : () => Date.now();
const originalRegister = globalThis.registerProcessor;
const registered = [];

/** "Name: message (first stack frame outside this wrapper)"; error path only. */
function describe(err) {
  try {
    if (err !== null && typeof err === 'object' && typeof err.message === 'string') {
      let text = (err.name || 'Error') + ': ' + err.message;
      const stack = typeof err.stack === 'string' ? err.stack.split('\\n') : [];
      for (const line of stack) {
        const t = line.trim();
        if (!t.startsWith('at ') || t.includes('data:text/javascript') || t.includes('node-web-audio-api')) continue;
        const m = /\\(([^()]*)\\)\\s*$/.exec(t);
        text += ' (at ' + (m ? m[1] : t.slice(3)).replace(/^file:\\/\\//, '') + ')';
        break;
      }
      return text;
    }
    return 'threw a non-Error value: ' + String(err);
  } catch (_) {
    return 'threw a value that cannot be printed';
  }
}

function record(state, kind, err) {
  const h = state.head;
  if (h[I_TEXT_KIND] !== 0) return;
  const text = describe(err);
  const n = Math.min(text.length, TEXT_CHARS);
  for (let i = 0; i < n; i++) state.text[i] = text.charCodeAt(i);
  h[I_TEXT_LENGTH] = n;
  Atomics.store(h, I_TEXT_KIND, kind);
}

// Uncaught exceptions and unhandled rejections of the scope, for the latest rig-created processor.
let LATEST = null;
const PENDING = [];

function recordScope(state, kind, err) {
  const h = state.head;
  if (Atomics.add(h, I_SCOPE_ERRORS, 1) !== 0) return;
  h[I_SCOPE_AT] = state.calls;
  const text = describe(err);
  const n = Math.min(text.length, TEXT_CHARS);
  for (let i = 0; i < n; i++) state.scopeText[i] = text.charCodeAt(i);
  h[I_SCOPE_TEXT_LENGTH] = n;
  Atomics.store(h, I_SCOPE_KIND, kind);
}

function onScopeError(kind, err) {
  if (LATEST !== null) recordScope(LATEST, kind, err);
  else if (PENDING.length < 16) PENDING.push([kind, err]);
}

if (REAL_PROCESS !== undefined && typeof REAL_PROCESS.on === 'function') {
  REAL_PROCESS.on('uncaughtException', (err) => onScopeError(1, err));
  // With a listener, Node no longer turns an unhandled rejection into an uncaught exception.
  REAL_PROCESS.on('unhandledRejection', (reason) => onScopeError(2, reason));
}

function silence(outputs) {
  for (let o = 0; o < outputs.length; o++) {
    const out = outputs[o];
    for (let c = 0; c < out.length; c++) out[c].fill(0);
  }
}

function makeState(sab) {
  const head = new Int32Array(sab, 0, HEADER_INTS);
  const capacity = head[I_CAPACITY];
  head[I_TIMER] = HAS_PERF ? 1 : 2;
  return {
    head,
    durations: new Float64Array(sab, DURATIONS_OFFSET, capacity),
    text: new Uint16Array(sab, DURATIONS_OFFSET + 8 * capacity, TEXT_CHARS),
    scopeText: new Uint16Array(sab, DURATIONS_OFFSET + 8 * capacity + 2 * TEXT_CHARS, TEXT_CHARS),
    capacity,
    channels: head[I_EXPECTED_CHANNELS],
    calls: 0,
    dead: false,
    own: null,
  };
}

function wrap(Processor) {
  return class extends Processor {
    constructor(options) {
      const po = options && options.processorOptions;
      const rig = po !== null && typeof po === 'object' ? po[RIG_KEY] : undefined;
      if (rig !== undefined) delete po[RIG_KEY];
      const state = rig && rig.buffer ? makeState(rig.buffer) : null;
      if (state) {
        // Errors of the scope from now on (an async failure of this constructor, say) are this node's.
        LATEST = state;
        while (PENDING.length > 0) {
          const [kind, err] = PENDING.shift();
          recordScope(state, kind, err);
        }
      }
      try {
        super(options);
      } catch (err) {
        if (state) {
          state.head[I_CTOR_ERROR] = 1;
          record(state, KIND_CONSTRUCTOR, err);
        }
        throw err;
      }
      if (state) {
        STATES.set(this, state);
        // A process() assigned in the constructor (an own property) would hide ours: take it over.
        const own = Object.getOwnPropertyDescriptor(this, 'process');
        if (own && typeof own.value === 'function') {
          state.own = own.value;
          try { delete this.process; } catch (_) { /* non-configurable: cannot be timed */ }
        }
        Atomics.store(state.head, I_CONSTRUCTED, 1);
      }
    }

    process(inputs, outputs, parameters) {
      const s = STATES.get(this);
      if (!s) return super.process(inputs, outputs, parameters); // not created by the rig: unwrapped
      const h = s.head;
      const q = s.calls++;
      Atomics.store(h, I_CALLS, s.calls);
      if (s.dead) {
        // After an exception the spec stops calling process(): silence, as a browser would output.
        if (q < s.capacity) s.durations[q] = -1;
        silence(outputs);
        return true;
      }
      Atomics.store(h, I_CURRENT, q);
      Atomics.store(h, I_BUSY, 1);
      let ret = true;
      let threw = false;
      let error = null;
      const t0 = now();
      try {
        ret = s.own !== null ? s.own.call(this, inputs, outputs, parameters) : super.process(inputs, outputs, parameters);
      } catch (err) {
        threw = true;
        error = err;
      }
      const dt = now() - t0;
      Atomics.store(h, I_BUSY, 0);
      if (q < s.capacity) s.durations[q] = dt;
      if (threw) {
        if (h[I_EXCEPTIONS]++ === 0) h[I_EXCEPTION_AT] = q;
        record(s, KIND_PROCESS, error);
        s.dead = true;
        silence(outputs);
        return true;
      }
      if (!ret && inputs.length > 0 && inputs[0].length > 0) {
        if (h[I_FALSY]++ === 0) {
          h[I_FALSY_AT] = q;
          h[I_FALSY_KIND] = ret === undefined ? 1 : ret === false ? 2 : 3;
        }
      }
      if (outputs.length !== 1 || outputs[0].length !== s.channels) {
        if (h[I_SHAPE]++ === 0) {
          h[I_SHAPE_AT] = q;
          h[I_SHAPE_OUTPUTS] = outputs.length;
          h[I_SHAPE_CHANNELS] = outputs.length > 0 ? outputs[0].length : 0;
        }
      }
      let bad = false;
      for (let o = 0; o < outputs.length; o++) {
        const out = outputs[o];
        for (let c = 0; c < out.length; c++) {
          const y = out[c];
          for (let i = 0; i < y.length; i++) {
            const v = y[i];
            if (v - v !== 0) {
              // NaN or ±Infinity
              y[i] = 0;
              bad = true;
            }
          }
        }
      }
      if (bad && h[I_NONFINITE]++ === 0) h[I_NONFINITE_AT] = q;
      return true;
    }
  };
}

globalThis.registerProcessor = function registerProcessor(name, Processor) {
  if (name === CAPTURE_NAME || typeof Processor !== 'function') return originalRegister(name, Processor);
  const Wrapped = wrap(Processor);
  Object.defineProperty(Wrapped, 'name', { value: Processor.name || 'Processor' });
  const result = originalRegister(name, Wrapped);
  registered.push(String(name));
  return result;
};

const scopePort = globalThis.port;
if (scopePort && typeof scopePort.addEventListener === 'function') {
  scopePort.addEventListener('message', (event) => {
    const d = event && event.data;
    if (d && d.type === 'earshot-rig:names?') scopePort.postMessage({ type: 'earshot-rig:names', names: registered.slice() });
  });
  if (typeof scopePort.start === 'function') scopePort.start();
}
`;

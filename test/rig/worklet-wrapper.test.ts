/**
 * The timing wrapper's source run in a fake AudioWorkletGlobalScope (node:vm): what it does around
 * the user's process() without any audio engine. The real engine path is covered by
 * rig-command.test.ts.
 */
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { RIG_OPTIONS_KEY, WRAPPER_SOURCE, createRigBuffer, readRigBuffer } from '../../src/rig/worklet-wrapper.js';

type Ctor = new (options: unknown) => { process(i: Float32Array[][], o: Float32Array[][], p: object): boolean; seen?: unknown };

/** An injected clock for the scope's performance.now(): it moves only when a test's processor moves it. */
interface VirtualClock {
  ms: number;
  now(): number;
}

function virtualClock(): VirtualClock {
  return { ms: 0, now() { return this.ms; } };
}

/** A fake worklet scope whose `performance` is `clock` (none at all when null), with `globals` added. */
function scope(clock: VirtualClock | null = virtualClock(), globals: Record<string, unknown> = {}) {
  const registered = new Map<string, Ctor>();
  const context = vm.createContext({
    ...(clock ? { performance: clock } : {}),
    ...globals,
    registerProcessor: (name: string, C: Ctor) => void registered.set(name, C),
  });
  vm.runInContext('globalThis.AudioWorkletProcessor = class AudioWorkletProcessor {};', context);
  vm.runInContext(WRAPPER_SOURCE, context);
  return {
    define: (src: string) => vm.runInContext(src, context),
    /** Run `src` as if it were code of the file `filename` (what the scope's accessors look at). */
    defineAs: (src: string, filename: string) => vm.runInContext(src, context, { filename }),
    registered,
  };
}

/** A stand-in for Node's process object: the listeners the wrapper adds, and what makes it look like Node. */
function fakeProcess() {
  const listeners = new Map<string, ((e: unknown) => void)[]>();
  return {
    versions: { node: '20.0.0' },
    on(event: string, fn: (e: unknown) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
      return this;
    },
    emit(event: string, e: unknown) {
      for (const fn of listeners.get(event) ?? []) fn(e);
    },
  };
}

function io(x: number[]) {
  const input = [[Float32Array.from(x)]];
  const output = [[new Float32Array(x.length)]];
  return { input, output };
}

describe('timing wrapper', () => {
  it('strips its option, times each call, passes the output through, and names what it registered', () => {
    const s = scope();
    // Call q costs (q + 1) × 0.25 ms on the virtual clock (sums of quarters: exact in float64).
    s.define(`registerProcessor('copy', class extends AudioWorkletProcessor {
      constructor(options) { super(); this.seen = JSON.stringify(options.processorOptions); this.q = 0; }
      process(inputs, outputs) { outputs[0][0].set(inputs[0][0]); performance.ms += ++this.q * 0.25; return true; }
    });`);
    const sab = createRigBuffer(4);
    const P = s.registered.get('copy')!;
    const p = new P({ processorOptions: { gain: 2, [RIG_OPTIONS_KEY]: { buffer: sab } } });
    expect(p.seen).toBe('{"gain":2}'); // the user's constructor never sees the rig's key
    for (let q = 0; q < 3; q++) {
      const { input, output } = io([q, 1, 2]);
      expect(p.process(input, output, {})).toBe(true);
      expect(Array.from(output[0][0])).toEqual([q, 1, 2]);
    }
    const c = readRigBuffer(sab);
    expect(c).toMatchObject({ calls: 3, busy: false, current: 2, exceptions: 0, falsy: 0, nonFinite: 0, shape: 0, constructed: true, timer: 'performance.now' });
    expect(Array.from(c.durations)).toEqual([0.25, 0.5, 0.75]); // the user's call alone, by the scope's clock
  });

  it('an exception: counted once with its message, silence from then on, the user never called again', () => {
    const s = scope();
    s.define(`globalThis.calls = 0; registerProcessor('boom', class extends AudioWorkletProcessor {
      process(inputs, outputs) { outputs[0][0].fill(1); if (++globalThis.calls === 2) throw new RangeError('too loud'); return true; }
    });`);
    const sab = createRigBuffer(4);
    const p = new (s.registered.get('boom')!)({ processorOptions: { [RIG_OPTIONS_KEY]: { buffer: sab } } });
    const outs = [0, 1, 2, 3].map(() => {
      const { input, output } = io([0.5, 0.5]);
      expect(p.process(input, output, {})).toBe(true); // the rig keeps rendering
      return Array.from(output[0][0]);
    });
    expect(outs).toEqual([[1, 1], [0, 0], [0, 0], [0, 0]]);
    expect(s.define('globalThis.calls')).toBe(2);
    const c = readRigBuffer(sab);
    expect(c).toMatchObject({ calls: 4, exceptions: 1, exceptionAt: 1 });
    expect(c.errorText).toMatch(/^RangeError: too loud \(at evalmachine\.<anonymous>:\d+:\d+\)$/);
    expect(c.durations).toHaveLength(2); // calls that never reached the user are not timed
  });

  it('falsy returns (only while the input is connected), NaN and ±Infinity scrubbed to 0, channel layout', () => {
    const s = scope();
    s.define(`registerProcessor('odd', class extends AudioWorkletProcessor {
      process(inputs, outputs) { const y = outputs[0][0]; y[0] = NaN; y[1] = Infinity; y[2] = -Infinity; y[3] = 0.25; }
    });`);
    const sab = createRigBuffer(4);
    const p = new (s.registered.get('odd')!)({ processorOptions: { [RIG_OPTIONS_KEY]: { buffer: sab } } });
    const { input, output } = io([1, 1, 1, 1]);
    p.process(input, output, {});
    expect(Array.from(output[0][0])).toEqual([0, 0, 0, 0.25]);
    p.process([[]], [[new Float32Array(4)], [new Float32Array(4)]], {}); // no input channel; two outputs
    const c = readRigBuffer(sab);
    expect(c).toMatchObject({ falsy: 1, falsyAt: 0, falsyKind: 'undefined', nonFinite: 2, nonFiniteAt: 0, shape: 1, shapeAt: 1, shapeOutputs: 2, shapeChannels: 1 });
  });

  it('a constructor error is recorded, then rethrown', () => {
    const s = scope();
    s.define(`registerProcessor('ctor', class extends AudioWorkletProcessor { constructor() { super(); throw new Error('no options'); } process() { return true; } });`);
    const sab = createRigBuffer(4);
    expect(() => new (s.registered.get('ctor')!)({ processorOptions: { [RIG_OPTIONS_KEY]: { buffer: sab } } })).toThrow('no options');
    expect(readRigBuffer(sab)).toMatchObject({ constructorError: true, constructed: false, errorText: expect.stringMatching(/^Error: no options/) });
  });

  it('a process() assigned in the constructor is timed; a node made outside the rig runs unwrapped', () => {
    const s = scope();
    s.define(`registerProcessor('own', class extends AudioWorkletProcessor {
      constructor() { super(); this.process = (inputs, outputs) => { outputs[0][0].fill(7); return true; }; }
    });`);
    const sab = createRigBuffer(4);
    const p = new (s.registered.get('own')!)({ processorOptions: { [RIG_OPTIONS_KEY]: { buffer: sab } } });
    const { input, output } = io([1]);
    p.process(input, output, {});
    expect(output[0][0][0]).toBe(7);
    expect(readRigBuffer(sab).durations).toHaveLength(1);
    const plain = new (s.registered.get('own')!)({ processorOptions: {} });
    const o2 = io([1]);
    expect(plain.process(o2.input, o2.output, {})).toBe(true);
    expect(o2.output[0][0][0]).toBe(7);
  });

  it('without performance.now() it falls back to Date.now() and says so', () => {
    const s = scope(null);
    s.define(`registerProcessor('p', class extends AudioWorkletProcessor { process() { return true; } });`);
    const sab = createRigBuffer(2);
    const p = new (s.registered.get('p')!)({ processorOptions: { [RIG_OPTIONS_KEY]: { buffer: sab } } });
    const { input, output } = io([0]);
    p.process(input, output, {});
    expect(readRigBuffer(sab)).toMatchObject({ timer: 'Date.now', calls: 1 });
  });

  it('leaves the capture processor alone', () => {
    const s = scope();
    s.define(`class Capture extends AudioWorkletProcessor { process() { return true; } }; registerProcessor('earshot-capture', Capture);`);
    expect(s.registered.get('earshot-capture')!.name).toBe('Capture');
    expect(s.define('Capture')).toBe(s.registered.get('earshot-capture'));
  });

  it('a browser-like scope: process, Buffer and global are undefined to the user, there for the engine and Node', () => {
    const proc = fakeProcess();
    const buffer = { from: () => 0 };
    const global = { marker: 1 };
    const s = scope(virtualClock(), { process: proc, Buffer: buffer, global });
    const user = '[typeof process, typeof Buffer, typeof global, typeof require, typeof __dirname, typeof module].join()';
    expect(s.defineAs(user, '/home/me/denoiser/rnnoise.worklet.js')).toBe('undefined,undefined,undefined,undefined,undefined,undefined');
    // Emscripten's test for Node is false.
    expect(s.defineAs("typeof process == 'object' && typeof process.versions == 'object'", 'file:///x/worklet.js')).toBe(false);
    // node-web-audio-api's scope code (process.exit() at release) and Node's internals still see them.
    expect(s.defineAs('process', '/app/node_modules/node-web-audio-api/js/AudioWorkletGlobalScope.js')).toBe(proc);
    expect(s.defineAs('Buffer', 'node:internal/modules/esm/translators')).toBe(buffer);
    expect(s.defineAs('global', 'node:internal/deps/undici/undici')).toBe(global); // Node's fetch reads it
    // A bundle's own polyfill (globalThis.process = { env }) is the user's to set and read; the engine keeps the real one.
    expect(s.defineAs("globalThis.process = { env: { NODE_ENV: 'production' } }; process.env.NODE_ENV", '/app/bundle.worklet.js')).toBe('production');
    expect(s.defineAs('process', '/app/node_modules/node-web-audio-api/js/AudioWorkletGlobalScope.js')).toBe(proc);
  });

  it('uncaught exceptions and unhandled rejections of the scope: recorded for the latest processor, earlier ones passed to the first', () => {
    const proc = fakeProcess();
    const s = scope(virtualClock(), { process: proc });
    s.define(`registerProcessor('p', class extends AudioWorkletProcessor { process() { return true; } });`);
    proc.emit('unhandledRejection', new ReferenceError('__dirname is not defined')); // before any processor
    const sab = createRigBuffer(8);
    const p = new (s.registered.get('p')!)({ processorOptions: { [RIG_OPTIONS_KEY]: { buffer: sab } } });
    for (let q = 0; q < 3; q++) {
      const { input, output } = io([0]);
      p.process(input, output, {});
    }
    proc.emit('uncaughtException', new TypeError('later'));
    const c = readRigBuffer(sab);
    expect(c).toMatchObject({ scopeErrors: 2, scopeErrorAt: 0, scopeErrorKind: 'rejection', scopeErrorText: expect.stringMatching(/^ReferenceError: __dirname is not defined \(at .*worklet-wrapper\.test\.ts:\d+:\d+\)$/) });
    // A second processor gets the errors from then on.
    const sab2 = createRigBuffer(8);
    const p2 = new (s.registered.get('p')!)({ processorOptions: { [RIG_OPTIONS_KEY]: { buffer: sab2 } } });
    const { input, output } = io([0]);
    p2.process(input, output, {});
    proc.emit('uncaughtException', 'a string');
    expect(readRigBuffer(sab2)).toMatchObject({ scopeErrors: 1, scopeErrorAt: 1, scopeErrorKind: 'exception', scopeErrorText: 'threw a non-Error value: a string' });
    expect(readRigBuffer(sab).scopeErrors).toBe(2);
  });
});

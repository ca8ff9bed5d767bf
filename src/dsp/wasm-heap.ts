/**
 * What the WebAssembly kernels (fft-wasm.ts, lpc-wasm.ts) share: synchronous loading of an embedded
 * SIMD module and a bump allocator over its linear memory. No Node built-in is used, so this also runs
 * in browsers and AudioWorklets.
 */

/** The little of the WebAssembly JS API used here (the project's TS lib has no DOM/WebAssembly types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/** A kernel's linear memory (every module exports it as `memory`). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/**
 * The exports of `bytes`, compiled and instantiated synchronously; null if this runtime has no
 * WebAssembly or no SIMD, or compilation/instantiation throws (Chrome refuses synchronous compiles of
 * modules over 4 KB on the main thread). Never throws.
 */
export function instantiateSimd(bytes: Uint8Array): unknown {
  try {
    const wa = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wa === undefined || !wa.validate(bytes)) return null; // validate is false without SIMD
    return new wa.Instance(new wa.Module(bytes), {}).exports;
  } catch {
    return null;
  }
}

/** Bump allocator over a module's memory; its users allocate once (in constructors) and never free. */
export class WasmHeap {
  readonly memory: WasmMemory;
  /** Bumped whenever memory grows (which detaches every view of the old buffer). */
  generation = 0;
  private top: number;

  constructor(memory: WasmMemory) {
    this.memory = memory;
    this.top = memory.buffer.byteLength; // the modules themselves use nothing above their initial memory
  }

  /** `bytes` (rounded up to 16) of memory; throws a RangeError if memory cannot grow. */
  alloc(bytes: number): number {
    const p = this.top;
    this.top += Math.ceil(bytes / 16) * 16;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      this.memory.grow(Math.ceil((this.top - have) / 65536));
      this.generation++;
    }
    return p;
  }
}

/** Standard base64 to bytes (no `atob`/`Buffer`: neither exists everywhere this module may run). */
export function decodeBase64(s: string): Uint8Array {
  const code = (c: number): number =>
    c >= 65 && c <= 90 ? c - 65 : c >= 97 && c <= 122 ? c - 71 : c >= 48 && c <= 57 ? c + 4 : c === 43 ? 62 : c === 47 ? 63 : -1;
  let len = s.length;
  while (len > 0 && s.charCodeAt(len - 1) === 61) len--; // '=' padding
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < len; i++) {
    const v = code(s.charCodeAt(i));
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

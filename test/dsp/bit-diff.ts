/** Shared by the WebAssembly kernels' bit-identity tests (fft-wasm, lpc-wasm). */
import { expect } from 'vitest';

/** Indices where a and b differ in any bit (so −0 ≠ +0 and NaN payloads count). */
export function bitDiff(a: Float64Array, b: Float64Array): number[] {
  expect(a.length).toBe(b.length);
  const ua = new BigUint64Array(a.buffer, a.byteOffset, a.length);
  const ub = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  const bad: number[] = [];
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i]) bad.push(i);
  return bad;
}

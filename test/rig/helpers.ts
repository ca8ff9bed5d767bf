/**
 * Shared test helpers for the rig: short WAV inputs written to a temporary folder, and a runner that
 * captures the CLI's output.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRig, type RigIo } from '../../src/cli/rig-command.js';
import { encodeWavPcm16, readWav } from '../../src/io/wav.js';
import { seededRandom } from '../helpers/corpus.js';

export const HELLO = 'examples/audio/hello.ref.wav';
/** A render of a few seconds usually takes well under one here, but has been seen to stall for
 * seconds on a first run or a loaded machine: tests wait generously and assert on content. */
export const RIG_TIMEOUT_MS = 180_000;

export const tmp = mkdtempSync(join(tmpdir(), 'earshot-rig-'));

export function writeWav(name: string, x: Float64Array, rate = 16000): string {
  const path = join(tmp, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, encodeWavPcm16([x], rate));
  return path;
}

/** `seconds` of hello.ref.wav (16 kHz speech) starting at `offsetSec`. */
export function speech(offsetSec: number, seconds: number): Float64Array {
  const x = readWav(HELLO).channels[0];
  const start = Math.round(offsetSec * 16000);
  return x.slice(start, start + Math.round(seconds * 16000));
}

/** Seeded white noise, uniform in ±amplitude. */
export function whiteNoise(n: number, seed: number, amplitude = 0.3): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => amplitude * (2 * rnd() - 1));
}

export interface RigRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function rig(argv: string[], io: Partial<RigIo> = {}): Promise<RigRun> {
  let stdout = '';
  let stderr = '';
  const code = await runRig(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), ...io });
  return { code, stdout, stderr };
}

/** Parse the --json line (the one JSON object on stdout). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function json(r: RigRun): any {
  return JSON.parse(r.stdout);
}

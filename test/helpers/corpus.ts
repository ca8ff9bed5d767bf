/**
 * Access to the shared speech corpus (../shared/corpus, read-only) and its golden values computed by
 * the reference implementations. Files are md5-checked before their golden values are trusted.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav } from '../../src/io/wav.js';
import { CORPUS_MARKER, corpusDir } from './corpus-gate.js';

/** EARSHOT_CORPUS, else ../shared/corpus. A CI run without it fails in corpus-gate.ts (globalSetup). */
export const CORPUS_DIR = corpusDir();
export const corpusAvailable = existsSync(join(CORPUS_DIR, CORPUS_MARKER));

export interface GoldenMetric {
  value: number | number[] | null;
  nonfinite?: string;
  error?: string;
  [k: string]: unknown;
}

export interface GoldenCase {
  name: string;
  fs: number;
  num_samples: number;
  files: Record<string, string>;
  md5: Record<string, string>;
  condition: { type: string; [k: string]: unknown };
  metrics: Record<string, GoldenMetric>;
}

let golden: Record<string, GoldenCase> | undefined;

/** All cases, or none when the corpus is not there (its tests then collect nothing and are skipped). */
export function goldenCases(): GoldenCase[] {
  if (!corpusAvailable) return [];
  if (!golden) {
    const raw = JSON.parse(readFileSync(join(CORPUS_DIR, 'golden.json'), 'utf8')) as {
      cases: Record<string, Omit<GoldenCase, 'name'>>;
    };
    golden = {};
    for (const [name, c] of Object.entries(raw.cases)) golden[name] = { name, ...c };
  }
  return Object.values(golden);
}

export function goldenCase(name: string): GoldenCase {
  const c = goldenCases().find((g) => g.name === name);
  if (!c) throw new Error(`no corpus case ${name}`);
  return c;
}

const audioCache = new Map<string, Float64Array>();

/** Samples of one file of a case (role: ref, deg, noisy, ref0, est0, ...), md5-verified. */
export function caseAudio(c: GoldenCase, role: string): Float64Array {
  const file = c.files[role];
  if (!file) throw new Error(`case ${c.name} has no ${role} file`);
  const key = `${c.name}/${role}`;
  const cached = audioCache.get(key);
  if (cached) return cached;
  const bytes = readFileSync(join(CORPUS_DIR, file));
  const md5 = createHash('md5').update(bytes).digest('hex');
  if (c.md5[role] && md5 !== c.md5[role]) throw new Error(`${file}: md5 ${md5} differs from golden ${c.md5[role]}`);
  const audio = decodeWav(bytes, file).channels[0];
  audioCache.set(key, audio);
  return audio;
}

export function casePath(c: GoldenCase, role: string): string {
  return join(CORPUS_DIR, c.files[role]);
}

/** Single-source cases (one ref, one deg). */
export function singleSourceCases(): GoldenCase[] {
  return goldenCases().filter((c) => 'ref' in c.files && 'deg' in c.files);
}

/** Seeded PRNG (mulberry32) for reproducible random chunking in tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cut [0, n) into chunks: fixed size, or seeded random sizes in [1, maxChunk]. */
export function chunkBoundaries(n: number, chunk: number | { seed: number; max: number }): number[] {
  const cuts = [0];
  const rnd = typeof chunk === 'number' ? undefined : seededRandom(chunk.seed);
  let pos = 0;
  while (pos < n) {
    const size = typeof chunk === 'number' ? chunk : 1 + Math.floor(rnd!() * chunk.max);
    pos = Math.min(n, pos + size);
    cuts.push(pos);
  }
  return cuts;
}

/**
 * Where the shared corpus is, and the gate that stops a CI run without it. The reference tests
 * (~600 of them) skip themselves when the corpus is missing; without this gate such a run is green
 * while checking nothing. Registered as vitest's `globalSetup` (vitest.config.ts), so it runs once,
 * before any test file:
 *  - corpus present: silent;
 *  - missing and CI set (CI sets CI=true): the run fails with one line naming the folder;
 *  - missing elsewhere: one warning line, and the reference tests skip.
 * Imports nothing from src/, so the gate cannot fail for any reason but the corpus.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The file whose presence means "the corpus is here". */
export const CORPUS_MARKER = 'golden.json';

/** EARSHOT_CORPUS if set, else ../shared/corpus beside the checkout. */
export function corpusDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.EARSHOT_CORPUS ? resolve(env.EARSHOT_CORPUS) : resolve(here, '../../../shared/corpus');
}

export type CorpusGate = { kind: 'present'; dir: string } | { kind: 'fail' | 'warn'; dir: string; line: string };

/** What the run should do about the corpus, without doing it. CI counts when set to anything but "" or "false". */
export function corpusGate(env: NodeJS.ProcessEnv = process.env): CorpusGate {
  const dir = corpusDir(env);
  if (existsSync(join(dir, CORPUS_MARKER))) return { kind: 'present', dir };
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false';
  const where = `${join(dir, CORPUS_MARKER)} is missing (set EARSHOT_CORPUS or lay the corpus at ${dir})`;
  return ci
    ? { kind: 'fail', dir, line: `earshot: shared corpus not found: ${where}; CI=true, so the reference tests may not skip` }
    : { kind: 'warn', dir, line: `earshot: shared corpus not found: ${where}; the reference tests are SKIPPED` };
}

/** vitest globalSetup: throwing here fails the whole run before any test file is collected. */
export default function setup(): void {
  const gate = corpusGate();
  if (gate.kind === 'fail') {
    const e = new Error(gate.line);
    e.stack = gate.line; // the line alone: no code frame, no stack of vitest's internals
    throw e;
  }
  if (gate.kind === 'warn') console.warn(gate.line);
}

/**
 * The corpus gate (corpus-gate.ts, vitest's globalSetup): a CI run without the shared corpus fails
 * with one line naming the folder; elsewhere it warns once and the reference tests skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import setup, { corpusDir, corpusGate } from './corpus-gate.js';

const MISSING = join(tmpdir(), 'earshot-no-corpus-here');

afterEach(() => vi.restoreAllMocks());

describe('corpus gate', () => {
  it('EARSHOT_CORPUS chooses the folder; without it, ../shared/corpus beside the checkout', () => {
    expect(corpusDir({ EARSHOT_CORPUS: MISSING })).toBe(MISSING);
    expect(corpusDir({})).toBe(resolve(import.meta.dirname, '../../../shared/corpus'));
  });

  it('missing under CI: fail, one line naming the folder', () => {
    for (const CI of ['true', '1']) {
      const g = corpusGate({ CI, EARSHOT_CORPUS: MISSING });
      expect(g.kind).toBe('fail');
      if (g.kind === 'present') continue;
      expect(g.line).toContain(MISSING);
      expect(g.line).not.toContain('\n');
    }
    expect(() => withEnv({ CI: 'true', EARSHOT_CORPUS: MISSING }, setup)).toThrow(new RegExp(`shared corpus not found: ${escape(MISSING)}`));
  });

  it('missing outside CI (CI unset, empty or "false"): one warning line, no failure', () => {
    for (const CI of [undefined, '', 'false']) expect(corpusGate({ CI, EARSHOT_CORPUS: MISSING }).kind).toBe('warn');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    withEnv({ CI: undefined, EARSHOT_CORPUS: MISSING }, setup);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(new RegExp(`${escape(MISSING)}.*SKIPPED`));
  });

  it('present (golden.json in the folder): silent, even under CI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-corpus-'));
    try {
      writeFileSync(join(dir, 'golden.json'), '{"cases":{}}');
      expect(corpusGate({ CI: 'true', EARSHOT_CORPUS: dir })).toEqual({ kind: 'present', dir });
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      withEnv({ CI: 'true', EARSHOT_CORPUS: dir }, setup);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a real vitest run with CI=true and no corpus exits non-zero and names the folder', () => {
    // One small, corpus-free test file: the gate must stop the run before it even counts as green.
    const vitest = resolve(import.meta.dirname, '../../node_modules/vitest/vitest.mjs');
    const r = spawnSync(process.execPath, [vitest, 'run', 'test/dsp/window.test.ts'], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: { ...process.env, CI: 'true', EARSHOT_CORPUS: MISSING, NO_COLOR: '1', FORCE_COLOR: '0' },
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`shared corpus not found: ${join(MISSING, 'golden.json')} is missing`);
  }, 60_000);
});

/** Run `fn` with process.env patched (undefined deletes), then restore it. */
function withEnv(patch: Record<string, string | undefined>, fn: () => void): void {
  const saved = Object.fromEntries(Object.keys(patch).map((k) => [k, process.env[k]]));
  const apply = (p: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(p)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(patch);
  try {
    fn();
  } finally {
    apply(saved);
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

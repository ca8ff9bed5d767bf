/**
 * The analyze command's bundle (tools/bundle-cli.mjs): which module `main` imports, and errors
 * thrown by the bundle's own copy of EarshotError still reported as Earshot errors (exit 1 with
 * the one-line message, not "internal error"). The packed package's bundle is checked end to end
 * in test/package/module-loads.test.ts.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeModule, main } from '../../src/cli/main.js';
import { EarshotError, isEarshotError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'earshot-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const here = pathToFileURL(join(dir, 'main.js')).href;
const own = join(dir, 'analyze-command.js');
const bundle = join(dir, 'bundle', 'analyze.js');
mkdirSync(join(dir, 'bundle'));

function setTimes(path: string, seconds: number): void {
  utimesSync(path, seconds, seconds);
}

describe('analyzeModule', () => {
  it('is the module itself when there is no bundle (running from the sources)', () => {
    writeFileSync(own, '');
    expect(analyzeModule(here)).toBe('./analyze-command.js');
  });

  it('is the bundle when it is at least as new as the module it was built from', () => {
    writeFileSync(bundle, '');
    setTimes(own, 1_000_000);
    setTimes(bundle, 1_000_000);
    expect(analyzeModule(here)).toBe(pathToFileURL(bundle).href);
    setTimes(bundle, 1_000_100);
    expect(analyzeModule(here)).toBe(pathToFileURL(bundle).href);
  });

  it('is the module when a later compile made the bundle stale', () => {
    setTimes(bundle, 1_000_000);
    setTimes(own, 1_000_001);
    expect(analyzeModule(here)).toBe('./analyze-command.js');
  });

  it('is the module when only the bundle exists (nothing to compare it with)', () => {
    rmSync(own);
    expect(analyzeModule(here)).toBe('./analyze-command.js');
  });
});

describe('EarshotError across copies of the module', () => {
  it('an error of another copy of the class is an EarshotError', async () => {
    // A second copy of the module, bundled as tools/bundle-cli.mjs does: a different class object.
    const copy = join(dir, 'errors-copy.mjs');
    buildSync({ entryPoints: [join(import.meta.dirname, '../../src/errors.ts')], bundle: true, format: 'esm', platform: 'node', outfile: copy, logLevel: 'silent' });
    const other = (await import(pathToFileURL(copy).href)) as typeof import('../../src/errors.js');
    expect(other.EarshotError).not.toBe(EarshotError);
    const e = new other.EarshotError('ERR_WAV_INVALID', 'x.wav: not a WAV file');
    expect(e instanceof EarshotError).toBe(true);
    expect(isEarshotError(e)).toBe(true);
    expect(new EarshotError('ERR_USAGE', 'u') instanceof other.EarshotError).toBe(true);
  });

  it('plain errors and look-alikes are not', () => {
    expect(new Error('x') instanceof EarshotError).toBe(false);
    expect({ name: 'EarshotError', code: 'ERR_USAGE', message: 'x' } instanceof EarshotError).toBe(false);
    expect((null as unknown as object) instanceof EarshotError).toBe(false);
    expect(isEarshotError('ERR_USAGE')).toBe(false);
  });

  it('main reports a bad file from the analyze command in one line with exit 1', async () => {
    const out: string[] = [];
    const code = await main(['analyze', join(dir, 'missing.ref.wav'), join(dir, 'missing.deg.wav')], { stdout: (s) => out.push(s), stderr: (s) => out.push(s) });
    expect(code).toBe(1);
    expect(out.join('')).toBe(`earshot: ${join(dir, 'missing.ref.wav')}: no such file\n`);
  });
});

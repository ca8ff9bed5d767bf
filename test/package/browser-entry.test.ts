/**
 * `earshot/browser` must run in a page: walk the import graph of the compiled entry (static imports,
 * re-exports and literal dynamic imports, read by TypeScript's `preProcessFile`, which skips
 * comments) and fail on any Node built-in. Third-party packages it reaches must be ones known to be
 * browser-safe; a new one has to be vetted and added here.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACK_TIMEOUT_MS, packedInstall, type Packed } from './packed.js';

/** Packages the browser entry may import: pure JS, no Node built-ins in their browser builds. */
const BROWSER_SAFE_PACKAGES = ['rxjs', 'fft.js'];

interface Graph {
  files: string[];
  /** `file imports specifier`, for every specifier that is not a relative path. */
  bare: { file: string; specifier: string }[];
}

function importGraph(entry: string): Graph {
  const seen = new Set<string>();
  const bare: Graph['bare'] = [];
  const stack = [resolve(entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (specifier.startsWith('.')) stack.push(resolve(dirname(file), specifier));
      else bare.push({ file, specifier });
    }
  }
  return { files: [...seen], bare };
}

const isBuiltin = (s: string) => s.startsWith('node:') || builtinModules.includes(s.split('/')[0]);
const packageOf = (s: string) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/');

let packed: Packed;
beforeAll(async () => {
  packed = await packedInstall();
}, PACK_TIMEOUT_MS);

describe('earshot/browser', () => {
  it('reaches no Node built-in', () => {
    const g = importGraph(join(packed.stageDir, 'dist/src/browser.js'));
    expect(g.files.length).toBeGreaterThan(10); // the walk follows the graph (the engine alone is dozens of files)
    const builtins = g.bare.filter((b) => isBuiltin(b.specifier)).map((b) => `${relative(packed.stageDir, b.file)} imports ${b.specifier}`);
    expect(builtins).toEqual([]);
  });

  it('reaches only the packages known to be browser-safe', () => {
    const g = importGraph(join(packed.stageDir, 'dist/src/browser.js'));
    const packages = new Set(g.bare.filter((b) => !isBuiltin(b.specifier)).map((b) => packageOf(b.specifier)));
    expect([...packages].filter((p) => !BROWSER_SAFE_PACKAGES.includes(p))).toEqual([]);
  });

  it('the check itself sees the Node built-ins of the Node entry', () => {
    const g = importGraph(join(packed.stageDir, 'dist/src/index.js'));
    expect(g.bare.some((b) => isBuiltin(b.specifier))).toBe(true);
  });
});

#!/usr/bin/env node
/**
 * Bundles `earshot analyze` (the command and the metric worker it starts) into a few files under
 * dist/src/cli/bundle/, after `tsc` has written dist/. Node's ES module loader spends about 30 ms
 * resolving, reading and linking the ~90 modules of that command one by one; the bundle loads in
 * 3 files (the two entries and their shared chunk). src/cli/main.ts uses the bundle when it is
 * newer than dist/src/cli/analyze-command.js (so a later `tsc` alone never leaves an old bundle in
 * use) and the modules themselves otherwise.
 *
 * Packages stay external (imported from node_modules as usual). The entries sit side by side, so
 * `new URL('./score-worker.js', import.meta.url)` in the bundled parallel.ts finds the bundled worker.
 *
 * Usage: node tools/bundle-cli.mjs [DIST]   (DIST: tsc's output folder, default ./dist)
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(resolve(process.argv[2] ?? join(root, 'dist')), 'src');
const outdir = join(dist, 'cli', 'bundle');

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    analyze: join(dist, 'cli', 'analyze-command.js'),
    'score-worker': join(dist, 'analysis', 'score-worker.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'shared-[hash]',
  logLevel: 'warning',
});

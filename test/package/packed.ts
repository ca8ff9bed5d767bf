/**
 * The package as a user gets it, for the tests in this folder: the sources compiled (tsc, into a
 * staging folder, so the repository's own dist/ is neither needed nor touched), `npm pack`ed, and the
 * tarball installed into an empty folder with `npm install <tarball> --omit=optional`, so neither
 * the optional peer node-web-audio-api (npm never installs it by itself) nor the optional pffft-wasm
 * is there, on every Node version.
 *
 * Building takes tens of seconds: it is done once per content of the packed inputs and shared by
 * the test files (which vitest runs in separate processes) through a folder in the OS temp dir,
 * taken with a lock; later runs on the same sources reuse it.
 *
 * - `stageDir`: the unpacked package (package.json, bin, dist, worklets, examples) with a
 *   `node_modules` link to the repository's, where node-web-audio-api is installed, so tests can
 *   check that it is not loaded.
 * - `appDir`: the empty project with the tarball installed (nothing optional), holding
 *   `ref.wav`, `deg.wav` and `noisy.wav` (copies of examples/audio/hello.*) for the docs' examples.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
/** Building and installing (tsc, pack, install) on a loaded 2-core machine: minutes at worst, ms. */
export const PACK_TIMEOUT_MS = 600_000;
/** One child process of a test (an example, an import), ms. */
export const CHILD_TIMEOUT_MS = 120_000;
/** A lock older than this is left over from a killed run, ms. */
const STALE_LOCK_MS = 15 * 60_000;
const POLL_MS = 500;
/** A build of other sources not used for this long is removed, ms. */
const OLD_BUILD_MS = 30 * 60_000;
/** What `npm pack` reads besides dist/ (package.json "files", plus what npm always includes). */
const PACKED = ['package.json', 'README.md', 'bin', 'worklets', 'call-page', 'examples'];
/** What the compiled output depends on. */
const HASHED = [...PACKED, 'src', 'tsconfig.json', 'tsconfig.build.json', 'bench', 'tools/bundle-cli.mjs', 'test/package/packed.ts'];
/** Audio the docs' examples read, in the app folder: name there → examples/audio file. */
const FIXTURES = { 'ref.wav': 'hello.ref.wav', 'deg.wav': 'hello.deg.wav', 'noisy.wav': 'hello.noisy.wav' };

export interface Packed {
  stageDir: string;
  appDir: string;
  tarball: string;
}

/** Build (or reuse) the packed and installed package; see the module comment. */
export async function packedInstall(): Promise<Packed> {
  const dir = join(tmpdir(), `earshot-package-test-${contentHash()}`);
  const lock = `${dir}.lock`;
  const ready = join(dir, 'ready.json');
  for (;;) {
    if (usable(ready)) return reuse(ready);
    if (takeLock(lock)) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    if (usable(ready)) return reuse(ready);
    const work = `${dir}.work-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    build(work);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    const packed: Packed = { stageDir: join(dir, 'stage'), appDir: join(dir, 'app'), tarball: join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!) };
    writeFileSync(ready, JSON.stringify(packed));
    removeOldBuilds(dir);
    return packed;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * A finished build whose links into a repository's node_modules still resolve. The key includes the
 * repository's path, but a clone can be deleted and made again at the same path without its
 * node_modules; a build linking to a missing folder is made again (it once failed CI that way).
 */
function usable(ready: string): boolean {
  if (!existsSync(ready)) return false;
  const { stageDir } = JSON.parse(readFileSync(ready, 'utf8')) as Packed;
  return existsSync(join(stageDir, 'node_modules', 'ws', 'package.json'));
}

function reuse(ready: string): Packed {
  const now = new Date();
  utimesSync(ready, now, now); // marks it used (removeOldBuilds)
  return JSON.parse(readFileSync(ready, 'utf8')) as Packed;
}

/** Builds of earlier sources (~30 MB each) that no run has used for a while. */
function removeOldBuilds(keep: string): void {
  const prefix = 'earshot-package-test-';
  for (const name of readdirSync(tmpdir())) {
    const dir = join(tmpdir(), name);
    if (!name.startsWith(prefix) || dir === keep || !/^[0-9a-f]+$/.test(name.slice(prefix.length))) continue;
    try {
      if (Date.now() - statSync(join(dir, 'ready.json')).mtimeMs > OLD_BUILD_MS) rmSync(dir, { recursive: true, force: true });
    } catch {
      // not finished, or removed meanwhile
    }
  }
}

function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
    } catch {
      // removed meanwhile: try again
    }
    return false;
  }
}

function build(work: string): void {
  const stage = join(work, 'stage');
  const app = join(work, 'app');
  mkdirSync(stage, { recursive: true });
  // Type errors elsewhere in the tree must not hide what this tests: tsc emits regardless, and the
  // entry points must exist.
  spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], { cwd: REPO, stdio: 'ignore' });
  // The analyze command's bundle, as `npm run build` makes it after tsc.
  execFileSync(process.execPath, [join(REPO, 'tools/bundle-cli.mjs'), join(stage, 'dist')], { cwd: REPO, stdio: 'ignore' });
  for (const entry of ['dist/src/index.js', 'dist/src/browser.js', 'dist/src/server/index.js', 'dist/src/index.d.ts', 'dist/src/cli/bundle/analyze.js']) {
    if (!existsSync(join(stage, entry))) throw new Error(`tsc did not emit ${entry}`);
  }
  for (const p of PACKED) cpSync(join(REPO, p), join(stage, p), { recursive: true });
  // The dashboard is built by vite (npm run build); the server tests here do not need it.
  if (existsSync(join(REPO, 'dist/dashboard'))) cpSync(join(REPO, 'dist/dashboard'), join(stage, 'dist/dashboard'), { recursive: true });
  const name = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: stage, encoding: 'utf8' }).trim().split('\n').pop()!;
  const tarball = join(work, name);
  symlinkSync(join(REPO, 'node_modules'), join(stage, 'node_modules'), 'dir');

  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'earshot-package-test-app', private: true, type: 'module' }, null, 2));
  const install = spawnSync('npm', ['install', tarball, '--omit=optional', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app, encoding: 'utf8' });
  if (install.status !== 0) installFromRepo(app, tarball, install);
  for (const [to, from] of Object.entries(FIXTURES)) copyFileSync(join(REPO, 'examples/audio', from), join(app, to));
}

/**
 * No registry and no cache: unpack the tarball as node_modules/earshot and link its dependencies
 * from the repository (what npm would have installed, minus the optional ones and the peers).
 */
function installFromRepo(app: string, tarball: string, failed: SpawnSyncReturns<string>): void {
  const modules = join(app, 'node_modules');
  mkdirSync(modules, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, 'earshot'));
  const deps = Object.keys((JSON.parse(readFileSync(join(modules, 'earshot/package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  for (const dep of deps) {
    if (!existsSync(join(REPO, 'node_modules', dep))) throw new Error(`npm install failed (${failed.stderr.trim().split('\n').pop()}) and ${dep} is not in the repository's node_modules`);
    mkdirSync(join(modules, dep, '..'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', dep), join(modules, dep), 'dir');
  }
}

/** Hash of the repository's path and of every file that goes into the package (paths and contents). */
function contentHash(): string {
  const h = createHash('sha256');
  // The build links to this repository's node_modules: another checkout gets its own build.
  h.update(REPO).update('\0');
  const add = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) add(join(p, f));
      return;
    }
    h.update(relative(REPO, p)).update('\0').update(readFileSync(p)).update('\0');
  };
  for (const p of HASHED) if (existsSync(join(REPO, p))) add(join(REPO, p));
  return h.digest('hex').slice(0, 16);
}

/** Run `node args` in `cwd`; stdout, stderr and the exit status. */
export function node(cwd: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

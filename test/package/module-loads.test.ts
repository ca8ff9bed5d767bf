/**
 * What loads: every module an entry point or a command resolves, logged by a `module.register`
 * resolve hook in a child process, in the staged package (./packed.ts) whose node_modules has
 * node-web-audio-api installed, so its absence from the log means it was not loaded, not that it
 * was missing.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHILD_TIMEOUT_MS, PACK_TIMEOUT_MS, node, packedInstall, type Packed } from './packed.js';

let packed: Packed;
let hook: string;
let log: string;
afterAll(() => {
  for (const f of [hook, log]) if (f) rmSync(f, { force: true });
});
beforeAll(async () => {
  packed = await packedInstall();
  hook = join(packed.stageDir, '..', `log-resolves-${process.pid}.mjs`);
  log = join(packed.stageDir, '..', `resolves-${process.pid}.txt`);
  writeFileSync(
    hook,
    `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.EARSHOT_RESOLVE_LOG, r.url + '\\\\n');
  return r;
}\`));
`,
  );
}, PACK_TIMEOUT_MS);

/** URLs resolved while running `node args` in the staged package. */
function resolvedBy(args: string[]): string[] {
  writeFileSync(log, '');
  const r = node(packed.stageDir, ['--import', pathToFileURL(hook).href, ...args], { EARSHOT_RESOLVE_LOG: log });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
}

describe('modules loaded', () => {
  it('node-web-audio-api is installed where these run (so the checks below mean something)', { timeout: CHILD_TIMEOUT_MS }, () => {
    const r = node(packed.stageDir, ['--input-type=module', '-e', "console.log(import.meta.resolve('node-web-audio-api'))"]);
    expect(r.stdout).toMatch(/node-web-audio-api/);
  });

  it("importing 'earshot' does not load node-web-audio-api", { timeout: CHILD_TIMEOUT_MS }, () => {
    const urls = resolvedBy(['--input-type=module', '-e', "import * as e from 'earshot'; if (!e.analyzeFiles) process.exit(3);"]);
    expect(urls.some((u) => u.endsWith('/dist/src/index.js'))).toBe(true);
    expect(urls.filter((u) => u.includes('node-web-audio-api'))).toEqual([]);
  });

  it("importing 'earshot/server' loads neither node-web-audio-api nor the rig or the demo", { timeout: CHILD_TIMEOUT_MS }, () => {
    const urls = resolvedBy(['--input-type=module', '-e', "import * as e from 'earshot/server'; if (!e.startServer) process.exit(3);"]);
    expect(urls.filter((u) => /node-web-audio-api|\/dist\/src\/(rig|demo)\//.test(u))).toEqual([]);
  });

  const unwanted = /node-web-audio-api|\/node_modules\/(rxjs|prom-client|ws|yaml)\/|\/dist\/src\/(server|rig|demo|live|stream)\/|\/(monitor|demo|rig|serve|push|replay)-command\.js$/;

  it('earshot analyze runs the bundled command, which loads none of the packages it does not need', { timeout: CHILD_TIMEOUT_MS }, () => {
    const urls = resolvedBy(['bin/earshot.js', 'analyze', 'examples/audio/hello.ref.wav', 'examples/audio/hello.deg.wav', '--json']);
    expect(urls.some((u) => u.endsWith('/dist/src/cli/bundle/analyze.js'))).toBe(true);
    expect(urls.filter((u) => u.endsWith('/dist/src/cli/analyze-command.js'))).toEqual([]);
    expect(urls.filter((u) => unwanted.test(u))).toEqual([]);
  });

  it("the analyze command's modules (what the bundle is built from) include none of the server, rig, demo, live engine, Web Audio, RxJS, prom-client, ws", { timeout: CHILD_TIMEOUT_MS }, () => {
    const script = `const m = await import('./dist/src/cli/analyze-command.js');
process.exitCode = await m.runAnalyze(['examples/audio/hello.ref.wav', 'examples/audio/hello.deg.wav', '--json'], { stdout: () => {}, stderr: (s) => process.stderr.write(s) });`;
    const urls = resolvedBy(['--input-type=module', '-e', script]);
    expect(urls.some((u) => u.endsWith('/dist/src/cli/analyze-command.js'))).toBe(true);
    expect(urls.filter((u) => unwanted.test(u))).toEqual([]);
  });
});

/**
 * The packed tarball installed into an empty folder (./packed.ts): the three entry points import
 * and expose their API, their types resolve, the worklet subpath and the CLI work, and without the
 * optional node-web-audio-api the features that need it say to install it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHILD_TIMEOUT_MS, PACK_TIMEOUT_MS, REPO, node, packedInstall, type Packed } from './packed.js';

let packed: Packed;
beforeAll(async () => {
  packed = await packedInstall();
}, PACK_TIMEOUT_MS);

const ENTRY_EXPORTS = {
  earshot: ['analyze', 'analyzeFiles', 'createMonitor', 'readWav', 'decodeWav', 'metricRegistry', 'playSignals', 'monitor', 'loadNodeWebAudio', 'EarshotError'],
  'earshot/browser': ['createWebAudioSource', 'createMonitor', 'analyze', 'metricRegistry', 'CAPTURE_PROCESSOR_NAME', 'EarshotError'],
  'earshot/server': ['startServer', 'IngestClient', 'FeedSubscriber', 'ConnectionClosedError', 'endpointUrl', 'DEFAULT_PORT'],
};

describe('npm pack, installed into an empty folder', () => {
  it('installs without the optional dependencies', () => {
    const modules = join(packed.appDir, 'node_modules');
    expect(existsSync(join(modules, 'earshot/package.json'))).toBe(true);
    expect(existsSync(join(modules, 'node-web-audio-api'))).toBe(false);
  });

  it('each entry point imports and exports its API', { timeout: CHILD_TIMEOUT_MS }, () => {
    const script = `
      const out = {};
      for (const name of ${JSON.stringify(Object.keys(ENTRY_EXPORTS))}) out[name] = Object.keys(await import(name));
      console.log(JSON.stringify(out));`;
    const r = node(packed.appDir, ['--input-type=module', '-e', script]);
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as Record<string, string[]>;
    for (const [name, keys] of Object.entries(ENTRY_EXPORTS)) expect(got[name]).toEqual(expect.arrayContaining(keys));
  });

  it('resolves earshot/worklets/capture to the capture worklet and earshot/package.json', { timeout: CHILD_TIMEOUT_MS }, () => {
    const script = `console.log(JSON.stringify([import.meta.resolve('earshot/worklets/capture'), import.meta.resolve('earshot/package.json')]))`;
    const r = node(packed.appDir, ['--input-type=module', '-e', script]);
    const [worklet, pkg] = (JSON.parse(r.stdout) as string[]).map((u) => new URL(u).pathname);
    const source = readFileSync(worklet, 'utf8');
    expect(source).toContain("'earshot-capture'");
    expect(source).toContain('registerProcessor(');
    expect(JSON.parse(readFileSync(pkg, 'utf8')).name).toBe('earshot');
  });

  it('the declared types of the three entry points type-check a program that uses them', { timeout: CHILD_TIMEOUT_MS }, () => {
    const program = join(packed.appDir, `types-check-${process.pid}.ts`);
    writeFileSync(
      program,
      `import { analyzeFiles, createMonitor, metricRegistry, readWav, type MetricDefinition, type MetricSample } from 'earshot';
import { createWebAudioSource, type WebAudioSource } from 'earshot/browser';
import { startServer, IngestClient, type EarshotServer } from 'earshot/server';
const defs: readonly MetricDefinition[] = metricRegistry;
const m = createMonitor({ sampleRate: 16000 });
m.samples$.subscribe((s: MetricSample) => s.value);
const r: Promise<Record<string, unknown>> = analyzeFiles('ref.wav', 'deg.wav');
const s: Promise<EarshotServer> = startServer({ port: 0 });
export { defs, r, s, readWav, createWebAudioSource, IngestClient };
export type { WebAudioSource };
`,
    );
    const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
    const r = node(packed.appDir, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--typeRoots', join(REPO, 'node_modules/@types'), '--types', 'node', program]);
    rmSync(program);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('the earshot command analyzes files', { timeout: CHILD_TIMEOUT_MS }, () => {
    const bin = join(packed.appDir, 'node_modules/.bin/earshot');
    const r = node(packed.appDir, [bin, 'analyze', 'ref.wav', 'deg.wav', '--json']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j.delayMs).toBeCloseTo(12, 6); // the example's deg is made 12 ms late (tools/make-example-audio.ts)
    expect(typeof j.stoi).toBe('number');
  });

  it('without node-web-audio-api, loadNodeWebAudio says to install it (ERR_MISSING_DEPENDENCY)', { timeout: CHILD_TIMEOUT_MS }, () => {
    const script = `
      import { loadNodeWebAudio } from 'earshot';
      try { await loadNodeWebAudio('the test feature'); console.log('loaded'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const r = node(packed.appDir, ['--input-type=module', '-e', script]);
    const e = JSON.parse(r.stdout) as { code: string; message: string };
    expect(e.code).toBe('ERR_MISSING_DEPENDENCY');
    expect(e.message).toMatch(/^install node-web-audio-api to use the test feature/);
  });

  it('without node-web-audio-api, earshot demo exits 1 saying to install it', { timeout: CHILD_TIMEOUT_MS }, () => {
    const bin = join(packed.appDir, 'node_modules/.bin/earshot');
    const r = node(packed.appDir, [bin, 'demo', '--port', '0', '--seconds', '1']);
    expect(r.stderr).toMatch(/earshot: install node-web-audio-api to use earshot demo/);
    expect(r.status).toBe(1);
  });
});

/**
 * The demo end to end: server, realtime node-web-audio-api graph (sinkId none) with the example
 * spectral-subtraction worklet and the capture worklet, blocks pushed over loopback ingest; and the
 * dashboard in Chromium watching it (charts and spectrograms update; screenshot in test/artifacts/).
 * A realtime context with JS worklets can run far below real time on a loaded machine, so the test
 * waits generously and asserts on content.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { startServe, type ServeHandle } from '../../src/cli/serve-command.js';
import { DEMO_SESSION, startDemoAudio, type DemoHandle } from '../../src/demo/demo.js';
import { haveChromium, launchChromium, type LaunchedChromium } from '../helpers/chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(root, 'test', 'artifacts');
const TOKEN = 'demo-test-token';
const chromiumHere = haveChromium('demo dashboard browser test');

describe('earshot demo', () => {
  let handle: ServeHandle | undefined;
  let demo: DemoHandle | undefined;
  let browser: LaunchedChromium | undefined;
  let dashboardDir: string | undefined;
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await handle?.stop();
    if (dashboardDir) rmSync(dashboardDir, { recursive: true, force: true });
  });

  it('streams the denoiser demo into a live session that the dashboard shows updating', async () => {
    dashboardDir = mkdtempSync(join(tmpdir(), 'earshot-demo-dashboard-'));
    await build({ configFile: join(root, 'dashboard/vite.config.ts'), logLevel: 'warn', build: { outDir: dashboardDir, emptyOutDir: true, sourcemap: false } });
    const io = { out: '', stdout: (s: string) => void (io.out += s), stderr: () => undefined };
    handle = (await startServe(['--port', '0', '--token', TOKEN], io, { dashboardDir }))!;
    expect(io.out).toMatch(/dashboard {2}http:\/\/127\.0\.0\.1:\d+\/#token=demo-test-token/);
    demo = await startDemoAudio(handle.server, TOKEN);
    const server = handle.server;
    const session = () => server.registry.list().find((s) => s.id.startsWith(DEMO_SESSION));
    // The registry keys its latest values by metric NUL window.
    const stoi = () => (session() ? server.registry.get(session()!.id)?.latest.get('stoi\u00003s') : undefined);
    const deadline = Date.now() + 150_000;
    // 3 s of audio: enough for the delay lock and the first STOI segments.
    while (Date.now() < deadline && stoi()?.value == null) await new Promise((r) => setTimeout(r, 250));
    expect(session()).toMatchObject({ state: 'live', sampleRate: 16000, streams: ['ref', 'deg', 'noisy'] });
    // The spectral-subtraction denoiser keeps the speech intelligible.
    expect(stoi()!.value).toBeGreaterThan(0.6);

    if (!chromiumHere) return;
    browser = await launchChromium({ width: 1440, height: 1000 });
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(`${server.url}/#token=${TOKEN}`);
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    await page.waitForSelector(`.session-item[data-session^="${DEMO_SESSION}"]`, { timeout: 15_000 });
    // Page functions are serialised into the page: no outer variables, no DOM types in this file.
    const snapshot = () =>
      page.evaluate(() => {
        const d = (globalThis as any).document;
        const lit = (c: any) => {
          const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] > 60) n++;
          return n / (px.length / 4);
        };
        return {
          values: [...d.querySelectorAll('.card .value')].filter((e: any) => /\d/.test(e.textContent)).length as number,
          specRef: lit(d.querySelector('#spec-ref canvas')),
          specDeg: lit(d.querySelector('#spec-deg canvas')),
          title: d.querySelector('#session-title').textContent as string,
        };
      });
    await page.waitForFunction(() => [...(globalThis as any).document.querySelectorAll('.card .value')].filter((e: any) => /\d/.test(e.textContent)).length >= 5, undefined, {
      timeout: 60_000,
    });
    const first = await snapshot();
    await page.waitForTimeout(3000);
    const later = await snapshot();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-dashboard.png') });
    expect(later.values).toBeGreaterThanOrEqual(5);
    expect(later.specRef).toBeGreaterThan(0.02);
    expect(later.specDeg).toBeGreaterThan(0.02);
    // Live: the stream time in the title moves on while the page watches.
    const seconds = (s: string) => Number(/([\d.]+) s/.exec(s)?.[1] ?? NaN);
    expect(seconds(later.title)).toBeGreaterThan(seconds(first.title));
  }, 240_000);
});

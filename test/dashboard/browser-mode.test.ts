/**
 * Browser mode in a real browser (Debian's Chromium through playwright-core, as
 * test/dashboard/dashboard.test.ts): the page decodes two local WAV files, plays them in real time
 * through the capture worklet (served as a dashboard asset), streams the captured blocks to
 * `/ingest`, and selects the session it opened; the server scores it. Never touches the microphone.
 * Saves test/artifacts/browser-mode.png (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWavPcm16 } from '../../src/io/wav.js';
import { startServer, type EarshotServer } from '../../src/server/server.js';
import { seededRandom } from '../helpers/corpus.js';
import { haveChromium, launchChromium, type LaunchedChromium } from '../helpers/chromium.js';
import { speechLike } from '../helpers/speech-like.js';
import { fakeEngineFactory } from '../server/fake-engine.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const ARTIFACTS = join(root, 'test', 'artifacts');
const TOKEN = 'browser-mode-token';
const realEngine = existsSync(join(root, 'src/live/engine.ts'));
const chromiumHere = haveChromium('browser-mode test');

const RATE_HZ = 16000;
/** Long enough for a 3 s STOI window, short enough to keep the test quick (played in real time). */
const DURATION_SEC = 3.5;
/** deg = ref delayed by this much plus noise: the server has a delay to find. */
const DELAY_SAMPLES = 320;

describe.runIf(chromiumHere)('dashboard browser mode in Chromium', () => {
  let dashboardDir: string;
  let browser: LaunchedChromium | undefined;
  let server: EarshotServer;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    dashboardDir = mkdtempSync(join(tmpdir(), 'earshot-dashboard-bm-'));
    await build({ configFile: join(root, 'dashboard/vite.config.ts'), logLevel: 'warn', build: { outDir: dashboardDir, emptyOutDir: true, sourcemap: false } });
    server = await startServer({ port: 0, token: TOKEN, dashboardDir, ...(realEngine ? {} : { engineFactory: fakeEngineFactory().factory }) });
    browser = await launchChromium({ width: 1440, height: 1000 });
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => console.error('page error:', e));
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dashboardDir) rmSync(dashboardDir, { recursive: true, force: true });
  });

  it('analyzes two local files in the page: a new session is scored by the server and shown', async () => {
    const n = Math.round(DURATION_SEC * RATE_HZ);
    const ref = speechLike(n, RATE_HZ, seededRandom(7));
    const rnd = seededRandom(8);
    const deg = new Float64Array(n);
    for (let i = 0; i < n; i++) deg[i] = 0.8 * (i >= DELAY_SAMPLES ? ref[i - DELAY_SAMPLES] : 0) + 0.1 * (rnd() - 0.5);

    await page.goto(`${server.url}/#token=${TOKEN}`);
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    await page.setInputFiles('#bm-ref', { name: 'talk.ref.wav', mimeType: 'audio/wav', buffer: Buffer.from(encodeWavPcm16([ref], RATE_HZ)) });
    await page.setInputFiles('#bm-deg', { name: 'talk.deg.wav', mimeType: 'audio/wav', buffer: Buffer.from(encodeWavPcm16([deg], RATE_HZ)) });
    const before = new Set(server.registry.list().map((s) => s.id));
    await page.click('#bm-start');

    // The server sees a new ingest session from the page, at the files' rate, with ref and deg.
    const deadline = Date.now() + 15_000;
    let id: string | undefined;
    while (id === undefined && Date.now() < deadline) {
      id = server.registry.list().find((s) => !before.has(s.id))?.id;
      if (id === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(id).toMatch(/^browser-talk\.ref-[0-9a-f]{4}$/);
    const info = server.registry.get(id!)!.info;
    expect(info).toMatchObject({ source: 'ingest', sampleRate: RATE_HZ, streams: ['ref', 'deg'] });

    // The page selects it by itself and shows it in the list.
    await page.waitForSelector(`.session-item.selected[data-session="${id}"]`, { timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as any).earshot.selected())).toBe(id);

    // Metric samples arrive while it plays (real time): a 1 s SNR first, then the 3 s STOI.
    const latest = (key: string) => server.registry.get(id!)?.latest.get(key)?.value ?? null;
    await expect.poll(() => latest('snr\u00001s'), { timeout: 15_000, interval: 100 }).not.toBeNull();
    await page.waitForFunction(() => [...(globalThis as any).document.querySelectorAll('.card .value')].filter((e: any) => /\d/.test(e.textContent)).length >= 3, undefined, {
      timeout: 15_000,
    });

    // The files end: the page closes the session and shows the final scores.
    await page.waitForFunction(() => /^Done: /.test((globalThis as any).document.querySelector('#bm-status').textContent), undefined, { timeout: 20_000 });
    const status = (await page.textContent('#bm-status'))!;
    await page.screenshot({ path: join(ARTIFACTS, 'browser-mode.png'), fullPage: true });
    const state = server.registry.get(id!)!;
    expect(state.info.state).toBe('ended');
    expect(state.info.endReason).toBe('closed');
    if (realEngine) {
      expect(latest('stoi\u00003s')).not.toBeNull();
      expect(status).toMatch(new RegExp(`^Done: ${id!.replace(/\./g, '\\.')} · STOI [01]\\.\\d\\d · SI-SDR -?\\d+\\.\\d dB$`));
      // The whole of the shorter file was captured: at least the files' duration. (Plus a lead-in
      // and the time until the page saw the sources end, which depend on the page's wall-clock
      // scheduling: no upper bound.)
      const duration = state.summary!.durationSec as number;
      expect(duration).toBeGreaterThanOrEqual(DURATION_SEC - 0.05);
      // The delay the page's capture preserved (both streams share the worklet's render quanta).
      expect(state.delay?.delaySamples).toBe(DELAY_SAMPLES);
    }
    expect(await page.evaluate(() => (globalThis as any).document.querySelector('#bm-start').disabled)).toBe(false);
  }, 60_000);

  it('stop ends the run early and closes the session; the mic button needs a ref file first', async () => {
    // A query makes this a real load (a fragment-only change would keep the page and its inputs).
    await page.goto(`${server.url}/?again#token=${TOKEN}`);
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    // Never the real microphone in tests: replace getUserMedia with a counter before any click.
    await page.evaluate(() => {
      const g = globalThis as any;
      g.gumCalls = 0;
      if (g.navigator.mediaDevices) {
        g.navigator.mediaDevices.getUserMedia = () => {
          g.gumCalls++;
          return Promise.reject(new Error('no microphone in tests'));
        };
      }
    });
    await page.click('#bm-mic');
    expect(await page.textContent('#bm-status')).toMatch(/Pick the clean \(ref\) file/);
    expect(await page.evaluate(() => (globalThis as any).gumCalls)).toBe(0);

    const n = Math.round(DURATION_SEC * RATE_HZ);
    const ref = speechLike(n, RATE_HZ, seededRandom(11));
    const wav = Buffer.from(encodeWavPcm16([ref], RATE_HZ));
    await page.setInputFiles('#bm-ref', { name: 'again.wav', mimeType: 'audio/wav', buffer: wav });
    await page.setInputFiles('#bm-deg', { name: 'again-deg.wav', mimeType: 'audio/wav', buffer: wav });
    await page.setInputFiles('#bm-noisy', { name: 'again-noisy.wav', mimeType: 'audio/wav', buffer: wav });
    await page.click('#bm-start');
    const item = await page.waitForSelector('.session-item.selected[data-session^="browser-again-"]', { timeout: 10_000 });
    const id = (await item.getAttribute('data-session'))!;
    expect(server.registry.get(id)!.info.streams).toEqual(['ref', 'deg', 'noisy']);
    await page.waitForTimeout(1000);
    await page.click('#bm-stop');
    await page.waitForFunction(() => /^Stopped: /.test((globalThis as any).document.querySelector('#bm-status').textContent), undefined, { timeout: 15_000 });
    const state = server.registry.get(id)!;
    expect(state.info.state).toBe('ended');
    expect(state.info.endReason).toBe('closed');
    // Stopped before the files' end ("Stopped", not "Done", above). How much earlier depends on how
    // fast the page handled the click: no margin on wall-clock time.
    if (realEngine) expect(state.summary!.durationSec as number).toBeLessThan(DURATION_SEC);
  }, 60_000);
});

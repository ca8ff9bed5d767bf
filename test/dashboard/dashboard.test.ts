/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
 * browser). Starts the server on port 0 with the real live engine (the fake one if the engine is
 * missing), opens the dashboard, pushes the bundled example clip, and checks that the connection
 * state shows, metric charts and both spectrograms fill, the delay appears, and that the page
 * reconnects by itself after a server restart. Saves screenshots under test/artifacts/ (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPush } from '../../src/cli/push-command.js';
import type { CliIo } from '../../src/cli/main.js';
import { startServer, type EarshotServer, type ServerOptions } from '../../src/server/server.js';
import { haveChromium, launchChromium, type LaunchedChromium } from '../helpers/chromium.js';
import { fakeEngineFactory } from '../server/fake-engine.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const ARTIFACTS = join(root, 'test', 'artifacts');
const TOKEN = 'browser-test-token';
const realEngine = existsSync(join(root, 'src/live/engine.ts'));
// CI installs Chromium from Debian; elsewhere a machine without it skips (say so loudly).
const chromiumHere = haveChromium('dashboard browser test');

const quietIo: CliIo = { stdout: () => {}, stderr: () => {} };


describe.runIf(chromiumHere)('dashboard in Chromium', () => {
  let dashboardDir: string;
  let browser: LaunchedChromium | undefined;
  let server: EarshotServer;
  let context: BrowserContext;
  let page: Page;
  const serverOptions = (port: number): ServerOptions => ({
    port,
    token: TOKEN,
    dashboardDir,
    ...(realEngine ? {} : { engineFactory: fakeEngineFactory().factory }),
  });

  beforeAll(async () => {
    dashboardDir = mkdtempSync(join(tmpdir(), 'earshot-dashboard-'));
    await build({ configFile: join(root, 'dashboard/vite.config.ts'), logLevel: 'warn', build: { outDir: dashboardDir, emptyOutDir: true, sourcemap: false } });
    server = await startServer(serverOptions(0));
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

  it('shows the connection, session, live charts with values, both spectrograms and the delay', async () => {
    await page.goto(`${server.url}/#token=${TOKEN}`);
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    expect(await page.textContent('#conn-text')).toBe('live');
    // The token left the address bar.
    expect(page.url()).not.toContain(TOKEN);

    // Push the example clip at twice real time while the page watches.
    const audio = join(root, 'examples/audio');
    const pushing = runPush(
      [join(audio, 'hello.ref.wav'), join(audio, 'hello.deg.wav'), '--noisy', join(audio, 'hello.noisy.wav'), '--url', server.wsUrl, '--token', TOKEN, '--speed', '2', '--session', 'hello-call'],
      quietIo,
    );
    await page.waitForSelector('.session-item[data-session="hello-call"]', { timeout: 15_000 });
    // Functions, not strings: the page's Content-Security-Policy forbids eval, and stays on here.
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('.card').length >= 5, undefined, { timeout: 20_000 });
    // Values appear in the cards.
    await page.waitForFunction(() => [...(globalThis as any).document.querySelectorAll('.card .value')].filter((e: any) => /\d/.test(e.textContent)).length >= 5, undefined, {
      timeout: 20_000,
    });
    expect(await pushing).toBe(0);
    await page.waitForTimeout(400);
    const state = await page.evaluate(() => {
      // Page functions are serialised into the page: no outer variables; no DOM types in this file.
      const d = (globalThis as any).document;
      const lit = (c: any) => {
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] > 60) n++;
        return n / (px.length / 4);
      };
      const plots = [...d.querySelectorAll('.card .plot canvas')];
      return {
        cards: [...d.querySelectorAll('.card')].map((c: any) => c.dataset.metric as string),
        plotsWithInk: plots.filter((c) => lit(c) > 0.002).length,
        specRef: lit(d.querySelector('#spec-ref canvas')),
        specDeg: lit(d.querySelector('#spec-deg canvas')),
        delay: d.querySelector('#delay-value').textContent as string,
        title: d.querySelector('#session-title').textContent as string,
        sessionState: d.querySelector('.session-item').dataset.state as string,
      };
    });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(state.cards).toEqual(expect.arrayContaining(realEngine ? ['snr', 'sisdr', 'stoi'] : ['snr', 'level']));
    expect(state.plotsWithInk).toBeGreaterThanOrEqual(Math.min(5, state.cards.length));
    // The clip is speech: a good share of each spectrogram is lit.
    expect(state.specRef).toBeGreaterThan(0.05);
    expect(state.specDeg).toBeGreaterThan(0.05);
    expect(state.delay).toMatch(/^-?\d+\.\d\d ms$/);
    expect(state.title).toMatch(/^hello-call · /);
    expect(state.sessionState).toBe('ended');
  }, 90_000);

  it('shows the lost connection and reconnects by itself when the server is back', async () => {
    const port = server.port;
    await server.close();
    await page.waitForSelector('#conn[data-state="reconnecting"]', { timeout: 10_000 });
    expect(await page.textContent('#conn-text')).toMatch(/retry in \d+ s/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-reconnecting.png') });
    server = await startServer(serverOptions(port));
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 20_000 });
  }, 60_000);

  it('a wrong token shows as refused, without retrying', async () => {
    const other = await context.newPage();
    await other.goto(`${server.url}/#token=wrong-token-here`);
    await other.waitForSelector('#conn[data-state="refused"]', { timeout: 10_000 });
    expect(await other.textContent('#conn-text')).toMatch(/unauthorized/);
    await other.close();
  }, 30_000);
});

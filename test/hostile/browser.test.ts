/**
 * Issue 12, finding A from a browser: a page on another origin opens WebSockets to the loopback
 * server's /ingest and /feed (without the token, and with it: the Origin check refuses those) and
 * sends 2 MiB and malformed text in `onopen`, again and again. In real Chromium (the project's
 * launcher, test/helpers/chromium.ts), against a real server process. The page must see the refusal
 * codes, and the server must stay alive and answer /healthz within 1 s throughout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, type LaunchedChromium } from '../helpers/chromium.js';
import { expectSurvived, startHostileServer, TOKEN, underAttack, type HostileServer } from './harness.js';
import { sessionStillWorks } from './wire.js';

const chromiumHere = haveChromium('hostile browser test');

/** The attacker's page: floods the target with sockets that send too much the moment they open. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>not earshot</title><script>
window.attack = async (target, token, seconds) => {
  const codes = {};
  const big = new Uint8Array(2 * 1024 * 1024);
  const until = performance.now() + seconds * 1000;
  const one = (url) => new Promise((done) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => { try { ws.send(big); ws.send('\\u0000{not json'); ws.send(big); } catch (e) {} };
    ws.onclose = (ev) => { codes[ev.code] = (codes[ev.code] || 0) + 1; done(); };
    ws.onerror = () => {};
  });
  while (performance.now() < until) {
    const urls = [];
    for (let i = 0; i < 8; i++) {
      urls.push(target + '/ingest', target + '/feed', target + '/ingest?token=' + token, target + '/feed?token=' + token);
    }
    await Promise.all(urls.map(one));
  }
  return codes;
};
</script>`;

describe.runIf(chromiumHere)('a cross-origin page (issue 12 A, in Chromium)', () => {
  let browser: LaunchedChromium | undefined;
  let site: Server;
  let siteUrl: string;
  let server: HostileServer;

  beforeAll(async () => {
    server = await startHostileServer();
    site = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE));
    await new Promise<void>((ok) => site.listen(0, '127.0.0.1', () => ok()));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    browser = await launchChromium({ width: 800, height: 600 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => site?.close(ok));
    await server?.stop();
  });

  it('A: cannot stop the server by sending 2 MiB and malformed data on refused WebSockets', async () => {
    const page = browser!.context.pages()[0] ?? (await browser!.context.newPage());
    await page.goto(siteUrl);
    const r = await underAttack(server, () => page.evaluate(([target, token]) => (globalThis as unknown as { attack: (t: string, k: string, s: number) => Promise<Record<string, number>> }).attack(target, token, 4), [server.wsUrl, TOKEN] as const));
    expectSurvived(server, r);
    // The Origin is checked before the token: every socket of the foreign page, token or not, gets 4403.
    if (process.env.HOSTILE_REPORT) console.log(`[hostile] browser close codes: ${JSON.stringify(r.result)}`);
    expect(Object.keys(r.result)).toEqual(['4403']);
    // Chromium opens sockets to one host one after the other (about 150 ms each here): a round of 32 at least.
    expect(r.result['4403']).toBeGreaterThanOrEqual(32);
    await sessionStillWorks(server, 'after-browser');
  });
});

/**
 * The rig's HTML report: made by a real rig run (spectral subtraction), self-contained (no scripts,
 * no external URLs), and rendered in headless Chromium (Debian's, driven by playwright-core; never a
 * downloaded browser). The screenshot goes to .tmp/rig/ (git-ignored) for a person to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { esc, lineChart, logHistogram, niceTicks } from '../../src/rig/svg.js';
import { haveChromium, launchChromium } from '../helpers/chromium.js';
import { rig, RIG_TIMEOUT_MS, speech, whiteNoise, writeWav } from './helpers.js';

const OUT = resolve('.tmp/rig');
const chromiumHere = haveChromium('rig report browser test');

describe('svg helpers', () => {
  it('escapes markup', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
  it('niceTicks covers the range with round steps', () => {
    expect(niceTicks(0, 5.84, 6)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(niceTicks(-3.2, 13.9, 4)).toEqual([-5, 0, 5, 10, 15]);
    expect(niceTicks(32, 32, 4).length).toBeGreaterThan(1); // a flat line still gets an axis
  });
  it('a null breaks the line into separate segments (a gap, not a zero)', () => {
    const svg = lineChart({ x: [0, 1, 2, 3, 4], series: [{ name: 's', color: '#000', values: [1, 2, null, 3, 4] }], xLabel: 'x', yLabel: 'y', ariaLabel: 'a' });
    const d = /<path d="([^"]+)"/.exec(svg)![1];
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/L/g)).toHaveLength(2);
  });
  it('the histogram colours bars at or over the marker', () => {
    const svg = logHistogram({ values: Float64Array.of(0.001, 0.002, 0.9, 0), marker: { x: 0.5, label: 'budget' }, xLabel: 'x', format: String, ariaLabel: 'h' });
    expect(svg.match(/class="bar over"/g)).toHaveLength(1);
    expect(svg.match(/class="bar"/g)!.length).toBeGreaterThanOrEqual(2);
  });
});

describe.runIf(chromiumHere)('HTML report in Chromium', () => {
  it(
    'is one self-contained page with the verdict, tables and plots, and renders',
    async () => {
      mkdirSync(OUT, { recursive: true });
      const html = join(OUT, 'report.html');
      const clean = writeWav('report-clean.wav', speech(0.3, 3.5));
      const noise = writeWav('report-noise.wav', whiteNoise(32000, 21));
      // The budget is not the subject here: any number of overruns is allowed, so wall-clock
      // per-quantum times on a loaded machine cannot turn the verdict this test checks.
      const r = await rig([
        '--processor', 'examples/spectral-subtraction.worklet.js', '--clean', clean, '--noise', noise, '--snr', '5,0',
        '--fail-below', 'sisdr_delta=3', '--max-overruns', '100%', '--report', html,
      ]);
      expect(r.stderr).toContain(`earshot rig: report written to ${html}`);
      const text = readFileSync(html, 'utf8');
      // Self-contained: no scripts, no links or sources to fetch, no URL at all.
      expect(text).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|https?:|\/\//i);
      expect(text.startsWith('<!doctype html>')).toBe(true);

      const browser = await launchChromium({ width: 1280, height: 900 });
      const context = browser.context;
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        const requests: string[] = [];
        const errors: string[] = [];
        page.on('request', (req) => requests.push(req.url()));
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`file://${html}`);
        expect(requests).toEqual([`file://${html}`]); // nothing else was fetched
        expect(errors).toEqual([]);
        expect(await page.title()).toBe('earshot rig: spectral-subtraction');
        expect((await page.textContent('.verdict'))?.trim()).toMatch(/^PASSexit code 0$/);
        // 2 conditions × (SI-SDR, STOI) over time, the delay, the cost histogram.
        expect(await page.locator('svg.chart').count()).toBe(6);
        expect(await page.locator('svg.chart path').count()).toBeGreaterThanOrEqual(9);
        const sisdrRow = page.locator('tr', { hasText: 'SI-SDR' }).first();
        expect(await sisdrRow.locator('td.better').count()).toBe(2); // Δ SI-SDR improved at both SNRs
        expect(await page.textContent('.cards')).toMatch(/512 samples · 32\.00 ms\s*constant/);
        // Laid out, not collapsed: the page is wide and long enough to hold the tables and charts.
        // (A string: this project's TypeScript has no DOM lib.)
        const size = (await page.evaluate('({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight })')) as { w: number; h: number };
        expect(size.w).toBeLessThanOrEqual(1280); // no horizontal scrolling at 1280 px
        expect(size.h).toBeGreaterThan(1500);
        const shot = join(OUT, 'report.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(readFileSync(shot).length).toBeGreaterThan(50_000);
      } finally {
        await browser.close();
      }
    },
    RIG_TIMEOUT_MS,
  );
});

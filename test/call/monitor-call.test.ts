/**
 * `monitorCall` (earshot/browser) in Chromium against a real `earshot serve`: a web app's own echo
 * call (test/call/fixtures/monitor-page/, served from its own origin) is tapped and streamed to
 * /ingest through the capture worklet; while the call runs its sessions appear on the feed, on
 * /metrics and on the dashboard with live values. Everything runs in a child process inside a
 * loopback-only network namespace.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { haveChromium } from '../helpers/chromium.js';
import { haveLoopbackNamespace, runInLoopbackNamespace } from '../helpers/netns.js';

const here = dirname(fileURLToPath(import.meta.url));
const run = haveChromium('monitorCall test') && haveLoopbackNamespace('monitorCall test');

describe.runIf(run)('monitorCall in Chromium against earshot serve', () => {
  it('streams local, sent and received of a live call: sessions with live metrics, then final summaries', async () => {
    const r = await runInLoopbackNamespace(join(here, 'fixtures/monitor-call-run.ts'), []);
    if (r.code !== 0) throw new Error(`monitor-call-run exited ${r.code}: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    expect(out.errors).toEqual([]);
    expect(out.page.sessions).toEqual(['mc-sent', 'mc-received-1']);
    expect(out.opened).toEqual(['mc-sent', 'mc-received-1']);
    // The dashboard listed the call's session and, selected, showed live values on its cards.
    expect(out.shown.listed).toBe(true);
    expect(out.shown.values).toBeGreaterThanOrEqual(3);
    // Live values reached the feed and the Prometheus endpoint while the call ran.
    for (const s of ['mc-sent', 'mc-received-1']) {
      expect(out.samples[s]?.stoi ?? 0, JSON.stringify(out.samples)).toBeGreaterThan(0);
      expect(out.metricLines.some((l: string) => l.includes(`session="${s}"`) && l.includes('metric="stoi"'))).toBe(true);
    }
    const sent = out.page.summaries.find((s: any) => s.session === 'mc-sent');
    const received = out.page.summaries.find((s: any) => s.session === 'mc-received-1');
    // The app's processing is a gain of 0.5: deg = ref / 2 sample for sample, so SNR = 20·log10(2) dB
    // and STOI 1 (tolerance: float32 tracks, relative error ~1e-7).
    expect(sent.snr).toBeCloseTo(20 * Math.log10(2), 4);
    expect(sent.stoi).toBeCloseTo(1, 4);
    expect(sent.delayMs).toBe(0);
    // The echo crossed the call twice: the server found a network delay and scored it.
    expect(received.delayMs).toBeGreaterThan(20);
    expect(received.stoi).toBeGreaterThan(0);
  }, 180_000);
});

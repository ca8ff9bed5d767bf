/**
 * `earshot call --serve`: each condition streams sent (ref) and received (deg) live to a running
 * `earshot serve` as session call-<bitrate>, scored there while the call runs. Server, Chromium and
 * the call run in a child process inside a loopback-only network namespace.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { haveChromium } from '../helpers/chromium.js';
import { haveLoopbackNamespace, runInLoopbackNamespace } from '../helpers/netns.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLEAN = join(resolve(here, '../..'), 'examples/audio/hello.ref.wav');
const run = haveChromium('earshot call --serve test') && haveLoopbackNamespace('earshot call --serve test');

describe.runIf(run)('earshot call --serve', () => {
  it('streams each condition live to earshot serve as session call-<bitrate>', async () => {
    const r = await runInLoopbackNamespace(join(here, 'fixtures/serve-call-run.ts'), ['--clean', CLEAN, '--bitrate', '16000', '--seconds', '4', '--settle', '2']);
    if (r.code !== 0) throw new Error(`serve-call-run exited ${r.code}: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    expect(out.code, out.stderr).toBe(0);
    expect(out.opened).toEqual(['call-16000']);
    // Live values while the call ran (STOI needs its first window of audio).
    expect(out.samples['call-16000']?.stoi ?? 0).toBeGreaterThan(0);
    const c = out.call.conditions[0];
    expect(c.live.session).toBe('call-16000');
    // The server scored the same pair as the offline stages: its delay is one they found in the same
    // recording (±2 ms: the live tracker and the offline search resolve it differently). Under load the
    // call itself may step its delay, or give the offline search too little agreement to claim one
    // (delayMs null with a reason), so the live delay is checked against the offline search and the
    // tracker's delay track of the recording together.
    const why = JSON.stringify({ live: c.live.summary.delayMs, network: c.network.delayMs, networkReason: c.network.reasons?.delay, networkTrack: c.network.delayTrack, tracker: c.delayTrack });
    expect(c.live.summary.delayMs, why).toBeGreaterThan(20);
    const offline = [c.network.delayMs, ...c.delayTrack.points.map((p: { delayMs: number }) => p.delayMs)].filter((d) => typeof d === 'number');
    expect(offline.length, why).toBeGreaterThan(0);
    expect(Math.min(...offline.map((d: number) => Math.abs(d - c.live.summary.delayMs))), why).toBeLessThan(2);
    // Every recorded sample reached the server: it scored the recording less the delay it aligned away.
    expect(c.live.summary.durationSec).toBeCloseTo(c.capture.recordedSec - c.live.summary.delayMs / 1000, 2);
  }, 180_000);
});

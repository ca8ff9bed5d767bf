/**
 * The demo end to end: server, realtime node-web-audio-api graph (sinkId none) with the example
 * spectral-subtraction worklet and the capture worklet, blocks pushed over loopback ingest. A
 * realtime context with JS worklets can run far below real time on a loaded machine, so the test
 * waits generously and asserts on content: the session opens and its metric samples arrive.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startServe } from '../../src/cli/serve-command.js';
import { DEMO_SESSION, startDemoAudio, type DemoHandle } from '../../src/demo/demo.js';

describe('earshot demo', () => {
  let stopAll: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await stopAll?.();
  });

  it('streams the denoiser demo into a live session with metric samples', async () => {
    const io = { out: '', stdout: (s: string) => void (io.out += s), stderr: () => undefined };
    const handle = (await startServe(['--port', '0', '--token', 'demo-test-token'], io, { dashboardDir: null }))!;
    let demo: DemoHandle | undefined;
    stopAll = async () => {
      await demo?.stop();
      await handle.stop();
    };
    expect(io.out).toMatch(/dashboard {2}http:\/\/127\.0\.0\.1:\d+\/#token=demo-test-token/);
    demo = await startDemoAudio(handle.server, 'demo-test-token');
    const deadline = Date.now() + 150_000;
    const session = () => handle.server.registry.list().find((s) => s.id.startsWith(DEMO_SESSION));
    // The registry keys its latest values by metric NUL window.
    const stoi = () => (session() ? handle.server.registry.get(session()!.id)?.latest.get('stoi\u00003s') : undefined);
    // 3 s of audio: enough for the delay lock and the first STOI segments.
    while (Date.now() < deadline && stoi()?.value == null) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(session()).toMatchObject({ state: 'live', sampleRate: 16000, streams: ['ref', 'deg', 'noisy'] });
    // The spectral-subtraction denoiser keeps the speech intelligible.
    expect(stoi()!.value).toBeGreaterThan(0.6);
  }, 180_000);
});

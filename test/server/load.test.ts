import { describe, expect, it } from 'vitest';
import { runLoad } from '../../src/server/load.js';
import { fakeEngineFactory } from './fake-engine.js';

describe('runLoad (the benchmark’s load run), small', () => {
  it('pushes in real time, delivers samples to every watching client and measures latency', async () => {
    const r = await runLoad({ sessions: 3, feedClients: 4, stalledClients: 1, seconds: 1.5, engineFactory: fakeEngineFactory().factory });
    // The fake engine emits 3 series at 10 per second: 1.5 s × 30 samples, each session watched by
    // one or two of the 4 clients (client i watches session i mod 3): 4 × 45 samples.
    expect(r.samplesReceived).toBe(4 * 45);
    expect(r.latencyMs.p50).toBeGreaterThan(0);
    expect(r.latencyMs.p99).toBeLessThanOrEqual(r.latencyMs.max);
    expect(r.cpuCores).toBeGreaterThan(0);
    expect(r.rssMiB).toBeGreaterThan(10);
  });
});

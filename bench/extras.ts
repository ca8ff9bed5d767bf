/** Optional benchmark sections: FFT backends beyond fft.js, live-engine and worklet costs. */
import type { RealFftPlan } from '../src/dsp/fft.js';
import { loadPffftFactory } from '../src/dsp/fft-pffft.js';
import { availableParallelism } from 'node:os';
import { runLoad } from '../src/server/load.js';
import { table } from './harness.js';
import { benchLive } from './live.js';
import { benchWorkletCost, workletCostTable } from './worklet-cost.js';

export const extraBenchmarks = {
  async fftBackends(): Promise<[string, (n: number) => RealFftPlan][]> {
    try {
      return [['pffft-wasm (SIMD, float32)', await loadPffftFactory()]];
    } catch (e) {
      console.log(`(optional FFT backend unavailable: ${(e as Error).message})`);
      return [];
    }
  },
  async more(): Promise<Record<string, unknown>> {
    const live = await benchLive();
    let worklet: unknown = null;
    try {
      const cost = await benchWorkletCost();
      console.log('\nCapture worklet cost per render quantum (48 kHz, budget 2.67 ms)\n');
      console.log(workletCostTable(cost));
      worklet = cost;
    } catch (e) {
      console.log(`(worklet benchmark skipped: ${(e as Error).message})`);
    }
    // The live service on loopback: 50 sessions pushing 16 kHz in real time, 20 dashboards, then the
    // same with one feed client that stops reading (it must not raise anyone else's latency).
    const load: Record<string, unknown> = {};
    const rows: (string | number)[][] = [['load run (real engine, 15 s)', 'latency p50 ms', 'p99 ms', 'max ms', 'CPU cores', 'RSS MiB', 'loop delay p99 ms']];
    const workers = Math.max(1, availableParallelism() - 1); // as `earshot serve --workers auto`
    for (const [stalled, engineWorkers] of [[0, workers], [1, workers], [0, 0]]) {
      try {
        const r = await runLoad({ sessions: 50, feedClients: 20, stalledClients: stalled, seconds: 15, engineWorkers });
        const name = `50 sessions, 20 feed clients${stalled ? ', 1 stalled' : ''}, ${engineWorkers ? `${engineWorkers} engine worker(s)` : 'engines in the server thread'}`;
        rows.push([name, r.latencyMs.p50, r.latencyMs.p99, r.latencyMs.max, r.cpuCores, r.rssMiB, r.eventLoopDelayMs.p99]);
        load[name] = r;
      } catch (e) {
        console.log(`(load run failed: ${(e as Error).message})`);
      }
    }
    console.log('\nLive service on loopback (ingest-to-feed latency; clients in the same process)\n');
    console.log(table(rows));
    return { live, worklet, load };
  },
};

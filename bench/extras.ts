/** Optional benchmark sections: FFT backends beyond fft.js, live-engine and worklet costs. */
import type { RealFftPlan } from '../src/dsp/fft.js';
import { loadPffftFactory } from '../src/dsp/fft-pffft.js';
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
    return { live, worklet };
  },
};

/**
 * Shared by the FFT plans' (and the LPC kernel's) "allocates nothing per call" tests: run forward + inverse on `x`,
 * 5000 times to warm up (interpreted code boxes doubles), then 20 000 times in up to three windows
 * while watching GC entries and heap growth. Up to three windows: a GC that the test file's earlier
 * allocations left due (or a late code installation) can land in one window by chance; an allocation
 * per transform fails every window. Without a GC in between, the heap growth is what the loop
 * allocated: 64 KiB allows the test's own few objects, while even 8 bytes per transform would be
 * 160 KB (and a boxed double per butterfly ~10^8 bytes, dozens of scavenges).
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { RealFftPlan } from '../../src/dsp/fft.js';

export const HEAP_GROWTH_LIMIT = 64 * 1024;

export async function transformAllocationWindow(plan: RealFftPlan, x: Float64Array): Promise<{ gcs: number; heapGrowth: number }> {
  const n = plan.size;
  const spec = new Float64Array(n + 2);
  const back = new Float64Array(n);
  return allocationWindow(() => {
    plan.forward(x, spec);
    plan.inverse(spec, back);
  });
}

/** The same check for any per-call `step` (the windowed power spectrum and the LPC kernel use it too). */
export async function allocationWindow(step: () => void): Promise<{ gcs: number; heapGrowth: number }> {
  const run = (count: number): void => {
    for (let i = 0; i < count; i++) step();
  };
  run(5000);
  const gcStarts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcStarts.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  let window = { gcs: 0, heapGrowth: 0 };
  for (let attempt = 0; attempt < 3; attempt++) {
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    run(20000);
    const t1 = performance.now();
    const heap1 = process.memoryUsage().heapUsed;
    await new Promise((resolve) => setTimeout(resolve, 20)); // GC entries are delivered asynchronously
    window = { gcs: gcStarts.filter((t) => t >= t0 && t <= t1).length, heapGrowth: heap1 - heap0 };
    if (window.gcs === 0 && window.heapGrowth < HEAP_GROWTH_LIMIT) break;
  }
  observer.disconnect();
  return window;
}

/**
 * Does the capture worklet's process() allocate? Garbage collections while 1 000 000 quanta of three
 * streams go through the SharedArrayBuffer ring (a reader draining it every 16 quanta), after a
 * warm-up. 1 000 000 quanta × three small allocations (≥ 96 MB) would fill V8's young generation
 * (≤ 16 MB) at least 6 times; zero to two collections (the process's own background work) means
 * nothing is allocated per quantum. A figure for `npm run bench`, not a test: a count of collections
 * depends on the machine and on whatever else the process does.
 */
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { hostedCaptureBench } from './capture-host.js';

const STREAMS = 3;
const WARMUP_QUANTA = 2000;
const QUANTA = 1_000_000;

export interface CaptureGc {
  quanta: number;
  /** GC events (any kind) that started during the timed loop. */
  collections: number;
  /** Of which minor (scavenges). */
  scavenges: number;
  ms: number;
}

export async function benchCaptureGc(): Promise<CaptureGc> {
  const { processor, reader, inputs, outputs, sink, close } = hostedCaptureBench(STREAMS, 4096, 4096);
  const run = (quanta: number) => {
    for (let q = 0; q < quanta; q++) {
      processor.process(inputs, outputs, {});
      if (q % 16 === 15) reader.read(sink, 0, 4096);
    }
  };
  run(WARMUP_QUANTA); // JIT, inline caches
  const gcs: PerformanceEntry[] = [];
  const obs = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  obs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  run(QUANTA);
  const t1 = performance.now();
  await new Promise((r) => setTimeout(r, 50)); // gc entries are delivered asynchronously
  obs.disconnect();
  close();
  const during = gcs.filter((e) => e.startTime >= t0 && e.startTime <= t1);
  // detail.kind: 1 = minor (scavenge) in node:perf_hooks' constants.
  const scavenges = during.filter((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === 1).length;
  return { quanta: QUANTA, collections: during.length, scavenges, ms: t1 - t0 };
}

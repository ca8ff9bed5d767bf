/**
 * Cost of the capture worklet per render quantum, as a share of the quantum's budget at 48 kHz
 * (128 / 48000 s = 2.67 ms). Goal (design §6): under 5 %.
 *
 * Three measurements, because node-web-audio-api adds a cost any JS worklet pays there:
 * - `perQuantumUs`: offline render at 48 kHz of three buffer sources, with the capture worklet (and
 *   its consumer draining the ring) minus the same graph without any worklet, per quantum, median
 *   over interleaved runs. Wall time: the render waits on each hand-off to the worklet's thread.
 * - `handoffUs`: the same with a do-nothing JS worklet instead of ours: node-web-audio-api's hand-off
 *   between its render thread and the worklet's Worker. `perQuantumUs − handoffUs` is ours.
 * - `processUs`: the bare `process()` (three streams into the SharedArrayBuffer ring, a consumer
 *   reading every 8 quanta), called directly on this thread: what it costs on any audio thread.
 */
import { pathToFileURL } from 'node:url';
import { firstValueFrom, last } from 'rxjs';
import { hostedCaptureBench } from './capture-host.js';
import { median, table } from './harness.js';
import { loadNodeWebAudio, type NodeWebAudio } from '../src/stream/node-web-audio.js';
import { createWebAudioSource } from '../src/stream/web-audio-source.js';

const SAMPLE_RATE = 48000; // Hz
const QUANTUM = 128; // frames
const BUDGET_US = (QUANTUM / SAMPLE_RATE) * 1e6; // 2666.7 µs
const RENDER_SECONDS = 4;
const RENDER_RUNS = 5;
const STREAMS = 3; // ref, deg, noisy
const BARE_QUANTA = 200_000;

export interface WorkletCost {
  /** Capture worklet in node-web-audio-api, wall µs per quantum (median over runs). */
  perQuantumUs: number;
  /** `perQuantumUs` / 2666.7 µs. */
  shareOfBudget48k: number;
  /** A do-nothing JS worklet in node-web-audio-api, wall µs per quantum: the engine's hand-off. */
  handoffUs: number;
  /** The bare process() call, µs per quantum (three streams, ring transport). */
  processUs: number;
  processShareOfBudget48k: number;
  /** Whole-process CPU (all threads) per quantum, capture minus no worklet, µs. */
  cpuPerQuantumUs: number;
  /** Offline render without any worklet, µs per quantum (the baseline). */
  baselineUs: number;
  quanta: number;
  runs: number;
}

const NOOP_WORKLET = `registerProcessor('earshot-bench-noop', class extends AudioWorkletProcessor {
  process() { return true; }
});`;

type Variant = 'none' | 'noop' | 'capture';

async function renderOnce(wa: NodeWebAudio, variant: Variant, noopUrl: string): Promise<{ wallUs: number; cpuUs: number }> {
  const length = RENDER_SECONDS * SAMPLE_RATE;
  const ctx = new wa.OfflineAudioContext({ numberOfChannels: 1, length, sampleRate: SAMPLE_RATE });
  const sources = [];
  for (let s = 0; s < STREAMS; s++) {
    const buffer = new wa.AudioBuffer({ length, sampleRate: SAMPLE_RATE, numberOfChannels: 1 });
    const x = new Float32Array(length);
    for (let i = 0; i < length; i++) x[i] = Math.sin(i * 0.01 * (s + 1));
    buffer.copyToChannel(x, 0);
    const node = new wa.AudioBufferSourceNode(ctx, { buffer });
    node.start();
    sources.push(node);
  }
  let run: () => Promise<unknown>;
  if (variant === 'capture') {
    const source = await createWebAudioSource(ctx, {
      ref: sources[0], deg: sources[1], noisy: sources[2], AudioWorkletNode: wa.AudioWorkletNode,
    });
    run = () => firstValueFrom(source.blocks.pipe(last()));
  } else if (variant === 'noop') {
    await ctx.audioWorklet.addModule(noopUrl);
    const node = new wa.AudioWorkletNode(ctx, 'earshot-bench-noop', {
      numberOfInputs: STREAMS, numberOfOutputs: 1, outputChannelCount: [1], channelCount: 1,
      channelCountMode: 'explicit', channelInterpretation: 'speakers', processorOptions: {},
    });
    sources.forEach((s, i) => s.connect(node, 0, i));
    node.connect(ctx.destination);
    run = () => ctx.startRendering();
  } else {
    for (const s of sources) s.connect(ctx.destination);
    run = () => ctx.startRendering();
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wallUs = (performance.now() - t0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wallUs, cpuUs: cpu.user + cpu.system };
}

/** The bare process() cost: µs per quantum. */
function bareProcessUs(): number {
  const { processor, reader, inputs, outputs, sink, close } = hostedCaptureBench(STREAMS, 8192, 8 * QUANTUM);
  // Only process() is timed; the reader frees space outside the timed part, 8 quanta at a time.
  const perRunMs: number[] = [];
  for (let run = 0; run < 6; run++) {
    let elapsedMs = 0;
    for (let done = 0; done < BARE_QUANTA; done += 8) {
      const t0 = performance.now();
      for (let q = 0; q < 8; q++) processor.process(inputs, outputs, {});
      elapsedMs += performance.now() - t0;
      reader.read(sink, 0, 8 * QUANTUM);
    }
    if (run > 0) perRunMs.push(elapsedMs); // run 0 warms the JIT
  }
  close();
  return (median(perRunMs) * 1000) / BARE_QUANTA;
}

export async function benchWorkletCost(): Promise<WorkletCost> {
  const wa = await loadNodeWebAudio();
  const noopUrl = URL.createObjectURL(new Blob([NOOP_WORKLET], { type: 'text/javascript' }));
  const quanta = Math.ceil((RENDER_SECONDS * SAMPLE_RATE) / QUANTUM);
  const samples: Record<Variant, { wallUs: number; cpuUs: number }[]> = { none: [], noop: [], capture: [] };
  // One warm-up of each (the first worklet render can stall), then interleaved runs.
  for (const v of ['none', 'noop', 'capture'] as const) await renderOnce(wa, v, noopUrl);
  for (let r = 0; r < RENDER_RUNS; r++) {
    for (const v of ['none', 'noop', 'capture'] as const) samples[v].push(await renderOnce(wa, v, noopUrl));
  }
  URL.revokeObjectURL(noopUrl);
  const wall = (v: Variant) => median(samples[v].map((s) => s.wallUs)) / quanta;
  const cpu = (v: Variant) => median(samples[v].map((s) => s.cpuUs)) / quanta;
  const perQuantumUs = Math.max(0, wall('capture') - wall('none'));
  const processUs = bareProcessUs();
  return {
    perQuantumUs,
    shareOfBudget48k: perQuantumUs / BUDGET_US,
    handoffUs: Math.max(0, wall('noop') - wall('none')),
    processUs,
    processShareOfBudget48k: processUs / BUDGET_US,
    cpuPerQuantumUs: Math.max(0, cpu('capture') - cpu('none')),
    baselineUs: wall('none'),
    quanta,
    runs: RENDER_RUNS,
  };
}

/** Human-readable rows for the bench report. */
export function workletCostTable(r: WorkletCost): string {
  return table([
    ['capture worklet @ 48 kHz', 'µs / quantum', 'share of 2.67 ms'],
    ['in node-web-audio-api (capture − no worklet)', r.perQuantumUs, `${(100 * r.shareOfBudget48k).toFixed(2)} %`],
    ['  of which engine hand-off (no-op worklet)', r.handoffUs, `${((100 * r.handoffUs) / BUDGET_US).toFixed(2)} %`],
    ['bare process(), 3 streams → SAB ring', r.processUs, `${(100 * r.processShareOfBudget48k).toFixed(3)} %`],
    ['CPU, all threads (capture − no worklet)', r.cpuPerQuantumUs, `${((100 * r.cpuPerQuantumUs) / BUDGET_US).toFixed(2)} %`],
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchWorkletCost();
  console.log(workletCostTable(r));
  console.log(JSON.stringify(r));
}

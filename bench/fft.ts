/**
 * Real-FFT micro-benchmark: µs per forward and per inverse transform for our radix-4 plan (JS, and its
 * WebAssembly SIMD build, the default), fft.js and, when the optional package is installed, pffft-wasm
 * (float32 SIMD), with ratios to fft.js from the same run.
 *
 * Run: `npx tsx bench/fft.ts [sizes...]` (default 256 512 1024 2048 4096 16384 65536).
 * The machines are shared and noisy, so backends are timed in interleaved rounds of short batches and
 * the table shows the minimum (what the code costs when it has the core) and the median per round;
 * ratios use the minima. Compare ratios, not absolute numbers across machines.
 */
import { loadPffftFactory } from '../src/dsp/fft-pffft.js';
import { FftJsPlan, Radix4FftPlan, type RealFftPlan } from '../src/dsp/fft.js';
import { sharedFftKernel, WasmRadix4FftPlan } from '../src/dsp/fft-wasm.js';
import { table } from './harness.js';

const ROUNDS = 200;
const SAMPLES_PER_BATCH = 32_768; // transforms per timed batch = this / N (≈ 30–100 µs of work)

const sizes = process.argv.slice(2).map(Number);
if (sizes.length === 0) sizes.push(256, 512, 1024, 2048, 4096, 16384, 65536);

const backends: [string, (n: number) => RealFftPlan][] = [
  ['radix-4 (ours, float64)', (n) => new Radix4FftPlan(n)],
  ['fft.js (float64)', (n) => new FftJsPlan(n)],
];
const kernel = sharedFftKernel();
if (kernel) backends.splice(1, 0, ['radix-4 wasm SIMD (float64)', (n) => new WasmRadix4FftPlan(n, kernel)]);
else console.log('(WebAssembly SIMD FFT unavailable)');
try {
  backends.push(['pffft-wasm (SIMD, float32)', await loadPffftFactory()]);
} catch (e) {
  console.log(`(optional FFT backend unavailable: ${(e as Error).message})`);
}

interface Case {
  name: string;
  run: (reps: number) => void;
  samples: number[]; // µs per transform, one per round
}

function stats(samples: number[]): { min: number; median: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)] };
}

const rows: (string | number)[][] = [
  ['backend', 'N', 'fwd µs (min)', 'median', '× fft.js', 'inv µs (min)', 'median', '× fft.js'],
];
for (const n of sizes) {
  const input = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.1) + 0.3 * Math.cos(i * 1.7));
  const reps = Math.max(1, Math.round(SAMPLES_PER_BATCH / n));
  const cases: { name: string; fwd: Case; inv: Case }[] = [];
  for (const [name, make] of backends) {
    let plan: RealFftPlan;
    try {
      plan = make(n);
    } catch {
      continue; // e.g. pffft below its minimum size
    }
    const spec = new Float64Array(n + 2);
    const back = new Float64Array(n);
    plan.forward(input, spec);
    const fwd: Case = { name, samples: [], run: (r) => { for (let i = 0; i < r; i++) plan.forward(input, spec); } };
    const inv: Case = { name, samples: [], run: (r) => { for (let i = 0; i < r; i++) plan.inverse(spec, back); } };
    cases.push({ name, fwd, inv });
  }
  for (const c of cases) for (let w = 0; w < 20; w++) (c.fwd.run(reps), c.inv.run(reps)); // warm the JIT
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      for (const k of [c.fwd, c.inv]) {
        const t0 = performance.now();
        k.run(reps);
        k.samples.push(((performance.now() - t0) * 1000) / reps);
      }
    }
  }
  const base = cases.find((c) => c.name.startsWith('fft.js'))!;
  const baseF = stats(base.fwd.samples).min;
  const baseI = stats(base.inv.samples).min;
  for (const c of cases) {
    const f = stats(c.fwd.samples);
    const i = stats(c.inv.samples);
    rows.push([c.name, String(n), f.min, f.median, baseF / f.min, i.min, i.median, baseI / i.min]);
  }
}
console.log(`\nReal FFT, µs per transform (${ROUNDS} interleaved rounds; Node ${process.version})\n`);
console.log(table(rows));

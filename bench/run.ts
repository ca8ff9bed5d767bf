/**
 * `npm run bench`: speed of the offline engine on the 60 s corpus cases, per metric and for the whole
 * set, as real-time factors (processing time / audio duration; lower is better); the whole
 * `earshot analyze` process against pystoi where it is installed (whole-process.ts); alignment cost
 * (alignment.ts); the kernels:
 * STFT per FFT backend and resampling; the capture worklet's allocations (capture-gc.ts); the live
 * engine, worklet and service (extras.ts); peak memory on a 30-minute call (memory.ts). Prints
 * tables and writes JSON to bench/results/. Timing figures live here, never in the tests.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze, scorePair } from '../src/analysis/analyze.js';
import { FftJsPlan, Radix4FftPlan, wasmRealFftPlan, type RealFftPlan } from '../src/dsp/fft.js';
import { selectMetrics } from '../src/metrics/registry.js';
import { resampleOct } from '../src/dsp/resample.js';
import { readWav } from '../src/io/wav.js';
import type { MetricAccumulator, SignalBlock } from '../src/metrics/types.js';
import { ReferenceFreeSet } from '../src/metrics/reference-free/reference-free-set.js';
import { benchCaptureGc } from './capture-gc.js';
import { table, time } from './harness.js';
import { extraBenchmarks } from './extras.js';
import { benchMemory } from './memory.js';
import { benchWholeProcess } from './whole-process.js';
import { benchAlignment } from './alignment.js';

const CORPUS = resolve(process.env.EARSHOT_CORPUS ?? '../shared/corpus');
const BLOCK = 4096;
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpu: (await import('node:os')).cpus()[0]?.model };

function feed(acc: MetricAccumulator<SignalBlock, unknown>, s: SignalBlock): void {
  acc.reset();
  const n = s.ref.length;
  for (let p = 0; p < n; p += BLOCK) {
    const e = Math.min(n, p + BLOCK);
    acc.update({ ref: s.ref.subarray(p, e), deg: s.deg.subarray(p, e), noisy: s.noisy?.subarray(p, e) });
  }
  acc.compute();
}

// ── Offline metrics on the 60 s cases ────────────────────────────────────────────────────────────
const cases = ['p40_long60s_pink5db', 'p41_long60s_specsub_white10db'];
if (!existsSync(join(CORPUS, `${cases[0]}.ref.wav`))) {
  console.log(`corpus not found at ${CORPUS} (set EARSHOT_CORPUS): skipping the 60 s metric benchmarks`);
} else {
  const metricRows: (string | number)[][] = [['metric (60 s, 16 kHz)', ...cases.map((c) => `${c} ms`), 'RTF (median)']];
  const metricJson: Record<string, unknown> = {};
  const signals = cases.map((c) => {
    const ref = readWav(join(CORPUS, `${c}.ref.wav`));
    const deg = readWav(join(CORPUS, `${c}.deg.wav`));
    const noisyPath = join(CORPUS, `${c}.noisy.wav`);
    return {
      rate: ref.sampleRate,
      block: { ref: ref.channels[0], deg: deg.channels[0], noisy: existsSync(noisyPath) ? readWav(noisyPath).channels[0] : undefined } as SignalBlock,
    };
  });
  const duration = signals[0].block.ref.length / signals[0].rate;
  // Each row: the metrics' families on their own front end (the stages they need included), as
  // `--metrics LIST` runs them; the reference-free set alone as an accumulator.
  const families: [string, string][] = [
    ['SNR + MSE', 'snr,mse'],
    ['SI-SDR', 'sisdr'],
    ['wSDR', 'wsdr'],
    ['segmental SNR', 'segsnr'],
    ['LSD + spectral cosine', 'lsd,cosine'],
    ['CI-SDR (512 taps)', 'cisdr'],
    ['STOI + ESTOI', 'stoi,estoi'],
    ['PMSQE', 'pmsqe'],
    ['LLR (pysepm)', 'llr'],
    ['WSS + fwSegSNR (pysepm)', 'wss,fwsegsnr'],
    ['log-mel + MFCC distances', 'featdist,mfccdist'],
    ['PESQ-like', 'pesq'],
    ['issue-2 set (snr … mse)', 'snr,segsnr,sisdr,cisdr,wsdr,stoi,estoi,lsd,cosine,mse'],
    ['every reference-based metric', 'all'],
  ];
  for (const [name, list] of families) {
    const selection = selectMetrics(list);
    const ms = signals.map(({ rate, block }) => {
      const noisy = block.noisy ?? block.ref;
      return time(() => scorePair({ ref: block.ref, deg: block.deg, noisy }, rate, selection), { warmup: 1, runs: 5 }).medianMs;
    });
    const rtf = ms.reduce((a, b) => a + b, 0) / ms.length / 1000 / duration;
    metricRows.push([name, ...ms, rtf]);
    metricJson[name] = { ms, rtf };
  }
  {
    const ms = signals.map(({ rate, block }) => time(() => feed(new ReferenceFreeSet({ sampleRate: rate, withNoisy: true }), { ...block, noisy: block.noisy ?? block.ref }), { warmup: 1, runs: 5 }).medianMs);
    const rtf = ms.reduce((a, b) => a + b, 0) / ms.length / 1000 / duration;
    metricRows.push(['reference-free set (deg + noisy)', ...ms, rtf]);
    metricJson['reference-free set'] = { ms, rtf };
  }
  const rowOf = (name: string, f: (rate: number, b: SignalBlock) => void, runs = 5) => {
    const ms = signals.map(({ rate, block }) => time(() => f(rate, block), { warmup: 1, runs }).medianMs);
    const rtf = ms.reduce((a, b) => a + b, 0) / ms.length / 1000 / duration;
    metricRows.push([name, ...ms, rtf]);
    metricJson[name] = { ms, rtf };
  };
  rowOf('analyze() issue-2 set incl. GCC-PHAT alignment', (rate, b) =>
    analyze({ sampleRate: rate, refs: [b.ref], degs: [b.deg], noisy: b.noisy }, { align: 'auto', metrics: 'snr,segsnr,sisdr,cisdr,wsdr,stoi,estoi,lsd,cosine,mse' }),
  );
  rowOf('analyze() everything (earshot analyze)', (rate, b) => analyze({ sampleRate: rate, refs: [b.ref], degs: [b.deg], noisy: b.noisy }, { align: 'auto' }), 3);
  console.log(`\nOffline metrics, ${duration} s of audio per case (median of 5 runs after warm-up)\n`);
  console.log(table(metricRows));
  const whole = metricJson['every reference-based metric'] as { rtf: number };
  console.log(`\nevery metric on one core: RTF ${whole.rtf.toExponential(2)} (goal ≤ 2e-3); ${(whole.rtf * duration * 1000).toFixed(1)} ms per 60 s.`);
  results.metrics = metricJson;
}

// ── Alignment: the full-range search and the compensation, against analyze (issue 11) ────────────
results.alignment = await benchAlignment(CORPUS);

// ── Whole process: earshot analyze spawned, against pystoi where installed ───────────────────────
results.wholeProcess = await benchWholeProcess(CORPUS);

// ── Kernels: STFT per FFT backend, resampling ────────────────────────────────────────────────────
const backends: [string, (n: number) => RealFftPlan][] = [
  ['fft.js', (n) => new FftJsPlan(n)],
  ['radix-4 float64 (ours, JS)', (n) => new Radix4FftPlan(n)],
  ['radix-4 float64 wasm SIMD (ours, default)', (n) => wasmRealFftPlan(n)],
  ...(await extraBenchmarks.fftBackends()),
];
const fftRows: (string | number)[][] = [['FFT backend', 'size', 'µs per real FFT', 'ratio to fft.js']];
const fftJson: Record<string, unknown> = {};
for (const size of [256, 512, 1024, 4096]) {
  const input = Float64Array.from({ length: size }, (_, i) => Math.sin(i * 0.1) + 0.3 * Math.cos(i * 1.7));
  const out = new Float64Array(size + 2);
  const reps = Math.round(2e6 / size);
  let base = 0;
  for (const [name, make] of backends) {
    const plan = make(size);
    const t = time(() => {
      for (let r = 0; r < reps; r++) plan.forward(input, out);
    });
    const us = (t.medianMs * 1000) / reps;
    if (name === 'fft.js') base = us;
    fftRows.push([name, size, us, base / us]);
    fftJson[`${name}/${size}`] = us;
  }
}
console.log('\nReal FFT (forward, bins 0..N/2)\n');
console.log(table(fftRows));
results.fft = fftJson;

const resampleRows: (string | number)[][] = [['resampling 10 s of audio', 'ms', 'RTF']];
const resampleJson: Record<string, unknown> = {};
for (const [from, to] of [[16000, 10000], [48000, 10000], [8000, 10000], [48000, 16000]]) {
  const x = Float64Array.from({ length: 10 * from }, (_, i) => Math.sin(i * 0.01) * Math.cos(i * 0.0003));
  const t = time(() => resampleOct(x, to, from), { warmup: 2, runs: 5 });
  resampleRows.push([`${from / 1000} kHz → ${to / 1000} kHz`, t.medianMs, t.medianMs / 1000 / 10]);
  resampleJson[`${from}->${to}`] = t.medianMs;
}
console.log('\nPolyphase resampler (Kaiser-windowed sinc, as pystoi)\n');
console.log(table(resampleRows));
results.resample = resampleJson;

const gc = await benchCaptureGc();
console.log(`\nCapture worklet process(), sab transport, 3 streams: ${gc.collections} garbage collections (${gc.scavenges} scavenges) during ${gc.quanta.toLocaleString('en')} quanta (${gc.ms.toFixed(0)} ms); 0–2 means nothing is allocated per quantum`);
results.captureGc = gc;

Object.assign(results, await extraBenchmarks.more());

// ── Peak memory on a 30-minute call ──────────────────────────────────────────────────────────────
results.memory = await benchMemory(CORPUS);

const dir = resolve('bench/results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\nwrote ${file}`);

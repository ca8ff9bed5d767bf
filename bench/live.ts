/** Live-engine benchmarks: real-time factor per stream pair, pairs per core, memory per session. */
import { createLiveEngineSession } from '../src/live/engine.js';
import { table, time } from './harness.js';

function speechLike(n: number, rate: number, seed: number): Float64Array {
  let s = seed;
  let lp = 0;
  return Float64Array.from({ length: n }, (_, i) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    lp = 0.85 * lp + 0.15 * (s / 2147483648 - 1);
    const syllable = Math.sin((Math.PI * (i % (rate / 4))) / (rate / 4)) ** 2;
    return Math.fround((Math.floor(i / rate) % 3 === 2 ? 0.05 : 1) * syllable * (lp + 0.3 * Math.sin((2 * Math.PI * 220 * i) / rate)));
  });
}

function feedSession(rate: number, ref: Float64Array, deg: Float64Array, noisy: Float64Array, seconds: number, block = 1024) {
  const session = createLiveEngineSession({ id: 'bench', sampleRate: rate, withNoisy: true });
  let count = 0;
  session.samples$.subscribe(() => count++);
  const total = Math.round(seconds * rate);
  let t0 = 0;
  while (t0 < total) {
    const off = t0 % (ref.length - block);
    session.push({ t0, sampleRate: rate, ref: ref.subarray(off, off + block), deg: deg.subarray(off, off + block), noisy: noisy.subarray(off, off + block) });
    t0 += block;
  }
  return { session, count };
}

export async function benchLive(): Promise<Record<string, unknown>> {
  const rows: (string | number)[][] = [['live engine, full metric set', 'ms per 60 s', 'RTF', 'pairs per core (1/RTF)']];
  const out: Record<string, unknown> = {};
  for (const rate of [16000, 48000]) {
    const ref = speechLike(20 * rate, rate, 1);
    const noise = speechLike(20 * rate, rate, 2);
    const noisy = ref.map((v, i) => Math.fround(v + 0.3 * noise[i]));
    const deg = new Float64Array(ref.length);
    for (let i = 160; i < ref.length; i++) deg[i] = Math.fround(ref[i - 160] + 0.05 * noise[i - 160]); // 160-sample delay
    const t = time(() => feedSession(rate, ref, deg, noisy, 60).session.end(), { warmup: 1, runs: 3 });
    const rtf = t.medianMs / 1000 / 60;
    rows.push([`${rate / 1000} kHz (10 reports/s × 5 windows)`, t.medianMs, rtf, 1 / rtf]);
    out[`rtf${rate}`] = rtf;
  }
  console.log('\nLive engine (alignment + every live metric + windows), one stream pair, one core\n');
  console.log(table(rows));

  // Memory per session: heap growth after 1 minute and after 1 hour of simulated 16 kHz audio.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    const rate = 16000;
    const ref = speechLike(20 * rate, rate, 3);
    const deg = ref.map((v) => Math.fround(0.9 * v));
    const noisy = ref;
    const mem: (string | number)[][] = [['session memory', 'heap MB']];
    for (const seconds of [60, 3600]) {
      gc();
      const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
      const { session } = feedSession(rate, ref, deg, noisy, seconds, 4096);
      gc();
      const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
      mem.push([`after ${seconds / 60} min of 16 kHz audio`, (after - before) / 1e6]);
      out[`heapMB_${seconds}s`] = (after - before) / 1e6;
      session.end();
    }
    console.log('\nMemory per live session (heap growth, typed arrays included)\n');
    console.log(table(mem));
  } else {
    console.log('\n(run with node --expose-gc for the memory-per-session figures)');
  }
  return out;
}

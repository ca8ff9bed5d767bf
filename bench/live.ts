/** Live-engine benchmarks: real-time factor per stream pair, pairs per core, memory per session. */
import { createLiveEngineSession } from '../src/live/engine.js';
import { table, time } from './harness.js';

/** A speech-like float32 test signal: LCG noise low-passed, in syllables, every third second quiet (also used by test/live). */
export function speechLike(n: number, rate: number, seed: number): Float64Array {
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

  // How long after its last sample arrives a metric sample is out: the engine reports synchronously
  // inside push(), so the time of each 10 ms push bounds it.
  {
    const rate = 16000;
    const ref = speechLike(20 * rate, rate, 5);
    const deg = ref.map((v) => Math.fround(0.8 * v));
    const session = createLiveEngineSession({ id: 'latency', sampleRate: rate, withNoisy: false });
    session.samples$.subscribe(() => undefined);
    const block = rate / 100;
    const times: number[] = [];
    for (let t0 = 0; t0 < 60 * rate; t0 += block) {
      const off = t0 % (ref.length - block);
      const t = performance.now();
      session.push({ t0, sampleRate: rate, ref: ref.subarray(off, off + block), deg: deg.subarray(off, off + block) });
      times.push(performance.now() - t);
    }
    session.end();
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    out.sampleOutMs = { p50: q(0.5), p99: q(0.99), max: times[times.length - 1] };
    console.log('\nTime from a 10 ms block arriving to its metric samples being out (16 kHz, 60 s)\n');
    console.log(table([['push() duration', 'p50 ms', 'p99 ms', 'max ms'], ['10 ms blocks', q(0.5), q(0.99), times[times.length - 1]]]));
  }

  // Memory per session: heap growth after 1 minute and after 1 hour of simulated 16 kHz audio.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    const rate = 16000;
    const ref = speechLike(20 * rate, rate, 3);
    const deg = ref.map((v) => Math.fround(0.9 * v));
    const noisy = ref;
    const mem: (string | number)[][] = [['session memory', 'MB (heap + typed arrays)']];
    // Footprint of one session: ten fresh sessions fed 10 s each, measured after garbage collection.
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const base = await settle();
    const sessions = Array.from({ length: 10 }, () => feedSession(rate, ref, deg, noisy, 10, 4096).session);
    const perSession = ((await settle()) - base) / 10 / 1e6;
    for (const s of sessions) s.end();
    mem.push(['one session (10 sessions / 10)', perSession]);
    out.sessionMB = perSession;
    // One session fed for an hour of stream time; its footprint after 1 min and after 60 min must agree.
    const used = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = used();
    const session = createLiveEngineSession({ id: 'mem', sampleRate: rate, withNoisy: true });
    session.samples$.subscribe(() => undefined);
    const block = 4096;
    let t0 = 0;
    for (const minutes of [1, 60]) {
      const until = minutes * 60 * rate;
      while (t0 < until) {
        const off = t0 % (ref.length - block);
        session.push({ t0, sampleRate: rate, ref: ref.subarray(off, off + block), deg: deg.subarray(off, off + block), noisy: noisy.subarray(off, off + block) });
        t0 += block;
      }
      const mb = (used() - before) / 1e6;
      if (minutes === 1) out.footprintAfter1minMB = mb;
      else {
        mem.push(['growth from minute 1 to minute 60 of one stream', mb - (out.footprintAfter1minMB as number)]);
        out.growth1to60minMB = mb - (out.footprintAfter1minMB as number);
      }
    }
    session.end();
    console.log('\nMemory per live session (JS heap + typed arrays, after GC)\n');
    console.log(table(mem));
  } else {
    console.log('\n(run with node --expose-gc for the memory-per-session figures)');
  }
  return out;
}

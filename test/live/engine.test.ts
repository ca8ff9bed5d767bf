import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze.js';
import { createLiveEngineSession } from '../../src/live/engine.js';
import type { DelayEvent, MetricSample, SummaryRecord } from '../../src/live/types.js';
import { SnrAccumulator } from '../../src/metrics/snr.js';
import { caseAudio, chunkBoundaries, corpusAvailable, goldenCase, seededRandom } from '../helpers/corpus.js';

interface Run {
  samples: MetricSample[];
  delays: DelayEvent[];
  summary: SummaryRecord;
}

function runLive(
  sampleRate: number,
  ref: Float64Array,
  deg: Float64Array,
  noisy?: Float64Array,
  chunk: number | { seed: number; max: number } = 1000,
): Run {
  const s = createLiveEngineSession({ id: 't', sampleRate, withNoisy: !!noisy });
  const samples: MetricSample[] = [];
  const delays: DelayEvent[] = [];
  let summary: SummaryRecord | undefined;
  s.samples$.subscribe((x) => samples.push(x));
  s.delays$.subscribe((d) => delays.push(d));
  s.summary$.subscribe((x) => (summary = x));
  const cuts = chunkBoundaries(ref.length, chunk);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    s.push({ t0: a, sampleRate, ref: ref.subarray(a, b), deg: deg.subarray(a, b), noisy: noisy?.subarray(a, b) });
  }
  s.end();
  return { samples, delays, summary: summary! };
}

/** Rounded to float32, as captured audio is (the engine's history rings are float32). */
function speechLike(n: number, seed: number, rate = 16000): Float64Array {
  const rnd = seededRandom(seed);
  let lp = 0;
  return Float64Array.from({ length: n }, (_, i) => {
    lp = 0.85 * lp + 0.15 * (rnd() * 2 - 1);
    const syllable = Math.sin((Math.PI * (i % (rate / 4))) / (rate / 4)) ** 2;
    return Math.fround((Math.floor(i / rate) % 3 === 2 ? 0.05 : 1) * syllable * (lp + 0.3 * Math.sin((2 * Math.PI * 220 * i) / rate)));
  });
}

function delayBy(x: Float64Array, d: (i: number) => number): Float64Array {
  // Fractional delays by linear interpolation (drift); integer delays are exact.
  return Float64Array.from({ length: x.length }, (_, i) => {
    const p = i - d(i);
    const k = Math.floor(p);
    if (k < 0 || k + 1 >= x.length) return 0;
    return Math.fround(x[k] + (p - k) * (x[k + 1] - x[k]));
  });
}

describe.runIf(corpusAvailable)('live engine against the offline analysis', () => {
  it('its summary equals earshot analyze (auto alignment) on a delayed corpus pair', () => {
    const c = goldenCase('p21_delay37p5ms');
    const ref = caseAudio(c, 'ref');
    const deg = caseAudio(c, 'deg');
    const { summary, delays } = runLive(c.fs, ref, deg);
    const off = analyze({ sampleRate: c.fs, refs: [ref], degs: [deg] }, { align: 'auto' });
    expect(delays[0]).toMatchObject({ kind: 'initial', delaySamples: 600 });
    expect(summary.delayMs).toBe(off.delayMs);
    expect(summary.durationSec).toBe(off.durationSec);
    // Same accumulators on the same aligned samples: equal up to float64 summation order.
    for (const k of ['segsnr', 'lsd', 'cosine', 'mse'] as const) expect(summary[k]).toBeCloseTo(off.values[k] as number, 10);
    // Live STOI/ESTOI judge silence against a 10 s running maximum with 1 s lookahead: equal here.
    for (const k of ['stoi', 'estoi'] as const) expect(Math.abs((summary[k] as number) - (off.values[k] as number))).toBeLessThan(1e-9);
  });

  it('sum metrics and CI-SDR are exactly the offline ones on a noisy denoiser case', () => {
    const c = goldenCase('p24_specsub_white5db');
    const [ref, deg, noisy] = [caseAudio(c, 'ref'), caseAudio(c, 'deg'), caseAudio(c, 'noisy')];
    const { summary } = runLive(c.fs, ref, deg, noisy, { seed: 11, max: 3000 });
    const off = analyze({ sampleRate: c.fs, refs: [ref], degs: [deg], noisy }, { align: 'auto' });
    for (const k of ['snr', 'sisdr', 'wsdr', 'cisdr', 'segsnr'] as const) {
      expect(Math.abs((summary[k] as number) - (off.values[k] as number))).toBeLessThan(1e-9);
    }
  });
});

describe('live engine', () => {
  const fs = 16000;
  const ref = speechLike(8 * fs, 1);
  const noise = speechLike(8 * fs, 2).map((v) => 0.1 * v);
  const deg = delayBy(ref.map((v, i) => Math.fround(v + noise[i])), () => 400);

  it('reports every metric for every window at 10 per second of stream time', () => {
    const { samples } = runLive(fs, ref, deg);
    const stoiTotal = samples.filter((s) => s.metric === 'stoi' && s.window === 'total');
    const ts = stoiTotal.map((s) => s.t);
    // One report per 100 ms of aligned output (8 s minus the 25 ms delay), plus the final one.
    expect(ts.length).toBeGreaterThanOrEqual(79);
    expect(ts[1] - ts[0]).toBeCloseTo(0.1, 9);
    const keys = new Set(samples.map((s) => `${s.metric}/${s.window}`));
    for (const m of ['snr', 'sisdr', 'segsnr', 'lsd', 'cosine', 'stoi', 'estoi', 'mse']) {
      for (const w of ['1s', '3s', '10s', 'total']) expect(keys.has(`${m}/${w}`)).toBe(true);
    }
    expect(keys.has('segsnr/frame') && keys.has('stoi/frame') && keys.has('delay/frame') && keys.has('cisdr/total')).toBe(true);
    for (const s of samples) {
      expect(s.value === null || Number.isFinite(s.value)).toBe(true);
      if (s.value === null) expect(s.reason).toBeTruthy();
    }
    const delay = samples.filter((s) => s.metric === 'delay').at(-1)!;
    expect(delay.value).toBe(25); // 400 samples at 16 kHz
  });

  it('the 1 s window of a ratio metric is the ratio over exactly the last second of aligned audio', () => {
    const { samples } = runLive(fs, ref, deg);
    const last = samples.filter((s) => s.metric === 'snr' && s.window === '1s').at(-2)!; // a full hop
    const endDeg = Math.round(last.t * fs);
    const acc = new SnrAccumulator();
    acc.update({ ref: ref.subarray(endDeg - 400 - fs, endDeg - 400), deg: deg.subarray(endDeg - fs, endDeg) });
    expect(last.value).toBeCloseTo(acc.compute().value!, 9);
    expect(last.uncertainty).toBeGreaterThan(0);
  });

  it.each([1, 128, 997, { seed: 5, max: 4000 }])('gives the same samples for block size %o', (chunk) => {
    const a = runLive(fs, ref.subarray(0, 4 * fs), deg.subarray(0, 4 * fs));
    const b = runLive(fs, ref.subarray(0, 4 * fs), deg.subarray(0, 4 * fs), undefined, chunk);
    expect(b.summary).toEqual(a.summary);
    expect(b.samples.length).toBe(a.samples.length);
  });

  it('finds a 1 s delay', () => {
    const late = delayBy(ref, () => fs);
    const { delays, summary } = runLive(fs, ref, late);
    expect(delays[0]).toMatchObject({ delaySamples: fs, delayMs: 1000 });
    expect(summary.stoi).toBeGreaterThan(0.99);
  });

  it('follows a jump in the delay (a DUT changing its buffering)', () => {
    const jumped = delayBy(ref, (i) => (i < 4 * fs ? 160 : 800));
    const { delays, samples } = runLive(fs, ref, jumped);
    expect(delays[0]).toMatchObject({ kind: 'initial', delaySamples: 160 });
    const jump = delays.find((d) => d.kind === 'jump')!;
    expect(jump.delaySamples).toBe(800);
    expect(jump.t).toBeGreaterThan(4);
    expect(jump.t).toBeLessThan(6); // 2 s window, confirmed by two refreshes 0.5 s apart
    expect(samples.filter((s) => s.metric === 'delay').at(-1)!.value).toBe(50);
  });

  it('follows clock drift of +100 ppm', () => {
    const long = speechLike(60 * fs, 3);
    const drifting = delayBy(long, (i) => 80 + 1e-4 * i); // delay grows 1.6 samples per second
    const { delays } = runLive(fs, long, drifting, undefined, 4096);
    const last = delays.at(-1)!;
    // 80 + 96 samples at the end; the tracker estimates over the last 2 s, so it lags about 1 s.
    expect(last.delaySamples).toBeGreaterThanOrEqual(80 + 96 - 3);
    expect(last.delaySamples).toBeLessThanOrEqual(80 + 96 + 1);
    expect(delays.some((d) => d.kind === 'drift')).toBe(true);
    expect(delays.some((d) => d.kind === 'jump')).toBe(false);
  });

  it('repairs and reports bad input instead of ending the stream', () => {
    const s = createLiveEngineSession({ id: 'bad', sampleRate: fs, withNoisy: false });
    const inputs: string[] = [];
    s.samples$.subscribe((x) => {
      if (x.metric === 'input') inputs.push(x.reason!);
    });
    let summary: SummaryRecord | undefined;
    s.summary$.subscribe((x) => (summary = x));
    const x = ref.subarray(0, 1000);
    s.push({ t0: 0, sampleRate: fs, ref: x, deg: x.map((v, i) => (i === 3 ? NaN : i === 4 ? Infinity : v)) });
    s.push({ t0: 1000, sampleRate: fs, ref: x, deg: x.subarray(0, 900) }); // unequal lengths
    s.push({ t0: 1500, sampleRate: fs, ref: x, deg: x }); // overlaps 400 samples already received
    s.push({ t0: 4000, sampleRate: fs, ref: x, deg: x }); // a gap of 1500 samples
    s.push({ t0: 5000, sampleRate: 8000, ref: x, deg: x }); // wrong rate
    s.push({ t0: 5000, sampleRate: fs, ref: ref.subarray(5000, 3 * fs), deg: ref.subarray(5000, 3 * fs) });
    s.end();
    expect(inputs).toEqual([
      '2 non-finite (NaN/Inf) samples replaced by 0',
      'streams of one block differ in length (ref 1000, deg 900): cut to 900',
      'block t0 1500 overlaps what was already received (expected 1900): 400 samples dropped',
      'gap of 1500 samples before t0 4000: filled with silence',
      'block at 8000 Hz in a 16000 Hz session: dropped',
    ]);
    expect(summary!.durationSec).toBeGreaterThan(2.5); // the stream went on to its end
    expect(() => s.push({ t0: 3 * fs, sampleRate: fs, ref: x, deg: x })).toThrow(/session bad has ended/);
    expect(() => createLiveEngineSession({ id: 'x', sampleRate: 96000, withNoisy: false })).toThrow(/8000\.\.48000 Hz, got 96000/);
  });

  it('a deg unrelated to ref: low confidence, no invented delay; a silent ref gives nulls with reasons', () => {
    const other = speechLike(6 * fs, 99);
    const unrelated = runLive(fs, ref.subarray(0, 6 * fs), other);
    expect(unrelated.delays.every((d) => d.kind === 'lost' && d.confidence === 0)).toBe(true);
    const silent = runLive(fs, new Float64Array(6 * fs), ref.subarray(0, 6 * fs));
    for (const k of ['snr', 'sisdr', 'stoi', 'estoi', 'cisdr']) {
      expect(silent.summary[k]).toBeNull();
      expect((silent.summary.reasons as Record<string, string>)[k]).toBeTruthy();
    }
    for (const x of silent.samples) expect(x.value === null || Number.isFinite(x.value)).toBe(true);
  });
});

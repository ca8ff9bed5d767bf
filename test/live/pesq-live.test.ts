import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze.js';
import { readWav } from '../../src/io/wav.js';
import { PESQ_FIRST_SEC, PESQ_WINDOW_SEC } from '../../src/live/live-families.js';
import { createLiveEngineSession } from '../../src/live/engine.js';
import type { MetricSample, SummaryRecord } from '../../src/live/types.js';

const example = (name: string) => readWav(new URL(`../../examples/audio/${name}`, import.meta.url).pathname);

function runLive(ref: Float64Array, deg: Float64Array, fs: number) {
  const s = createLiveEngineSession({ id: 'p', sampleRate: fs, withNoisy: false, metrics: 'pesq,pesqRaw' });
  const samples: MetricSample[] = [];
  let summary: SummaryRecord | undefined;
  s.samples$.subscribe((x) => samples.push(x));
  s.summary$.subscribe((x) => (summary = x));
  for (let a = 0; a < ref.length; a += 320) s.push({ t0: a, sampleRate: fs, ref: ref.subarray(a, a + 320), deg: deg.subarray(a, a + 320) });
  s.end();
  return { samples, summary: summary! };
}

describe('live PESQ-like in sessions shorter than its 10 s window', () => {
  it('a 5.8 s session shows values from 3.2 s on, each saying its span, and a summary over the whole session', () => {
    const ref = example('hello.ref.wav');
    const deg = example('hello.deg.wav');
    const fs = ref.sampleRate;
    const { samples, summary } = runLive(ref.channels[0], deg.channels[0], fs);
    const pesq = samples.filter((x) => x.metric === 'pesq' && x.value !== null);
    expect(pesq.length).toBeGreaterThan(0);
    // The first value comes once the aligned stream holds PESQ_FIRST_SEC (plus the aligner's lock time).
    expect(pesq[0].t).toBeGreaterThanOrEqual(PESQ_FIRST_SEC);
    for (const x of pesq) expect(x.reason).toMatch(new RegExp(`^over the last \\d+\\.\\d s \\(the live window is ${PESQ_WINDOW_SEC} s\\)$`));
    const raw = samples.filter((x) => x.metric === 'pesqRaw' && x.value !== null);
    expect(raw.length).toBe(pesq.length);
    // Before PESQ_FIRST_SEC of aligned audio there is no value, and the reason says why.
    expect(samples.find((x) => x.metric === 'pesq')!).toMatchObject({ value: null, reason: 'not computed yet' });
    expect(typeof summary.pesq).toBe('number');
    expect(summary.reasons).toMatchObject({ pesq: 'over the whole session (live, float32 audio)' });
    // The same model on the same pair offline (whole file, float64): the live window holds float32
    // samples (relative rounding 6e-8), which moved the score by 5e-6 MOS when this was written.
    const offline = analyze({ sampleRate: fs, refs: [ref.channels[0]], degs: [deg.channels[0]] }, { align: 'integer', metrics: 'pesq' });
    expect(Math.abs((summary.pesq as number) - (offline.values.pesq as number))).toBeLessThan(1e-4);
  });
});

/**
 * Live alignment (src/live/delay-tracker.ts, aligner.ts) on synthetic pairs made from the corpus's
 * clean speech: sub-sample delay along a clock drift, a delay jump, and 'lost' when deg stops
 * matching ref. The constants are this test's.
 */
import { describe, expect, it } from 'vitest';
import { createLiveEngineSession } from '../../src/live/engine.js';
import type { DelayEvent, MetricSample } from '../../src/live/types.js';
import { caseAudio, corpusAvailable, goldenCase } from '../helpers/corpus.js';
import { retime } from './synthetic.js';

const FS = 16000;

function runLive(ref: Float64Array, deg: Float64Array, block = 4096) {
  const s = createLiveEngineSession({ id: 't', sampleRate: FS, withNoisy: false, metrics: 'snr' });
  const delays: DelayEvent[] = [];
  const samples: MetricSample[] = [];
  s.delays$.subscribe((d) => delays.push(d));
  s.samples$.subscribe((x) => {
    if (x.metric === 'delay') samples.push(x);
  });
  const n = Math.min(ref.length, deg.length);
  for (let i = 0; i < n; i += block) {
    const e = Math.min(n, i + block);
    s.push({ t0: i, sampleRate: FS, ref: ref.subarray(i, e), deg: deg.subarray(i, e) });
  }
  s.end();
  return { delays, samples };
}

describe.runIf(corpusAvailable)('live alignment', () => {
  it('with 100 ppm drift and a 20 ms jump at 30 s, every delay sample is within 0.1 ms of the truth outside the 2 s after the jump', () => {
    const ref = caseAudio(goldenCase('p40_long60s_pink5db'), 'ref');
    const truth = (m: number) => 80 + 100e-6 * m + (m >= 30 * FS ? 0.02 * FS : 0);
    const deg = retime(ref, truth, ref.length);
    const { delays, samples } = runLive(ref, deg);
    const scored = samples.filter((x) => x.value !== null && !(x.t >= 30 && x.t < 32));
    expect(scored.length).toBeGreaterThan(500);
    let worst = 0;
    for (const x of scored) worst = Math.max(worst, Math.abs((x.value as number) - (1000 * truth(x.t * FS)) / FS));
    expect(worst).toBeLessThan(0.1);
    const jump = delays.find((d) => d.kind === 'jump')!;
    expect(jump.t).toBeGreaterThan(30);
    expect(jump.t).toBeLessThan(32);
    expect(Math.abs(delays.at(-1)!.driftPpm! - 100)).toBeLessThan(5);
  });

  it('reports lost when deg stops matching ref, and keeps the delay it believed', () => {
    const ref = caseAudio(goldenCase('p40_long60s_pink5db'), 'ref').subarray(0, 24 * FS);
    const other = caseAudio(goldenCase('p41_long60s_specsub_white10db'), 'ref');
    const deg = new Float64Array(ref.length);
    deg.set(ref.subarray(0, 12 * FS - 240), 240); // 15 ms late for 12 s
    deg.set(other.subarray(12 * FS, 24 * FS), 12 * FS); // then another talker
    const { delays, samples } = runLive(ref, deg);
    expect(delays[0]).toMatchObject({ kind: 'initial', delaySamples: 240 });
    const lost = delays.find((d) => d.kind === 'lost')!;
    expect(lost).toBeDefined();
    // The 2 s window still holds matching audio for up to 2 s, then LOST_AFTER (4) refreshes 0.5 s
    // apart that have signal (pauses do not count): within 6 s of the change.
    expect(lost.t).toBeGreaterThan(12);
    expect(lost.t).toBeLessThan(18);
    expect(delays.filter((d) => d.kind === 'jump')).toHaveLength(0);
    expect(samples.at(-1)!.value).toBe(15);
  });
});

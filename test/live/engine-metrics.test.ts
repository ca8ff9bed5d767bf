import { describe, expect, it } from 'vitest';
import { createLiveEngineSession } from '../../src/live/engine.js';
import type { MetricSample, SummaryRecord } from '../../src/live/types.js';
import { seededRandom } from '../helpers/corpus.js';

function run(metrics: string | undefined, ref: Float64Array, deg: Float64Array) {
  const s = createLiveEngineSession({ id: 'sel', sampleRate: 16000, withNoisy: false, metrics });
  const samples: MetricSample[] = [];
  let summary: SummaryRecord | undefined;
  s.samples$.subscribe((x) => samples.push(x));
  s.summary$.subscribe((x) => (summary = x));
  for (let a = 0; a < ref.length; a += 1600) s.push({ t0: a, sampleRate: 16000, ref: ref.subarray(a, a + 1600), deg: deg.subarray(a, a + 1600) });
  s.end();
  return { samples, summary: summary! };
}

describe('live engine --metrics', () => {
  const rnd = seededRandom(5);
  const n = 16000 * 4;
  const ref = Float64Array.from({ length: n }, (_, i) => 0.3 * Math.sin(i * 0.03) * Math.sin(i * 0.0009) + 0.05 * (rnd() - 0.5));
  const deg = ref.map((v) => 0.9 * v + 0.01 * (rnd() - 0.5));

  it('emits only the selected metrics (and the delay), with the values of the full set', () => {
    const all = run(undefined, ref, deg);
    const some = run('stoi,sisdr', ref, deg);
    expect(new Set(some.samples.map((s) => s.metric))).toEqual(new Set(['stoi', 'sisdr', 'delay']));
    const pick = (r: typeof all, m: string) => r.samples.filter((s) => s.metric === m).map((s) => [s.t, s.window, s.value]);
    expect(pick(some, 'stoi')).toEqual(pick(all, 'stoi'));
    expect(pick(some, 'sisdr')).toEqual(pick(all, 'sisdr'));
    expect(some.summary.stoi).toBe(all.summary.stoi);
    expect(some.summary.snr).toBeNull();
    expect((some.summary.reasons as Record<string, string>).snr).toBe('not requested (--metrics)');
    // The summary keeps every key of earshot analyze --json.
    expect(Object.keys(some.summary).sort()).toEqual(Object.keys(all.summary).sort());
  });

  it('an unknown key is refused when the session is created', () => {
    expect(() => createLiveEngineSession({ id: 'x', sampleRate: 16000, withNoisy: false, metrics: 'nope' })).toThrow(/unknown metric "nope"/);
  });
});

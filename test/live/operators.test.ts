import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { align } from '../../src/live/operators/align.js';
import { monitor } from '../../src/live/operators/monitor.js';
import type { SummaryRecord } from '../../src/live/types.js';
import { playSignals } from '../../src/stream/wav-source.js';
import { seededRandom } from '../helpers/corpus.js';

const fs = 16000;
function signals(delay: number) {
  const rnd = seededRandom(21);
  let lp = 0;
  const ref = Float64Array.from({ length: 4 * fs }, (_, i) => {
    lp = 0.8 * lp + 0.2 * (rnd() * 2 - 1);
    return Math.fround((i % 8000 < 5000 ? 1 : 0.02) * lp);
  });
  const deg = new Float64Array(ref.length);
  for (let i = delay; i < ref.length; i++) deg[i] = ref[i - delay];
  return { sampleRate: fs, ref, deg };
}

describe('live operators', () => {
  it('align pairs ref[i] with deg[i + delay] once the delay is found', async () => {
    const s = signals(240);
    const delays: number[] = [];
    const chunks = await lastValueFrom(
      playSignals(s, { speed: 'max' }).pipe(align({ sampleRate: fs, withNoisy: false, onDelay: (u) => delays.push(u.delaySamples) }), toArray()),
    );
    expect(delays[0]).toBe(240);
    const n = chunks.reduce((a, c) => a + c.ref.length, 0);
    expect(n).toBe(4 * fs - 240); // as offline: the common part after compensation
    for (const c of chunks) expect(Array.from(c.deg)).toEqual(Array.from(c.ref));
  });

  it('monitor emits metric samples and hands on the summary at completion', async () => {
    let summary: SummaryRecord | undefined;
    const samples = await lastValueFrom(
      playSignals(signals(0), { speed: 'max' }).pipe(monitor({ id: 'op', sampleRate: fs, withNoisy: false, onSummary: (x) => (summary = x) }), toArray()),
    );
    expect(samples.some((s) => s.metric === 'stoi' && s.window === '1s' && s.value !== null)).toBe(true);
    expect(summary).toMatchObject({ type: 'summary', session: 'op', snr: null, delayMs: 0 });
    expect(summary!.reasons).toMatchObject({ snr: expect.stringMatching(/^perfect/) });
  });

  it('monitor reports bad input as a sample with a reason and goes on', async () => {
    const bad = from([{ t0: 0, sampleRate: fs, ref: new Float64Array(10), deg: new Float64Array(10).fill(NaN) }]);
    const out = await lastValueFrom(bad.pipe(monitor({ id: 'bad', sampleRate: fs, withNoisy: false }), toArray()));
    expect(out.find((s) => s.metric === 'input')).toMatchObject({ value: null, reason: '10 non-finite (NaN/Inf) samples replaced by 0' });
  });
});

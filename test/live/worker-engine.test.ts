import { afterAll, describe, expect, it } from 'vitest';
import { createLiveEngineSession } from '../../src/live/engine.js';
import type { LiveEngineSession, MetricSample, SpectrumColumn, SummaryRecord } from '../../src/live/types.js';
import { createWorkerEngineFactory } from '../../src/live/worker-engine.js';
import { caseAudio, corpusAvailable, goldenCase } from '../helpers/corpus.js';

async function run(session: LiveEngineSession, ref: Float64Array, deg: Float64Array, noisy?: Float64Array) {
  const samples: MetricSample[] = [];
  const spectra: SpectrumColumn[] = [];
  session.samples$.subscribe((s) => samples.push(s));
  session.spectra$?.subscribe((c) => spectra.push(c));
  const summary = new Promise<SummaryRecord>((resolve, reject) => session.summary$.subscribe({ next: resolve, error: reject }));
  for (let p = 0; p < ref.length; p += 1600) {
    const e = Math.min(ref.length, p + 1600);
    session.push({ t0: p, sampleRate: session.sampleRate, ref: ref.subarray(p, e), deg: deg.subarray(p, e), noisy: noisy?.subarray(p, e) });
  }
  session.end();
  return { samples, spectra, summary: await summary };
}

describe.runIf(corpusAvailable)('live engine in worker threads', () => {
  const pool = createWorkerEngineFactory(2);
  afterAll(() => pool.close());

  it('gives exactly the samples and summary of the in-thread engine, for two sessions at once', async () => {
    const c = goldenCase('p24_specsub_white5db');
    const [ref, deg, noisy] = [caseAudio(c, 'ref'), caseAudio(c, 'deg'), caseAudio(c, 'noisy')];
    const options = { id: 'w', sampleRate: c.fs, withNoisy: true, spectrumRateHz: 10 };
    const inThread = await run(createLiveEngineSession(options), ref, deg, noisy);
    const [a, b] = await Promise.all([
      run(pool.factory({ ...options }), ref, deg, noisy),
      run(pool.factory({ ...options, id: 'w2' }), ref, deg, noisy),
    ]);
    expect(a.summary).toEqual(inThread.summary);
    expect(a.samples).toEqual(inThread.samples);
    // Spectrogram columns come back from the worker too, identical to the in-thread engine's.
    expect(inThread.spectra.length).toBeGreaterThan(10);
    expect(a.spectra).toEqual(inThread.spectra);
    expect({ ...b.summary, session: 'w' }).toEqual(inThread.summary);
  }, 120_000);
});

import { describe, expect, it } from 'vitest';
import { FwSegSnrAccumulator } from '../../src/metrics/fwsegsnr.js';
import { SepmSpectralAccumulator } from '../../src/metrics/sepm-spectral.js';
import { WssAccumulator } from '../../src/metrics/wss.js';
import { caseAudio, corpusAvailable, goldenCase } from '../helpers/corpus.js';
import { CHUNKINGS, chunkLabel, feed, syntheticPair } from './sepm-test-utils.js';

describe('SepmSpectralAccumulator (fwSegSNR + WSS sharing one FFT per frame)', () => {
  const pairs = (): [string, number, Float64Array, Float64Array][] => {
    const out: [string, number, Float64Array, Float64Array][] = [];
    const s = syntheticPair(44100, 44100, 1);
    out.push(['synthetic 44.1 kHz', 44100, s.ref, s.deg]);
    if (corpusAvailable) {
      for (const name of ['p28_short_yes', 'p30_8k_white10db', 'p02_silent_deg']) {
        const c = goldenCase(name);
        out.push([name, c.fs, caseAudio(c, 'ref'), caseAudio(c, 'deg')]);
      }
    }
    return out;
  };

  it.each(pairs())('%s: equals the separate accumulators exactly, for every block cutting', (_, fs, ref, deg) => {
    const fw = feed(new FwSegSnrAccumulator({ sampleRate: fs }), ref, deg);
    const wss = feed(new WssAccumulator({ sampleRate: fs }), ref, deg);
    const acc = new SepmSpectralAccumulator({ sampleRate: fs });
    // Exact: the same kernels on the same spectra.
    expect(feed(acc, ref, deg)).toEqual({ fwSegSnr: fw, wss });
    for (const chunk of CHUNKINGS.slice(1)) expect(feed(acc, ref, deg, chunk), chunkLabel(chunk)).toEqual({ fwSegSnr: fw, wss });
  });

  it('is null (both) below two frames', () => {
    const acc = new SepmSpectralAccumulator({ sampleRate: 16000 });
    const r = acc.compute();
    expect(r.fwSegSnr.value).toBeNull();
    expect(r.wss.value).toBeNull();
  });
});

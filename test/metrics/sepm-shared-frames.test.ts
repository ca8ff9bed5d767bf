/**
 * Every pysepm measure as a consumer of one shared SepmFramer (`{ framer: false }`): the same values
 * as standalone, for every block cutting, and the errors of a consumer that is not told the length.
 */
import { describe, expect, it } from 'vitest';
import { CepstralDistanceAccumulator } from '../../src/metrics/cepstral-distance.js';
import { FwSegSnrAccumulator } from '../../src/metrics/fwsegsnr.js';
import { LlrAccumulator } from '../../src/metrics/llr.js';
import { SegSnrAccumulator } from '../../src/metrics/segsnr.js';
import { SepmFramer, sepmFraming, sepmGeometry, type SepmFrameSink } from '../../src/metrics/sepm-frames.js';
import { SepmSpectralAccumulator } from '../../src/metrics/sepm-spectral.js';
import { WssAccumulator } from '../../src/metrics/wss.js';
import { caseAudio, chunkBoundaries, corpusAvailable, goldenCase } from '../helpers/corpus.js';
import { CHUNKINGS, chunkLabel, errorCode, STREAMING_CASES, syntheticPair } from './sepm-test-utils.js';

/** The six pysepm accumulators in one mode, and everything they return. */
function measures(sampleRate: number, framer: boolean) {
  const segFrames: number[] = [];
  const m = {
    segsnr: new SegSnrAccumulator(sampleRate, (v) => segFrames.push(v), { framer }),
    llr: new LlrAccumulator({ sampleRate, framer }),
    cd: new CepstralDistanceAccumulator({ sampleRate, framer }),
    fw: new FwSegSnrAccumulator({ sampleRate, framer }),
    wss: new WssAccumulator({ sampleRate, framer }),
    spectral: new SepmSpectralAccumulator({ sampleRate, framer }),
  };
  const read = (samples?: number) => ({
    segsnr: m.segsnr.compute(samples),
    segFrames: [...segFrames],
    llr: m.llr.computeBoth(samples),
    cd: m.cd.compute(samples),
    fw: m.fw.compute(samples),
    wss: m.wss.compute(samples),
    spectral: m.spectral.compute(samples),
  });
  return { m, read };
}

function standalone(fs: number, ref: Float64Array, deg: Float64Array) {
  const { m, read } = measures(fs, true);
  for (const acc of Object.values(m)) acc.update({ ref, deg });
  return read();
}

/** One framer for all six, fed in `chunk`-sized blocks. */
function shared(fs: number, ref: Float64Array, deg: Float64Array, chunk: number | { seed: number; max: number }) {
  const { m, read } = measures(fs, false);
  const sinks: SepmFrameSink[] = Object.values(m);
  const fan: SepmFrameSink = {
    frame(r, d, offset) {
      for (const s of sinks) s.frame(r, d, offset);
    },
  };
  const g = sepmGeometry(fs);
  const framer = new SepmFramer(g.frameLength, g.hop);
  const cuts = chunkBoundaries(ref.length, chunk);
  for (let i = 1; i < cuts.length; i++) framer.push(ref.subarray(cuts[i - 1], cuts[i]), deg.subarray(cuts[i - 1], cuts[i]), fan);
  return { result: read(framer.samples), m, samples: framer.samples };
}

describe('one SepmFramer shared by segSNR, LLR, CD, fwSegSNR, WSS and the spectral pair', () => {
  const pairs = (): [string, number, Float64Array, Float64Array][] => {
    const out: [string, number, Float64Array, Float64Array][] = [];
    for (const fs of [16000, 44100]) {
      const s = syntheticPair(fs, fs, 7);
      out.push([`synthetic ${fs} Hz`, fs, s.ref, s.deg]);
    }
    if (corpusAvailable) {
      for (const name of STREAMING_CASES) {
        const c = goldenCase(name);
        out.push([name, c.fs, caseAudio(c, 'ref'), caseAudio(c, 'deg')]);
      }
    }
    return out;
  };

  it.each(pairs())('%s: every value (and segSNR\'s per-frame callbacks) equals the standalone one, for every block cutting', (_, fs, ref, deg) => {
    const want = standalone(fs, ref, deg);
    for (const chunk of [ref.length, ...CHUNKINGS.slice(1)]) {
      // Exact: the same frames through the same kernels.
      expect(shared(fs, ref, deg, chunk).result, chunkLabel(chunk)).toEqual(want);
    }
  });

  it('a consumer without a framer rejects update(), needs compute(samples), and checks samples against its frames', () => {
    const fs = 16000;
    const { ref, deg } = syntheticPair(4000, fs, 3);
    const { m, samples } = shared(fs, ref, deg, 997);
    for (const acc of Object.values(m)) {
      expect(errorCode(() => acc.update({ ref, deg })), acc.constructor.name).toBe('ERR_INVALID_ARGUMENT');
    }
    for (const acc of [m.llr, m.cd, m.fw, m.wss, m.spectral]) {
      expect(errorCode(() => acc.compute()), acc.constructor.name).toBe('ERR_INVALID_ARGUMENT');
      expect(errorCode(() => acc.compute(samples)), acc.constructor.name).toBe('no error');
      // 4000 samples give 30 frames; 4000 + 120 would give 31.
      expect(errorCode(() => acc.compute(samples + 120)), acc.constructor.name).toBe('ERR_INVALID_ARGUMENT');
    }
    // Segmental SNR counts frames seen minus one: the length is optional, but checked when given.
    expect(m.segsnr.compute().value).toBe(m.segsnr.compute(samples).value);
    expect(errorCode(() => m.segsnr.compute(samples + 120))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('reset() of a consumer forgets its frames (the shared framer is reset by its owner)', () => {
    const fs = 8000;
    const { ref, deg } = syntheticPair(3000, fs, 5);
    const { m } = shared(fs, ref, deg, 128);
    for (const acc of Object.values(m)) acc.reset();
    expect(m.llr.compute(0).value).toBeNull();
    expect(m.spectral.compute(0).wss.value).toBeNull();
    expect(m.segsnr.compute(0).value).toBeNull();
  });
});

describe('segmental SNR frames are the pysepm frames', () => {
  it.each([8000, 16000, 22050, 44100, 48000])('at %i Hz: the same L and S as sepmGeometry', (fs) => {
    const acc = new SegSnrAccumulator(fs);
    const g = sepmGeometry(fs);
    expect([acc.frameLength, acc.hop]).toEqual([g.frameLength, g.hop]);
  });

  it('rounds 0.03·fs half to even as Python does (8150 Hz: 244.5 → 244, not 245)', () => {
    expect(sepmFraming(8150).frameLength).toBe(244);
    expect(new SegSnrAccumulator(8150).frameLength).toBe(244);
  });

  it('throws ERR_SAMPLE_RATE when the hop would be under one sample', () => {
    expect(errorCode(() => new SegSnrAccumulator(100))).toBe('ERR_SAMPLE_RATE');
  });
});

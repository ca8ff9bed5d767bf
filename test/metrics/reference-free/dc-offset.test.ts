import { describe, expect, it } from 'vitest';
import { DcOffsetAccumulator } from '../../../src/metrics/reference-free/dc-offset.js';
import { RF_CHUNKINGS, feedDeg, speechLike } from './helpers.js';

const dc = (fs: number, x: Float64Array) => feedDeg(new DcOffsetAccumulator({ sampleRate: fs }), x);

describe('DC offset', () => {
  it('is the known offset added to a zero-mean signal', () => {
    // 100 Hz over exactly 2 s (200 periods) has zero mean up to rounding (~1e-17 per sample).
    const x = Float64Array.from({ length: 32000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 100 * i) / 16000) + 0.01);
    expect(dc(16000, x).value).toBeCloseTo(0.01, 12);
    expect(dc(16000, x.map((v) => v - 0.02)).value).toBeCloseTo(-0.01, 12);
  });

  it('is the plain mean of speech', () => {
    const x = speechLike(8000, 4, 3).signal.map((v) => v - 0.003);
    let s = 0;
    for (const v of x) s += v;
    // Same sum in hop-sized partial sums: rounding differs by ~1e-16 relative.
    expect(dc(8000, x).value).toBeCloseTo(s / x.length, 14);
  });

  it.each(RF_CHUNKINGS)('is identical for chunking %o', (chunk) => {
    const x = speechLike(16000, 3, 4).signal.map((v) => v + 0.001);
    expect(feedDeg(new DcOffsetAccumulator({ sampleRate: 16000 }), x, undefined, chunk)).toEqual(dc(16000, x));
  });

  it('returns null with a reason for silence, short signals and bad rates', () => {
    expect(dc(16000, new Float64Array(1000)).reason).toMatch(/silence/);
    expect(dc(16000, new Float64Array(100).fill(0.5)).reason).toMatch(/shorter/);
    expect(dc(7000, new Float64Array(1000).fill(0.5)).reason).toMatch(/sample rate/);
  });
});

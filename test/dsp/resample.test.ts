import { describe, expect, it } from 'vitest';
import { FftResamplerPair, StreamingResamplerPair, createResamplerPair, octaveResamplerDesign } from '../../src/dsp/resample.js';

describe('createResamplerPair', () => {
  it('takes FFT polyphase where folding pays and the direct form for 44.1 kHz', () => {
    expect(createResamplerPair(octaveResamplerDesign(10000, 44100))).toBeInstanceOf(StreamingResamplerPair);
    expect(createResamplerPair(octaveResamplerDesign(10000, 16000))).toBeInstanceOf(FftResamplerPair);
    expect(createResamplerPair(octaveResamplerDesign(10000, 8000))).toBeInstanceOf(FftResamplerPair);
  });
});

/**
 * Rational polyphase resampling, exactly as pystoi 0.4.1 reaches 10 kHz (`pystoi.utils.resample_oct`):
 * an Octave-compatible Kaiser-windowed sinc low-pass (`_resample_window_oct`), normalised to unit sum,
 * applied by scipy's `resample_poly(x, up, down, window=h)` with its default zero padding.
 *
 * - `resample-design.ts`: the filter (`octaveResamplerDesign`, `besselI0`, `rationalFactors`);
 * - `resample-poly.ts`: direct polyphase (`resamplePoly`, `resampleOct`, `StreamingResamplerPair`),
 *   bit-identical between one-shot and streaming;
 * - `resample-fft.ts`: FFT polyphase (`FftResamplerPair`), the same filter by overlap-save, about 2×
 *   faster where `down` has a power-of-two factor, equal to the direct form within float rounding.
 *
 * Both pair resamplers stream with the same edge handling; `createResamplerPair` picks the faster one
 * for a design. Import from here.
 */
import { FftResamplerPair, fftResamplerLayout } from './resample-fft.js';
import { StreamingResamplerPair, type PairResampler } from './resample-poly.js';
import type { ResamplerDesign } from './resample-design.js';

export { besselI0, octaveResamplerDesign, rationalFactors, resampledLength, type ResamplerDesign } from './resample-design.js';
export { FftResamplerPair, fftResamplerLayout, type FftResamplerLayout } from './resample-fft.js';
export { StreamingResamplerPair, resampleOct, resamplePoly, type PairResampler } from './resample-poly.js';

/** The faster pair resampler for `design`: FFT polyphase where it pays, otherwise direct polyphase. */
export function createResamplerPair(design: ResamplerDesign): PairResampler {
  const layout = fftResamplerLayout(design);
  return layout ? new FftResamplerPair(design, layout) : new StreamingResamplerPair(design);
}

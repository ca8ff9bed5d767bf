/**
 * The block every source yields (WAV files, a Web Audio graph through the capture worklet, the ingest
 * server): time-aligned as captured (not yet delay-compensated), float64 on the [-1, 1) scale.
 */
export interface StreamBlock {
  /** Index of the first sample of this block in the stream, in samples since the start. */
  t0: number;
  sampleRate: number;
  ref: Float64Array;
  deg: Float64Array;
  /** The input the device under test saw, when there is one. */
  noisy?: Float64Array;
}

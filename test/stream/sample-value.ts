/**
 * Test signal whose every sample says where it belongs: stream index plus a per-channel offset,
 * all integers below 2^24, so exact in Float32 (the ring's storage type).
 */
const INDEX_MODULUS = 2 ** 20;
const CHANNEL_STEP = 2 ** 21;

export function sampleValue(channel: number, index: number): number {
  return (index % INDEX_MODULUS) + channel * CHANNEL_STEP;
}

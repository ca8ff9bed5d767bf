/**
 * WAV output: float64 channels as a canonical 44-byte-header, 16-bit PCM RIFF/WAVE file (the layout
 * every reader accepts). Used for examples and tests.
 */
import { earshotError } from '../errors.js';

/** Bytes before the first sample: RIFF header (12), `fmt ` chunk (8 + 16), `data` chunk header (8). */
const PCM16_HEADER_BYTES = 44;
const WAVE_FORMAT_PCM = 1;
const PCM16_BYTES = 2;
const PCM16_FULL_SCALE = 32768;
const PCM16_MIN = -32768;
const PCM16_MAX = 32767;

/**
 * Encode float64 channels (all the same length, [-1, 1) scale) as a 16-bit PCM WAV: each sample is
 * rounded to the nearest step of 1/32768 and clipped to the int16 range; NaN becomes 0.
 * Throws ERR_INVALID_ARGUMENT for no channels or channels of different lengths.
 */
export function encodeWavPcm16(channels: Float64Array[], sampleRate: number): Uint8Array {
  const channelCount = channels.length;
  if (channelCount < 1) throw earshotError('ERR_INVALID_ARGUMENT', 'encodeWavPcm16: expected at least one channel, got 0');
  const frames = channels[0].length;
  for (let c = 1; c < channelCount; c++) {
    if (channels[c].length !== frames) {
      throw earshotError(
        'ERR_INVALID_ARGUMENT',
        `encodeWavPcm16: expected channels of equal length, got ${frames} samples in channel 0 and ${channels[c].length} in channel ${c}`,
      );
    }
  }
  const blockAlign = PCM16_BYTES * channelCount;
  const dataBytes = frames * blockAlign;
  const bytes = new Uint8Array(PCM16_HEADER_BYTES + dataBytes);
  const v = new DataView(bytes.buffer);
  ascii(v, 0, 'RIFF');
  v.setUint32(4, PCM16_HEADER_BYTES - 8 + dataBytes, true);
  ascii(v, 8, 'WAVE');
  ascii(v, 12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, WAVE_FORMAT_PCM, true);
  v.setUint16(22, channelCount, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * blockAlign, true);
  v.setUint16(32, blockAlign, true);
  v.setUint16(34, 16, true);
  ascii(v, 36, 'data');
  v.setUint32(40, dataBytes, true);
  for (let c = 0; c < channelCount; c++) {
    const ch = channels[c];
    for (let i = 0, p = PCM16_HEADER_BYTES + c * PCM16_BYTES; i < frames; i++, p += blockAlign) {
      // setInt16 stores NaN as 0, as the Int16Array of the previous encoder did.
      v.setInt16(p, Math.max(PCM16_MIN, Math.min(PCM16_MAX, Math.round(ch[i] * PCM16_FULL_SCALE))), true);
    }
  }
  return bytes;
}

function ascii(v: DataView, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) v.setUint8(at + i, text.charCodeAt(i));
}

/**
 * WAV input and output. `readWav` / `decodeWav` decode a whole file into one Float64Array per channel;
 * `openWav` reads one block by block in constant memory. Both walk the RIFF structure with
 * `parseWavHeader` and unpack samples with the same kernel, so they give bit-identical samples on the
 * [-1, 1) scale used by every reference implementation (int16 / 32768, int24 / 2^23, int32 / 2^31,
 * uint8 (x − 128) / 128, floats as stored).
 *
 * Reads RIFF, RIFX and RF64 containers; PCM 8/16/24/32-bit and IEEE float 32/64, plain or
 * WAVE_FORMAT_EXTENSIBLE. Errors: ERR_FILE_NOT_FOUND, ERR_FILE_UNREADABLE, ERR_WAV_INVALID (not a WAV,
 * corrupt header, truncated or empty audio), ERR_WAV_UNSUPPORTED, ERR_SAMPLE_RATE, ERR_NONFINITE,
 * ERR_CHANNEL; each message starts with the file name.
 *
 * @example
 * const { sampleRate, channels } = readWav('talk.wav');
 */
import { readFileSync } from 'node:fs';
import { earshotError } from '../errors.js';
import { fileError } from './file-error.js';
import { decodeChannel, firstNonFinite, SampleBuffer } from './wav-decode.js';
import { memorySource, parseWavHeader } from './wav-header.js';
import { channelError } from './wav-reader.js';

export { encodeWavPcm16 } from './wav-encode.js';
export { MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ, type WavEncoding } from './wav-header.js';
export { openWav, type OpenWavOptions, WAV_READ_BLOCK_BYTES, type WavReader } from './wav-reader.js';

export interface WavAudio {
  /** Hz. */
  sampleRate: number;
  /** One Float64Array per channel, all the same length. */
  channels: Float64Array[];
  /** e.g. "pcm16", "pcm24", "float32" (one of `WavEncoding`). */
  encoding: string;
}

/**
 * Decode a WAV file held in memory. `name` is used in error messages. A non-finite float sample is
 * reported as the first one in channel order (all of channel 0, then channel 1, ...).
 */
export function decodeWav(bytes: Uint8Array, name: string): WavAudio {
  const layout = parseWavHeader(memorySource(bytes), name);
  const { channelCount, frames, blockAlign, bytesPerSample, encoding, littleEndian } = layout;
  const data = new SampleBuffer(bytes.buffer, bytes.byteOffset + layout.dataOffset, frames * blockAlign, littleEndian);
  const channels: Float64Array[] = [];
  for (let c = 0; c < channelCount; c++) {
    const out = new Float64Array(frames);
    if (!decodeChannel(data, c * bytesPerSample, blockAlign, frames, encoding, out, 0)) {
      const i = firstNonFinite(out, 0, frames);
      throw earshotError('ERR_NONFINITE', `${name}: sample ${i} of channel ${c} is ${out[i]}; expected finite values`);
    }
    channels.push(out);
  }
  return { sampleRate: layout.sampleRate, channels, encoding };
}

/** Read and decode a WAV file from disk (see `openWav` for files too long to hold in memory). */
export function readWav(path: string): WavAudio {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
  return decodeWav(bytes, path);
}

/** Pick one channel, with a clear error (ERR_CHANNEL) when it does not exist. */
export function selectChannel(audio: WavAudio, channel: number, name: string): Float64Array {
  if (!Number.isInteger(channel) || channel < 0 || channel >= audio.channels.length) {
    throw channelError(name, channel, audio.channels.length);
  }
  return audio.channels[channel];
}

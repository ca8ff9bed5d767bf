/**
 * WAV input. Parsing of the RIFF structure and sample unpacking is done by `wavefile`; this module adds
 * the checks that library leaves out (truncated data, empty data, unsupported encodings, non-finite
 * floats, rate limits) and converts samples to float64 on the [-1, 1) scale used by every reference
 * implementation (int16 / 32768, int24 / 2^23, int32 / 2^31, uint8 (x − 128) / 128, floats as stored).
 */
import { readFileSync } from 'node:fs';
import wavefile from 'wavefile';
import { earshotError } from '../errors.js';

export const MIN_SAMPLE_RATE_HZ = 8000;
export const MAX_SAMPLE_RATE_HZ = 48000;

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export interface WavAudio {
  sampleRate: number;
  /** One Float64Array per channel, all the same length. */
  channels: Float64Array[];
  /** e.g. "pcm16", "pcm24", "float32". */
  encoding: string;
}

interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  subformat?: number[];
}

/** Decode a WAV file held in memory. `name` is used in error messages. */
export function decodeWav(bytes: Uint8Array, name: string): WavAudio {
  if (bytes.length < 12) {
    throw earshotError('ERR_WAV_INVALID', `${name}: not a WAV file (only ${bytes.length} bytes)`);
  }
  const tag = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  const wave = String.fromCharCode(bytes[8], bytes[9], bytes[10], bytes[11]);
  if ((tag !== 'RIFF' && tag !== 'RIFX' && tag !== 'RF64') || wave !== 'WAVE') {
    throw earshotError('ERR_WAV_INVALID', `${name}: not a WAV file (expected a RIFF/WAVE header, got "${printable(tag)}")`);
  }
  let wav: InstanceType<typeof wavefile.WaveFile>;
  try {
    wav = new wavefile.WaveFile(bytes);
  } catch (e) {
    throw earshotError('ERR_WAV_INVALID', `${name}: corrupt WAV header (${(e as Error).message})`);
  }
  const fmt = wav.fmt as FmtChunk;
  let format = fmt.audioFormat;
  if (format === WAVE_FORMAT_EXTENSIBLE && fmt.subformat && fmt.subformat.length > 0) {
    // The first field of the sub-format GUID is the plain format code.
    format = fmt.subformat[0] & 0xffff;
  }
  const bits = fmt.bitsPerSample;
  let encoding: string;
  if (format === WAVE_FORMAT_PCM && [8, 16, 24, 32].includes(bits)) encoding = `pcm${bits}`;
  else if (format === WAVE_FORMAT_IEEE_FLOAT && (bits === 32 || bits === 64)) encoding = `float${bits}`;
  else {
    throw earshotError(
      'ERR_WAV_UNSUPPORTED',
      `${name}: unsupported WAV encoding (format code ${fmt.audioFormat}, ${bits} bits); expected PCM 8/16/24/32-bit or float 32/64`,
    );
  }
  const numChannels = fmt.numChannels;
  if (!Number.isInteger(numChannels) || numChannels < 1) {
    throw earshotError('ERR_WAV_INVALID', `${name}: corrupt WAV header (channel count ${numChannels})`);
  }
  const sampleRate = fmt.sampleRate;
  if (!(sampleRate >= MIN_SAMPLE_RATE_HZ && sampleRate <= MAX_SAMPLE_RATE_HZ)) {
    throw earshotError(
      'ERR_SAMPLE_RATE',
      `${name}: sample rate ${sampleRate} Hz is not supported; expected ${MIN_SAMPLE_RATE_HZ}..${MAX_SAMPLE_RATE_HZ} Hz`,
    );
  }
  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  const blockAlign = (bits / 8) * numChannels;
  if (data.samples.length < data.chunkSize) {
    throw earshotError(
      'ERR_WAV_INVALID',
      `${name}: truncated WAV (header declares ${data.chunkSize} bytes of audio, file holds ${data.samples.length})`,
    );
  }
  const frames = Math.floor(data.samples.length / blockAlign);
  if (frames === 0) {
    throw earshotError('ERR_WAV_INVALID', `${name}: WAV holds no audio (zero-length data chunk)`);
  }
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const rawChannels = numChannels === 1 ? [raw as Float64Array] : (raw as Float64Array[]);
  const scale = encoding.startsWith('pcm') ? 2 ** (bits - 1) : 1;
  const offset = bits === 8 && encoding === 'pcm8' ? 128 : 0;
  const channels = rawChannels.map((ch, c) => {
    const out = new Float64Array(frames);
    for (let i = 0; i < frames; i++) {
      const v = (ch[i] - offset) / scale;
      if (!Number.isFinite(v)) {
        throw earshotError(
          'ERR_NONFINITE',
          `${name}: sample ${i} of channel ${c} is ${ch[i]}; expected finite values`,
        );
      }
      out[i] = v;
    }
    return out;
  });
  return { sampleRate, channels, encoding };
}

/** Read and decode a WAV file from disk. */
export function readWav(path: string): WavAudio {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw earshotError('ERR_FILE_NOT_FOUND', `${path}: no such file`);
    if (code === 'EISDIR') throw earshotError('ERR_FILE_UNREADABLE', `${path}: is a directory, expected a WAV file`);
    throw earshotError('ERR_FILE_UNREADABLE', `${path}: cannot read (${code ?? (e as Error).message})`);
  }
  return decodeWav(bytes, path);
}

/** Pick one channel, with a clear error when it does not exist. */
export function selectChannel(audio: WavAudio, channel: number, name: string): Float64Array {
  if (!Number.isInteger(channel) || channel < 0 || channel >= audio.channels.length) {
    throw earshotError(
      'ERR_CHANNEL',
      `${name}: channel ${channel} does not exist; the file has ${audio.channels.length} channel(s) (0..${audio.channels.length - 1})`,
    );
  }
  return audio.channels[channel];
}

/** Encode float64 channels as a 16-bit PCM WAV (used for examples and tests). */
export function encodeWavPcm16(channels: Float64Array[], sampleRate: number): Uint8Array {
  const wav = new wavefile.WaveFile();
  const ints = channels.map((ch) => {
    const out = new Int16Array(ch.length);
    for (let i = 0; i < ch.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(ch[i] * 32768)));
    return out;
  });
  wav.fromScratch(channels.length, sampleRate, '16', ints);
  return wav.toBuffer();
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

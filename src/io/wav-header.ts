/**
 * RIFF/WAVE header parsing: walks the chunks of a WAV file and returns where its audio lies and how to
 * unpack it, with every check that must pass before a sample is read (container, `fmt ` fields, supported
 * encoding, channel count, sample rate, truncated or empty `data`). The bytes come through a
 * {@link ByteSource}, so the same walk serves a file held in memory and one read block by block.
 *
 * Containers: RIFF (little-endian), RIFX (big-endian, samples too) and RF64 (64-bit sizes in a `ds64`
 * chunk, EBU Tech 3306 §3). Chunks are padded to an even length (Microsoft RIFF spec, "Chunks").
 *
 * Errors (all `EarshotError`, message prefixed by the file name):
 * - `ERR_WAV_INVALID`: not a RIFF/WAVE file, corrupt header, no `fmt `/`data` chunk, truncated or empty audio;
 * - `ERR_WAV_UNSUPPORTED`: an encoding other than PCM 8/16/24/32-bit or IEEE float 32/64;
 * - `ERR_SAMPLE_RATE`: a rate outside {@link MIN_SAMPLE_RATE_HZ}..{@link MAX_SAMPLE_RATE_HZ}.
 */
import { earshotError } from '../errors.js';

/** Lowest sample rate we read, Hz. */
export const MIN_SAMPLE_RATE_HZ = 8000;
/** Highest sample rate we read, Hz. */
export const MAX_SAMPLE_RATE_HZ = 48000;

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Bytes of the RIFF header: "RIFF", size, "WAVE". */
const RIFF_HEADER_BYTES = 12;
/** Bytes of a chunk header: four-character id and 32-bit size. */
const CHUNK_HEADER_BYTES = 8;
/** Bytes of a plain WAVEFORMAT(EX) `fmt ` chunk body up to bitsPerSample. */
const FMT_MIN_BYTES = 16;
/** Bytes of a WAVEFORMATEXTENSIBLE `fmt ` chunk body, up to the end of the sub-format GUID. */
const FMT_EXTENSIBLE_BYTES = 40;
/** Byte offset of the sub-format GUID inside a WAVEFORMATEXTENSIBLE body. */
const FMT_SUBFORMAT_OFFSET = 24;
/** Bytes of the `ds64` fields we use: riffSize, dataSize, sampleCount (three 64-bit values). */
const DS64_MIN_BYTES = 24;
/** A 32-bit chunk size of all ones means "see ds64" in RF64. */
const RF64_SIZE_IN_DS64 = 0xffffffff;

/**
 * The last 12 bytes (Data2, Data3, Data4) of the sub-format GUIDs whose Data1 is a plain format code:
 * KSDATAFORMAT_SUBTYPE_* {xxxxxxxx-0000-0010-8000-00aa00389b71} (mmreg.h) and the Ambisonic B-format
 * subtypes {xxxxxxxx-0721-11d3-8644-c8c1ca000000}, which also hold plain PCM or float samples.
 */
const SUBFORMAT_TAILS = ['00000010800000aa00389b71', '072111d38644c8c1ca000000'];

export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64';

/** Where the audio of a WAV file lies and how to unpack it. */
export interface WavLayout {
  sampleRate: number;
  channelCount: number;
  encoding: WavEncoding;
  /** Bytes per sample of one channel. */
  bytesPerSample: number;
  /** Bytes per frame (one sample of every channel). */
  blockAlign: number;
  /** False for RIFX files, whose samples are big-endian too. */
  littleEndian: boolean;
  /** Byte offset of the first sample in the file. */
  dataOffset: number;
  /** Whole frames in the `data` chunk. */
  frames: number;
}

/** Random access to the bytes of a file, in memory or on disk. */
export interface ByteSource {
  /** Size of the whole file, bytes. */
  readonly size: number;
  /**
   * `length` bytes from `position`, fewer where the file ends. The view may be reused by the next
   * call, so read what you need from it first.
   */
  read(position: number, length: number): DataView;
}

/** A {@link ByteSource} over bytes already in memory (no copy). */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (position, length) => {
      const at = Math.min(position, bytes.length);
      return new DataView(bytes.buffer, bytes.byteOffset + at, Math.min(length, bytes.length - at));
    },
  };
}

interface FmtFields {
  audioFormat: number;
  /** The plain format code: audioFormat, or Data1 of the sub-format GUID for WAVE_FORMAT_EXTENSIBLE. */
  format: number;
  /** Sub-format GUID as text, for messages; '' unless WAVE_FORMAT_EXTENSIBLE. */
  subformat: string;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
}

/**
 * Walk the chunks of a WAV file and check everything about it that can be checked without reading
 * samples. `name` prefixes error messages. Throws the errors listed in the module comment.
 */
export function parseWavHeader(source: ByteSource, name: string): WavLayout {
  const size = source.size;
  if (size < RIFF_HEADER_BYTES) {
    throw earshotError('ERR_WAV_INVALID', `${name}: not a WAV file (only ${size} bytes)`);
  }
  const head = source.read(0, RIFF_HEADER_BYTES);
  const tag = fourcc(head, 0);
  const wave = fourcc(head, 8);
  if ((tag !== 'RIFF' && tag !== 'RIFX' && tag !== 'RF64') || wave !== 'WAVE') {
    throw earshotError('ERR_WAV_INVALID', `${name}: not a WAV file (expected a RIFF/WAVE header, got "${printable(tag)}")`);
  }
  const le = tag !== 'RIFX';
  const rf64 = tag === 'RF64';

  let fmt: FmtFields | undefined;
  let ds64DataBytes: number | undefined;
  let dataOffset = -1;
  let dataBytes = 0;
  // The RIFF size field is ignored, as most readers do: writers that stream often leave it wrong.
  let pos = RIFF_HEADER_BYTES;
  while (pos + CHUNK_HEADER_BYTES <= size && (fmt === undefined || dataOffset < 0)) {
    const h = source.read(pos, CHUNK_HEADER_BYTES);
    const id = fourcc(h, 0);
    let chunkBytes = h.getUint32(4, le);
    const body = pos + CHUNK_HEADER_BYTES;
    if (id === 'ds64' && rf64 && ds64DataBytes === undefined) {
      ds64DataBytes = readDs64DataBytes(source, body, chunkBytes, name);
    } else if (id === 'fmt ' && fmt === undefined) {
      fmt = readFmt(source, body, chunkBytes, le, name);
    } else if (id === 'data' && dataOffset < 0) {
      if (rf64 && chunkBytes === RF64_SIZE_IN_DS64 && ds64DataBytes !== undefined) chunkBytes = ds64DataBytes;
      dataOffset = body;
      dataBytes = chunkBytes;
    }
    // An odd-sized chunk is followed by one pad byte that its size does not count.
    pos = body + chunkBytes + (chunkBytes & 1);
  }
  if (rf64 && ds64DataBytes === undefined) {
    throw earshotError('ERR_WAV_INVALID', `${name}: corrupt WAV header (RF64 file without a "ds64" chunk)`);
  }
  if (fmt === undefined) throw earshotError('ERR_WAV_INVALID', `${name}: corrupt WAV header (no "fmt " chunk)`);
  if (dataOffset < 0) throw earshotError('ERR_WAV_INVALID', `${name}: corrupt WAV header (no "data" chunk)`);

  const bits = fmt.bitsPerSample;
  let encoding: WavEncoding;
  if (fmt.format === WAVE_FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32)) {
    encoding = `pcm${bits}`;
  } else if (fmt.format === WAVE_FORMAT_IEEE_FLOAT && (bits === 32 || bits === 64)) {
    encoding = `float${bits}`;
  } else {
    const sub = fmt.subformat === '' ? '' : `, sub-format ${fmt.subformat}`;
    throw earshotError(
      'ERR_WAV_UNSUPPORTED',
      `${name}: unsupported WAV encoding (format code ${fmt.audioFormat}${sub}, ${bits} bits); expected PCM 8/16/24/32-bit or float 32/64`,
    );
  }
  const channelCount = fmt.numChannels;
  if (channelCount < 1) {
    throw earshotError('ERR_WAV_INVALID', `${name}: corrupt WAV header (channel count ${channelCount})`);
  }
  const sampleRate = fmt.sampleRate;
  if (!(sampleRate >= MIN_SAMPLE_RATE_HZ && sampleRate <= MAX_SAMPLE_RATE_HZ)) {
    throw earshotError(
      'ERR_SAMPLE_RATE',
      `${name}: sample rate ${sampleRate} Hz is not supported; expected ${MIN_SAMPLE_RATE_HZ}..${MAX_SAMPLE_RATE_HZ} Hz`,
    );
  }
  const held = size - dataOffset;
  if (held < dataBytes) {
    throw earshotError(
      'ERR_WAV_INVALID',
      `${name}: truncated WAV (header declares ${dataBytes} bytes of audio, file holds ${held})`,
    );
  }
  const bytesPerSample = bits / 8;
  // Computed rather than taken from the header's blockAlign field, which some writers get wrong.
  const blockAlign = bytesPerSample * channelCount;
  const frames = Math.floor(dataBytes / blockAlign);
  if (frames === 0) {
    throw earshotError('ERR_WAV_INVALID', `${name}: WAV holds no audio (zero-length data chunk)`);
  }
  return { sampleRate, channelCount, encoding, bytesPerSample, blockAlign, littleEndian: le, dataOffset, frames };
}

function readFmt(source: ByteSource, body: number, chunkBytes: number, le: boolean, name: string): FmtFields {
  if (chunkBytes < FMT_MIN_BYTES) {
    throw earshotError('ERR_WAV_INVALID', `${name}: corrupt WAV header ("fmt " chunk of ${chunkBytes} bytes; expected at least ${FMT_MIN_BYTES})`);
  }
  const want = Math.min(chunkBytes, FMT_EXTENSIBLE_BYTES);
  const v = source.read(body, want);
  if (v.byteLength < want) {
    throw earshotError('ERR_WAV_INVALID', `${name}: corrupt WAV header ("fmt " chunk cut short: ${v.byteLength} of ${chunkBytes} bytes)`);
  }
  const audioFormat = v.getUint16(0, le);
  let format = audioFormat;
  let subformat = '';
  if (audioFormat === WAVE_FORMAT_EXTENSIBLE) {
    if (chunkBytes < FMT_EXTENSIBLE_BYTES) {
      throw earshotError(
        'ERR_WAV_INVALID',
        `${name}: corrupt WAV header (WAVE_FORMAT_EXTENSIBLE "fmt " chunk of ${chunkBytes} bytes; expected at least ${FMT_EXTENSIBLE_BYTES})`,
      );
    }
    subformat = guidText(v, FMT_SUBFORMAT_OFFSET, le);
    // Data1 of a known GUID family is the plain format code; any other GUID is a format we do not know.
    const tail = subformat.slice(9).replace(/-/g, '');
    format = SUBFORMAT_TAILS.includes(tail) ? v.getUint32(FMT_SUBFORMAT_OFFSET, le) : -1;
  }
  return {
    audioFormat,
    format,
    subformat,
    numChannels: v.getUint16(2, le),
    sampleRate: v.getUint32(4, le),
    bitsPerSample: v.getUint16(14, le),
  };
}

/** The 64-bit data size of a `ds64` chunk (EBU Tech 3306: riffSize, dataSize, sampleCount, each low word first). */
function readDs64DataBytes(source: ByteSource, body: number, chunkBytes: number, name: string): number {
  const v = source.read(body, DS64_MIN_BYTES);
  if (chunkBytes < DS64_MIN_BYTES || v.byteLength < DS64_MIN_BYTES) {
    throw earshotError('ERR_WAV_INVALID', `${name}: corrupt WAV header ("ds64" chunk of ${Math.min(chunkBytes, v.byteLength)} bytes; expected at least ${DS64_MIN_BYTES})`);
  }
  // RF64 is little-endian only. 2^32 · high + low is exact below 2^53 bytes (8 PiB).
  return v.getUint32(12, true) * 2 ** 32 + v.getUint32(8, true);
}

/** A GUID as text, e.g. 00000001-0000-0010-8000-00aa00389b71 (Data1..3 in the file's byte order). */
function guidText(v: DataView, at: number, le: boolean): string {
  const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
  let tail = '';
  for (let i = 8; i < 16; i++) tail += hex(v.getUint8(at + i), 2);
  return `${hex(v.getUint32(at, le), 8)}-${hex(v.getUint16(at + 4, le), 4)}-${hex(v.getUint16(at + 6, le), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

function fourcc(v: DataView, at: number): string {
  return String.fromCharCode(v.getUint8(at), v.getUint8(at + 1), v.getUint8(at + 2), v.getUint8(at + 3));
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/**
 * Hand-built WAV files for the reader tests, written byte by byte from the specs (Microsoft RIFF/WAVE,
 * mmreg.h WAVEFORMATEXTENSIBLE, EBU Tech 3306 RF64) without any code under test, so that layouts no
 * encoder library writes (LIST before data, odd chunks, fmt after data, RIFX, RF64) can be checked.
 */

export type Encoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64';
export const ENCODINGS: Encoding[] = ['pcm8', 'pcm16', 'pcm24', 'pcm32', 'float32', 'float64'];

export interface Chunk {
  id: string;
  body: Uint8Array;
  /** Size written in the chunk header when it must lie (default: body length). */
  sizeField?: number;
}

export interface WavSpec {
  encoding: Encoding;
  /** Raw stored values, [channel][frame]: integers as stored (uint8 for pcm8), floats as stored. */
  samples: number[][];
  rate?: number;
  container?: 'RIFF' | 'RIFX' | 'RF64';
  /** Write a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk. */
  extensible?: boolean;
  /** Sub-format GUID bytes 4..16 (after Data1) as a RIFF file stores them; default the KSDATAFORMAT tail. */
  subformatTail?: number[];
  /** Overrides of fmt fields. */
  formatCode?: number;
  bits?: number;
  channelField?: number;
  /** Extra chunks: before fmt, between fmt and data, after data. */
  before?: Chunk[];
  between?: Chunk[];
  after?: Chunk[];
  /** Put the fmt chunk after the data chunk. */
  fmtAfterData?: boolean;
  /** Size written in the data chunk header (default: its real size). */
  dataSizeField?: number;
}

const BITS: Record<Encoding, number> = { pcm8: 8, pcm16: 16, pcm24: 24, pcm32: 32, float32: 32, float64: 64 };
/** KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT after Data1: {xxxxxxxx-0000-0010-8000-00aa00389b71}, Data2/3 little-endian. */
export const KSDATAFORMAT_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

export function chunk(id: string, body: Uint8Array | number[], sizeField?: number): Chunk {
  return { id, body: body instanceof Uint8Array ? body : Uint8Array.from(body), sizeField };
}

/** A LIST/INFO chunk with one ISFT string of `text` (odd total lengths exercise the pad byte). */
export function listInfo(text: string): Chunk {
  const s = new TextEncoder().encode(text + '\0');
  const sub = new Uint8Array(8 + s.length + (s.length & 1));
  sub.set(ascii('ISFT'), 0);
  new DataView(sub.buffer).setUint32(4, s.length, true);
  sub.set(s, 8);
  return chunk('LIST', [...ascii('INFO'), ...sub]);
}

export function buildWav(spec: WavSpec): Uint8Array {
  const le = spec.container !== 'RIFX';
  const rf64 = spec.container === 'RF64';
  const channels = spec.samples.length;
  const bits = spec.bits ?? BITS[spec.encoding];
  const bytes = BITS[spec.encoding] / 8;
  const frames = channels === 0 ? 0 : spec.samples[0].length;
  const rate = spec.rate ?? 16000;

  const data = new Uint8Array(frames * channels * bytes);
  const dv = new DataView(data.buffer);
  for (let f = 0, p = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++, p += bytes) put(dv, p, spec.encoding, spec.samples[c][f], le);
  }

  const isFloat = spec.encoding.startsWith('float');
  const code = spec.formatCode ?? (spec.extensible ? 0xfffe : isFloat ? 3 : 1);
  const fmt = new Uint8Array(spec.extensible ? 40 : 16);
  const f = new DataView(fmt.buffer);
  const nch = spec.channelField ?? channels;
  f.setUint16(0, code, le);
  f.setUint16(2, nch, le);
  f.setUint32(4, rate, le);
  f.setUint32(8, rate * nch * bytes, le);
  f.setUint16(12, nch * bytes, le);
  f.setUint16(14, bits, le);
  if (spec.extensible) {
    f.setUint16(16, 22, le); // cbSize
    f.setUint16(18, bits, le); // wValidBitsPerSample
    f.setUint32(20, 0, le); // dwChannelMask
    f.setUint32(24, isFloat ? 3 : 1, le);
    const tail = [...(spec.subformatTail ?? KSDATAFORMAT_TAIL)];
    // Data2 and Data3 are 16-bit fields: in a RIFX file they are big-endian like every other field.
    if (!le) [tail[0], tail[1], tail[2], tail[3]] = [tail[1], tail[0], tail[3], tail[2]];
    fmt.set(tail, 28);
  }

  const fmtChunk = chunk('fmt ', fmt);
  const dataChunk = chunk('data', data, spec.dataSizeField ?? (rf64 ? 0xffffffff : undefined));
  const body: Chunk[] = [];
  if (rf64) body.push(chunk('ds64', ds64(data.length)));
  body.push(...(spec.before ?? []));
  if (!spec.fmtAfterData) body.push(fmtChunk);
  body.push(...(spec.between ?? []));
  body.push(dataChunk);
  if (spec.fmtAfterData) body.push(fmtChunk);
  body.push(...(spec.after ?? []));

  const parts = body.map((c) => chunkBytes(c, le));
  const total = 12 + parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  const o = new DataView(out.buffer);
  out.set(ascii(spec.container ?? 'RIFF'), 0);
  o.setUint32(4, rf64 ? 0xffffffff : total - 8, le);
  out.set(ascii('WAVE'), 8);
  let at = 12;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The [-1, 1) value of a raw stored sample, by the definitions the module docs give. */
export function scaled(encoding: Encoding, raw: number): number {
  switch (encoding) {
    case 'pcm8':
      return (raw - 128) / 128;
    case 'pcm16':
      return raw / 32768;
    case 'pcm24':
      return raw / 2 ** 23;
    case 'pcm32':
      return raw / 2 ** 31;
    default:
      return encoding === 'float32' ? Math.fround(raw) : raw;
  }
}

/** `n` raw values for `encoding`, the extremes of its range first, then seeded random ones. */
export function rawValues(encoding: Encoding, n: number, rnd: () => number): number[] {
  const bits = BITS[encoding];
  const [lo, hi] =
    encoding === 'pcm8' ? [0, 255] : encoding.startsWith('pcm') ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [-1, 1];
  // `+ 0` turns Math.round's -0 into the 0 an integer format stores.
  const int = (x: number) => (encoding.startsWith('pcm') ? Math.round(x) + 0 : x);
  const out = [lo, hi, int((lo + hi) / 2)];
  while (out.length < n) out.push(int(lo + rnd() * (hi - lo)));
  return out.slice(0, n);
}

function put(dv: DataView, p: number, encoding: Encoding, x: number, le: boolean): void {
  switch (encoding) {
    case 'pcm8':
      dv.setUint8(p, x);
      break;
    case 'pcm16':
      dv.setInt16(p, x, le);
      break;
    case 'pcm24': {
      const u = x & 0xffffff;
      const b = [u & 0xff, (u >> 8) & 0xff, (u >> 16) & 0xff];
      if (!le) b.reverse();
      for (let i = 0; i < 3; i++) dv.setUint8(p + i, b[i]);
      break;
    }
    case 'pcm32':
      dv.setInt32(p, x, le);
      break;
    case 'float32':
      dv.setFloat32(p, x, le);
      break;
    case 'float64':
      dv.setFloat64(p, x, le);
      break;
  }
}

function ds64(dataBytes: number): Uint8Array {
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  // riffSize, dataSize, sampleCount: 64-bit little-endian (low word first); riffSize is not checked.
  v.setBigUint64(8, BigInt(dataBytes), true);
  return b;
}

function chunkBytes(c: Chunk, le: boolean): Uint8Array {
  const n = c.body.length;
  const out = new Uint8Array(8 + n + (n & 1));
  out.set(ascii(c.id), 0);
  new DataView(out.buffer).setUint32(4, c.sizeField ?? n, le);
  out.set(c.body, 8);
  return out;
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

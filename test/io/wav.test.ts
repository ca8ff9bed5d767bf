import { describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { decodeWav, encodeWavPcm16, selectChannel } from '../../src/io/wav.js';
import { seededRandom } from '../helpers/corpus.js';
import { buildWav, chunk, type Encoding, ENCODINGS, listInfo, rawValues, scaled, type WavSpec } from './wav-bytes.js';

function wav(channels: number, rate: number, bitDepth: string, samples: number[][] | number[]): Uint8Array {
  const w = new wavefile.WaveFile();
  w.fromScratch(channels, rate, bitDepth, samples);
  return w.toBuffer();
}

/** decodeWav must throw `code` with a message naming the file and matching `message`. */
function expectRejected(bytes: Uint8Array, code: string, message: RegExp): void {
  let err: unknown;
  try {
    decodeWav(bytes, 'bad.wav');
  } catch (e) {
    err = e;
  }
  expect(err).toMatchObject({ code });
  expect((err as Error).message).toMatch(/^bad\.wav: /);
  expect((err as Error).message).toMatch(message);
}

describe('WAV input', () => {
  it.each([
    ['8', [0, 128, 255], [-1, 0, 127 / 128]],
    ['16', [-32768, 0, 16384], [-1, 0, 0.5]],
    ['24', [-8388608, 4194304, 8388607], [-1, 0.5, 8388607 / 8388608]],
    ['32', [-2147483648, 1073741824], [-1, 0.5]],
    ['32f', [-1, 0.25, 0.5], [-1, 0.25, 0.5]],
    ['64', [-0.125, 0.75], [-0.125, 0.75]],
  ])('decodes %s-bit samples to the [-1, 1) scale', (depth, raw, expected) => {
    const a = decodeWav(wav(1, 16000, depth, raw), 'x.wav');
    expect(Array.from(a.channels[0])).toEqual(expected);
  });

  it('de-interleaves channels and selects one with a clear error when out of range', () => {
    const a = decodeWav(wav(2, 8000, '16', [[1, 2, 3], [4, 5, 6]]), 'st.wav');
    expect(Array.from(selectChannel(a, 1, 'st.wav'))).toEqual([4, 5, 6].map((v) => v / 32768));
    expect(() => selectChannel(a, 2, 'st.wav')).toThrow('st.wav: channel 2 does not exist; the file has 2 channel(s) (0..1)');
  });

  it('round-trips 16-bit PCM exactly', () => {
    const x = Float64Array.from([0, 0.5, -0.25, -1]);
    expect(Array.from(decodeWav(encodeWavPcm16([x], 16000), 'r.wav').channels[0])).toEqual(Array.from(x));
  });

  const good = wav(1, 16000, '16', [1, 2, 3, 4]);
  it.each<[string, Uint8Array, string, RegExp]>([
    ['not a WAV', new TextEncoder().encode('hello, this is plainly not a RIFF file...'), 'ERR_WAV_INVALID', /not a WAV file/],
    ['a tiny file', new Uint8Array(5), 'ERR_WAV_INVALID', /not a WAV file \(only 5 bytes\)/],
    ['a header cut before the data chunk', good.subarray(0, 30), 'ERR_WAV_INVALID', /corrupt WAV header/],
    ['truncated audio data', good.subarray(0, good.length - 3), 'ERR_WAV_INVALID', /truncated WAV/],
    ['zero-length data', wav(1, 16000, '16', []), 'ERR_WAV_INVALID', /no audio/],
    ['NaN in a float WAV', wav(1, 16000, '32f', [0.1, NaN]), 'ERR_NONFINITE', /sample 1 of channel 0 is NaN/],
    ['Inf in a float WAV', wav(1, 16000, '64', [Infinity, 0]), 'ERR_NONFINITE', /sample 0 of channel 0 is Infinity/],
    ['an unsupported rate', wav(1, 96000, '16', [1, 2]), 'ERR_SAMPLE_RATE', /96000 Hz is not supported; expected 8000\.\.48000 Hz/],
    ['an unsupported encoding (µ-law)', wav(1, 8000, '8m', [0, 100]), 'ERR_WAV_UNSUPPORTED', /unsupported WAV encoding \(format code 7/],
  ])('rejects %s with a clear, coded error', (_name, bytes, code, message) => expectRejected(bytes, code, message));
});

describe('WAV input: every encoding, container and chunk layout', () => {
  const rnd = seededRandom(20240601);
  const raw = (e: Encoding, channels: number, frames: number) =>
    Array.from({ length: channels }, () => rawValues(e, frames, rnd));
  const decoded = (bytes: Uint8Array) => decodeWav(bytes, 'x.wav').channels.map((c) => Array.from(c));
  const expected = (e: Encoding, samples: number[][]) => samples.map((ch) => ch.map((x) => scaled(e, x)));

  it.each(ENCODINGS)('decodes %s stereo as wavefile unpacks it, scaled as documented', (e) => {
    const samples = raw(e, 2, 257);
    const bytes = buildWav({ encoding: e, samples });
    // wavefile is an independent unpacker; its raw values scaled by the documented factors must match.
    const ref = new wavefile.WaveFile(bytes).getSamples(false, Float64Array) as unknown as Float64Array[];
    expect(decoded(bytes)).toEqual(ref.map((ch) => Array.from(ch, (x) => scaled(e, x))));
    expect(decoded(bytes)).toEqual(expected(e, samples));
  });

  it.each(ENCODINGS)('decodes %s the same from bytes at any alignment (typed-array and DataView paths)', (e) => {
    const bytes = buildWav({ encoding: e, samples: raw(e, 2, 65) });
    const want = decoded(bytes);
    for (const shift of [1, 2, 3, 4, 5, 6, 7]) {
      const moved = new Uint8Array(bytes.length + shift);
      moved.set(bytes, shift);
      expect(decoded(moved.subarray(shift))).toEqual(want);
    }
  });

  const layouts: [string, Partial<WavSpec>][] = [
    ['a LIST chunk before data', { between: [listInfo('Earshot')] }],
    ['an odd-sized chunk (with its pad byte) before fmt and before data', { before: [chunk('junk', [1, 2, 3])], between: [chunk('odd ', [9])] }],
    ['fmt after data', { fmtAfterData: true, after: [listInfo('x')] }],
    ['chunks after data', { after: [chunk('cue ', new Uint8Array(28)), chunk('odd ', [1, 2, 3, 4, 5])] }],
    ['WAVE_FORMAT_EXTENSIBLE', { extensible: true }],
    ['RIFX (big-endian)', { container: 'RIFX' }],
    ['RIFX extensible', { container: 'RIFX', extensible: true }],
    ['RF64 with sizes in ds64', { container: 'RF64' }],
    ['an Ambisonic B-format sub-format GUID', { extensible: true, subformatTail: [0x21, 0x07, 0xd3, 0x11, 0x86, 0x44, 0xc8, 0xc1, 0xca, 0x00, 0x00, 0x00] }],
  ];
  for (const [name, spec] of layouts) {
    it.each(ENCODINGS)(`reads ${name}: %s`, (e) => {
      const samples = raw(e, 3, 33); // 3 channels × 33 frames: odd data sizes for pcm8 and pcm24
      expect(decoded(buildWav({ encoding: e, samples, ...spec }))).toEqual(expected(e, samples));
    });
  }

  it('does not take the pad byte after an odd-sized 8-bit data chunk for a sample', () => {
    const bytes = buildWav({ encoding: 'pcm8', samples: [[0, 64, 255]] });
    expect(bytes.length).toBe(44 + 4); // the pad byte is in the file
    expect(decoded(bytes)).toEqual([[-1, -0.5, 127 / 128]]);
  });

  it('reports the first non-finite sample in channel order', () => {
    const bytes = buildWav({ encoding: 'float32', samples: [[0, 0, 0, Infinity], [0, NaN, 0, 0]] });
    expect(() => decodeWav(bytes, 'n.wav')).toThrow('n.wav: sample 3 of channel 0 is Infinity; expected finite values');
  });

  const pcm16 = (spec: Partial<WavSpec> = {}) => buildWav({ encoding: 'pcm16', samples: [[1, 2, 3, 4]], ...spec });
  it.each<[string, Uint8Array, string, RegExp]>([
    ['an unknown sub-format GUID', pcm16({ extensible: true, subformatTail: new Array(12).fill(7) }), 'ERR_WAV_UNSUPPORTED', /format code 65534, sub-format 00000001-0707-0707-0707-070707070707, 16 bits/],
    ['PCM at 12 bits', pcm16({ bits: 12 }), 'ERR_WAV_UNSUPPORTED', /format code 1, 12 bits\); expected PCM 8\/16\/24\/32-bit or float 32\/64/],
    ['float at 16 bits', pcm16({ formatCode: 3 }), 'ERR_WAV_UNSUPPORTED', /format code 3, 16 bits/],
    ['no data chunk', pcm16().subarray(0, 36), 'ERR_WAV_INVALID', /corrupt WAV header \(no "data" chunk\)/],
    ['no fmt chunk', buildWav({ encoding: 'pcm16', samples: [[1]], fmtAfterData: true, dataSizeField: 1000 }), 'ERR_WAV_INVALID', /corrupt WAV header \(no "fmt " chunk\)/],
    ['a fmt chunk of 14 bytes', pcm16({ before: [chunk('fmt ', new Uint8Array(14))] }), 'ERR_WAV_INVALID', /"fmt " chunk of 14 bytes; expected at least 16/],
    ['an extensible fmt chunk of 18 bytes', pcm16({ formatCode: 0xfffe, before: [chunk('fmt ', [0xfe, 0xff, 1, 0, 0x80, 0x3e, 0, 0, 0, 0, 0, 0, 2, 0, 16, 0, 0, 0])] }), 'ERR_WAV_INVALID', /WAVE_FORMAT_EXTENSIBLE "fmt " chunk of 18 bytes; expected at least 40/],
    ['zero channels', pcm16({ channelField: 0 }), 'ERR_WAV_INVALID', /corrupt WAV header \(channel count 0\)/],
    ['RF64 without ds64', (() => { const b = pcm16(); b.set([0x52, 0x46, 0x36, 0x34], 0); return b; })(), 'ERR_WAV_INVALID', /RF64 file without a "ds64" chunk/],
    ['a data size that overruns the file', pcm16({ dataSizeField: 0xffffffff }), 'ERR_WAV_INVALID', /truncated WAV \(header declares 4294967295 bytes of audio, file holds 8\)/],
    ['a data chunk shorter than one frame', buildWav({ encoding: 'pcm16', samples: [[1], [2]], dataSizeField: 3 }), 'ERR_WAV_INVALID', /WAV holds no audio/],
  ])('rejects %s with a clear, coded error', (_name, bytes, code, message) => expectRejected(bytes, code, message));
});

describe('WAV output', () => {
  it('writes the same bytes as wavefile for 16-bit PCM, rounding and clipping alike', () => {
    const a = Float64Array.from([0, 0.5, -0.25, -1, 1, 2, -3, 1 / 65536, -1 / 65536, 3 / 65536, NaN]);
    const b = a.map((x) => x / 3);
    for (const channels of [[a], [a, b]]) {
      const w = new wavefile.WaveFile();
      const ints = channels.map((ch) => Int16Array.from(ch, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768)))));
      w.fromScratch(channels.length, 22050, '16', ints);
      expect(Array.from(encodeWavPcm16(channels, 22050))).toEqual(Array.from(w.toBuffer()));
    }
  });

  it('rejects no channels and channels of unequal length', () => {
    expect(() => encodeWavPcm16([], 16000)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => encodeWavPcm16([new Float64Array(3), new Float64Array(2)], 16000)).toThrow(
      'encodeWavPcm16: expected channels of equal length, got 3 samples in channel 0 and 2 in channel 1',
    );
  });
});

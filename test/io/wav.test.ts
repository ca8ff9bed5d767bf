import { describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { decodeWav, encodeWavPcm16, selectChannel } from '../../src/io/wav.js';

function wav(channels: number, rate: number, bitDepth: string, samples: number[][] | number[]): Uint8Array {
  const w = new wavefile.WaveFile();
  w.fromScratch(channels, rate, bitDepth, samples);
  return w.toBuffer();
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
  ])('rejects %s with a clear, coded error', (_name, bytes, code, message) => {
    let err: unknown;
    try {
      decodeWav(bytes, 'bad.wav');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(/^bad\.wav: /);
    expect((err as Error).message).toMatch(message);
  });
});

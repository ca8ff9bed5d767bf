import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWav, readWav, type WavReader } from '../../src/io/wav.js';
import { chunkBoundaries, seededRandom } from '../helpers/corpus.js';
import { buildWav, chunk, type Encoding, ENCODINGS, listInfo, rawValues, type WavSpec } from './wav-bytes.js';

const tmp = mkdtempSync(join(tmpdir(), 'earshot-wav-reader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let files = 0;
function file(bytes: Uint8Array): string {
  const path = join(tmp, `f${files++}.wav`);
  writeFileSync(path, bytes);
  return path;
}

/** Read the whole file through `r` in reads of the given sizes; each read must return all it may. */
function readAll(r: WavReader, cuts: number[]): Float64Array[] {
  const out = Array.from({ length: r.channelCount }, () => new Float64Array(r.length));
  const block = Array.from({ length: r.channelCount }, () => new Float64Array(Math.max(...cuts.slice(1).map((c, i) => c - cuts[i]), 1)));
  for (let i = 0; i + 1 < cuts.length; i++) {
    const want = cuts[i + 1] - cuts[i];
    // A plain check, not expect(): thousands of reads per test would make expect() the bottleneck.
    const got = r.read(block, want);
    if (got !== want || r.position !== cuts[i + 1]) throw new Error(`read ${i}: got ${got} frames, expected ${want}`);
    for (let c = 0; c < out.length; c++) out[c].set(block[c].subarray(0, want), cuts[i]);
  }
  expect(r.read(block, 1)).toBe(0); // at the end
  return out;
}

/** Bit-for-bit equality, telling -0 from 0 and comparing NaN payloads. */
function expectBitIdentical(a: Float64Array[], b: Float64Array[]): void {
  expect(a.length).toBe(b.length);
  for (let c = 0; c < a.length; c++) {
    expect(Buffer.from(a[c].buffer, a[c].byteOffset, a[c].byteLength).equals(Buffer.from(b[c].buffer, b[c].byteOffset, b[c].byteLength))).toBe(true);
  }
}

describe('openWav: block reads equal readWav', () => {
  const rnd = seededRandom(97);
  const layouts: [string, Partial<WavSpec>][] = [
    ['plain', {}],
    ['LIST before data, odd chunk before fmt', { before: [chunk('odd ', [1, 2, 3])], between: [listInfo('Earshot')] }],
    ['extensible, fmt after data', { extensible: true, fmtAfterData: true }],
    ['RIFX', { container: 'RIFX' }],
    ['RF64', { container: 'RF64' }],
  ];
  // Read sizes: 1, 128 and a prime, then seeded random sizes; block sizes from one frame to 64 KiB.
  const chunkings: (number | { seed: number; max: number })[] = [1, 128, 997, { seed: 11, max: 3000 }];
  const blockBytes = [1, 100, 4096, undefined];
  const FRAMES = 1009; // prime: no block or read size divides it
  for (const [name, spec] of layouts) {
    it.each(ENCODINGS)(`${name}: %s, 1 and 3 channels, every read and block size`, (e: Encoding) => {
      for (const channels of [1, 3]) {
        const samples = Array.from({ length: channels }, () => rawValues(e, FRAMES, rnd));
        const path = file(buildWav({ encoding: e, samples, ...spec }));
        const whole = readWav(path);
        for (const bytes of blockBytes) {
          for (const chunking of chunkings) {
            const r = openWav(path, { blockBytes: bytes });
            expect([r.sampleRate, r.channelCount, r.length, r.encoding]).toEqual([16000, channels, FRAMES, e]);
            expectBitIdentical(readAll(r, chunkBoundaries(r.length, chunking)), whole.channels);
            r.close();
          }
        }
      }
    });
  }

  it('readChannel decodes one channel only, equal to that channel of readWav', () => {
    const samples = Array.from({ length: 3 }, () => rawValues('pcm24', 1000, rnd));
    const path = file(buildWav({ encoding: 'pcm24', samples }));
    const whole = readWav(path).channels;
    const r = openWav(path, { blockBytes: 300 });
    for (let c = 0; c < 3; c++) {
      r.rewind();
      const out = new Float64Array(1000);
      let n = 0;
      for (let k; (k = r.readChannel(c, out.subarray(n), Math.min(137, 1000 - n))) > 0; ) n += k;
      expect(n).toBe(1000);
      expectBitIdentical([out], [whole[c]]);
    }
    expect(() => r.readChannel(3, new Float64Array(1))).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL', message: `${path}: channel 3 does not exist; the file has 3 channel(s) (0..2)` }));
    r.close();
  });

  it('seek and rewind move within and across blocks', () => {
    const samples = [rawValues('float32', 5000, rnd)];
    const path = file(buildWav({ encoding: 'float32', samples }));
    const whole = readWav(path).channels[0];
    const r = openWav(path, { blockBytes: 1024 });
    const out = [new Float64Array(300)];
    for (const at of [4000, 10, 4999, 5000, 0, 257]) {
      r.seek(at);
      const n = r.read(out);
      expect(n).toBe(Math.min(300, 5000 - at));
      expectBitIdentical([out[0].subarray(0, n)], [whole.subarray(at, at + n)]);
    }
    r.rewind();
    expect(r.position).toBe(0);
    expect(() => r.seek(5001)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => r.seek(1.5)).toThrow(/seek expected a frame in 0\.\.5000, got 1\.5/);
    r.close();
  });

  it('writes only the frames it returns (canary cells stay untouched)', () => {
    const path = file(buildWav({ encoding: 'pcm16', samples: [rawValues('pcm16', 50, rnd), rawValues('pcm16', 50, rnd)] }));
    const r = openWav(path, { blockBytes: 64 });
    const out = [new Float64Array(80).fill(7), new Float64Array(80).fill(7)];
    expect(r.read(out, 30)).toBe(30);
    expect(r.read(out, 0)).toBe(0);
    for (const ch of out) expect(Array.from(ch.subarray(30))).toEqual(new Array(50).fill(7));
    const first = out.map((ch) => Array.from(ch.subarray(20, 30)));
    expect(r.read(out)).toBe(20); // maxFrames defaults to out[0].length; only 20 frames are left
    for (const [c, ch] of out.entries()) {
      expect(Array.from(ch.subarray(20, 30))).toEqual(first[c]);
      expect(Array.from(ch.subarray(30))).toEqual(new Array(50).fill(7));
    }
    r.close();
  });

  it('holds one block in memory, however long the file', () => {
    // A 256 MiB data chunk, sparse on disk: opening and reading a little of it must not load it.
    const header = buildWav({ encoding: 'pcm16', samples: [[]], dataSizeField: 2 ** 28 });
    const path = file(header);
    truncateSync(path, header.length + 2 ** 28);
    const before = process.memoryUsage().arrayBuffers;
    const r = openWav(path);
    const out = [new Float64Array(4096)];
    for (let i = 0; i < 100; i++) expect(r.read(out)).toBe(4096);
    // 64 KiB block + 32 KiB output; 4 MiB leaves room for unrelated allocations.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 2 ** 20);
    expect(r.length).toBe(2 ** 27);
    r.close();
  });
});

describe('openWav: errors', () => {
  const good = buildWav({ encoding: 'pcm16', samples: [[1, 2, 3, 4]] });
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return { code: (e as { code?: string }).code, message: (e as Error).message };
    }
    return undefined;
  };
  it.each<[string, () => string]>([
    ['a missing file', () => join(tmp, 'nope.wav')],
    ['a directory', () => tmp],
    ['not a WAV', () => file(new TextEncoder().encode('hello, this is plainly not a RIFF file...'))],
    ['a tiny file', () => file(new Uint8Array(5))],
    ['a header cut before the data chunk', () => file(good.subarray(0, 30))],
    ['truncated audio data', () => file(good.subarray(0, good.length - 3))],
    ['zero-length data', () => file(buildWav({ encoding: 'pcm16', samples: [[]] }))],
    ['an unsupported rate', () => file(buildWav({ encoding: 'pcm16', samples: [[1]], rate: 96000 }))],
    ['an unsupported encoding', () => file(buildWav({ encoding: 'pcm16', samples: [[1]], formatCode: 7, bits: 8 }))],
    ['an RF64 file whose data overruns it', () => file(buildWav({ encoding: 'pcm16', samples: [[1]], container: 'RF64', between: [], dataSizeField: 0xfffffffe }))],
  ])('rejects %s at open with the same code and message as readWav', (_name, make) => {
    const path = make();
    const fromRead = codeOf(() => readWav(path));
    expect(fromRead?.code).toMatch(/^ERR_/);
    expect(codeOf(() => openWav(path))).toEqual(fromRead);
  });

  it('reports a non-finite sample when a read reaches it, as readWav does', () => {
    const path = file(buildWav({ encoding: 'float64', samples: [[0.1, 0.2, 0.3, NaN, 0.5]] }));
    const r = openWav(path, { blockBytes: 16 });
    const out = [new Float64Array(2)];
    expect(r.read(out)).toBe(2);
    expect(() => r.read(out)).toThrow(codeOf(() => readWav(path))!.message);
    expect(codeOf(() => r.read(out))?.code).toBe('ERR_NONFINITE');
    r.close();
  });

  it('says so when the file shrinks after it was opened', () => {
    const path = file(buildWav({ encoding: 'pcm16', samples: [new Array(1000).fill(5)] }));
    const r = openWav(path, { blockBytes: 256 });
    const out = [new Float64Array(1000)];
    expect(r.read(out, 100)).toBe(100);
    truncateSync(path, 44 + 600);
    expect(() => r.read(out)).toThrow(expect.objectContaining({ code: 'ERR_WAV_INVALID' }));
    expect(() => r.read(out)).toThrow(/truncated WAV \(the file shrank since it was opened: audio ends after 600 of 2000 bytes\)/);
    r.close();
  });

  it('rejects wrong arguments and use after close', () => {
    const path = file(buildWav({ encoding: 'pcm16', samples: [[1, 2], [3, 4]] }));
    const r = openWav(path);
    expect(() => r.read([new Float64Array(2)])).toThrow(`${path}: read expected 2 output array(s), one per channel, got 1`);
    expect(() => r.read([new Float64Array(2), new Float64Array(1)], 2)).toThrow(/output array 1 holds 1 frames; expected at least maxFrames = 2/);
    expect(() => r.read([new Float64Array(2), new Float64Array(2)], -1)).toThrow(/maxFrames must be a non-negative integer, got -1/);
    expect(() => openWav(path, { blockBytes: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    r.close();
    r.close(); // twice is fine
    expect(() => r.read([new Float64Array(2), new Float64Array(2)])).toThrow(`${path}: the WAV reader is closed`);
  });
});

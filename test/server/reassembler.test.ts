import { describe, expect, it } from 'vitest';
import { MAX_MISSING_SEQS, MAX_PENDING_CHUNKS, Reassembler, type ReassemblyEvent } from '../../src/server/reassembler.js';
import { seededRandom } from '../helpers/corpus.js';

const FS = 1000;

function harness(streamCount: number, o: { reorderWindowSec?: number; maxSkewSec?: number; maxJumpSec?: number } = {}) {
  const out: Float64Array[][] = Array.from({ length: streamCount }, () => []);
  const events: ReassemblyEvent[] = [];
  const t0s: number[] = [];
  let next = 0;
  const r = new Reassembler({
    streamCount,
    sampleRate: FS,
    ...o,
    onBlock: (t0, channels) => {
      // Blocks must be continuous and equally long across streams.
      expect(t0).toBe(next);
      for (const c of channels) expect(c.length).toBe(channels[0].length);
      next += channels[0].length;
      t0s.push(t0);
      channels.forEach((c, k) => out[k].push(c));
    },
    onEvent: (e) => events.push(e),
  });
  const joined = (k: number) => {
    const parts = out[k];
    const x = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let o2 = 0;
    for (const p of parts) {
      x.set(p, o2);
      o2 += p.length;
    }
    return x;
  };
  return { r, events, joined, t0s, kinds: () => events.map((e) => e.event) };
}

const ramp = (n: number, offset: number) => Float64Array.from({ length: n }, (_, i) => (offset + i) / 1e6);

describe('Reassembler', () => {
  it('interleaved in-order frames come out aligned and unchanged', () => {
    const h = harness(3);
    const n = 5000;
    const signals = [ramp(n, 0), ramp(n, 1e5), ramp(n, 2e5)];
    for (let t0 = 0, seq = 0; t0 < n; t0 += 160, seq++) {
      for (let k = 0; k < 3; k++) h.r.accept(k, seq, t0, signals[k].subarray(t0, Math.min(n, t0 + 160)));
    }
    h.r.finish();
    expect(h.events).toEqual([]);
    for (let k = 0; k < 3; k++) expect(h.joined(k)).toEqual(signals[k]);
  });

  it('streams sent with random frame sizes and random skew within the bound are reproduced exactly', () => {
    for (const seed of [1, 2, 3]) {
      const rnd = seededRandom(seed);
      const h = harness(2, { maxSkewSec: 2 });
      const n = 20_000;
      const signals = [ramp(n, 0), ramp(n, 5e5)];
      const pos = [0, 0];
      const seq = [0, 0];
      while (pos[0] < n || pos[1] < n) {
        // Pick the stream that is behind more often, but let either run ahead by up to ~1 s.
        const k = pos[0] >= n ? 1 : pos[1] >= n ? 0 : pos[0] - pos[1] > 900 ? 1 : pos[1] - pos[0] > 900 ? 0 : rnd() < 0.5 ? 0 : 1;
        const len = Math.min(n - pos[k], 1 + Math.floor(rnd() * 400));
        const status = h.r.accept(k, seq[k]++, pos[k], signals[k].subarray(pos[k], pos[k] + len));
        expect(status.ok).toBe(true);
        pos[k] += len;
      }
      h.r.finish();
      expect(h.events).toEqual([]);
      expect(h.joined(0)).toEqual(signals[0]);
      expect(h.joined(1)).toEqual(signals[1]);
    }
  });

  it('a reordered frame within the window is placed where it belongs (gap, then reordered)', () => {
    const h = harness(1);
    const x = ramp(400, 0);
    h.r.accept(0, 0, 0, x.subarray(0, 100));
    h.r.accept(0, 2, 200, x.subarray(200, 300));
    h.r.accept(0, 1, 100, x.subarray(100, 200));
    h.r.accept(0, 3, 300, x.subarray(300, 400));
    h.r.finish();
    expect(h.kinds()).toEqual(['gap', 'reordered']);
    expect(h.events[0]).toMatchObject({ frames: 1, expectedSeq: 1, seq: 2, position: 200 });
    expect(h.joined(0)).toEqual(x);
  });

  it('a lost frame is reported as a gap, zero-filled once the window passes, and a later arrival is late', () => {
    const h = harness(1, { reorderWindowSec: 0.2 });
    const x = ramp(1000, 1);
    h.r.accept(0, 0, 0, x.subarray(0, 100));
    for (let s = 2; s < 6; s++) h.r.accept(0, s, s * 100, x.subarray(s * 100, s * 100 + 100));
    // By now the stream has data 400 samples (> 200 = the window) past the hole at 100.
    expect(h.kinds()).toEqual(['gap', 'dropout']);
    expect(h.events[1]).toMatchObject({ position: 100, samples: 100 });
    h.r.accept(0, 1, 100, x.subarray(100, 200));
    expect(h.kinds()).toEqual(['gap', 'dropout', 'reordered', 'late']);
    h.r.finish();
    const y = h.joined(0);
    expect(y.length).toBe(600);
    expect([...y.subarray(100, 200)].every((v) => v === 0)).toBe(true);
    expect(y.subarray(200, 600)).toEqual(x.subarray(200, 600));
  });

  it('duplicates and overlapping frames are dropped and reported', () => {
    const h = harness(1);
    const x = ramp(300, 0);
    h.r.accept(0, 0, 0, x.subarray(0, 100));
    h.r.accept(0, 0, 0, x.subarray(0, 100));
    h.r.accept(0, 1, 100, x.subarray(100, 200));
    h.r.accept(0, 2, 50, new Float64Array(100).fill(9));
    h.r.finish();
    // seq 0 again is a duplicate; [50, 150) lies before the emitted position (200), so it is late.
    expect(h.kinds()).toEqual(['duplicate', 'late']);
    expect(h.joined(0)).toEqual(x.subarray(0, 200));
  });

  it('overlap with data still buffered is reported as overlap', () => {
    const h = harness(2);
    const x = ramp(300, 0);
    h.r.accept(0, 0, 0, x.subarray(0, 200));
    h.r.accept(0, 1, 100, x.subarray(100, 300));
    expect(h.kinds()).toEqual(['overlap']);
  });

  it('buffering is bounded: a stream lagging past maxSkew is zero-filled (overflow)', () => {
    const h = harness(2, { maxSkewSec: 0.5 });
    const x = ramp(3000, 0);
    let maxBuffered = 0;
    for (let s = 0; s < 30; s++) {
      h.r.accept(0, s, s * 100, x.subarray(s * 100, s * 100 + 100));
      maxBuffered = Math.max(maxBuffered, h.r.bufferedSamples);
    }
    expect(maxBuffered).toBeLessThanOrEqual(500 + 100);
    expect(h.kinds().every((k) => k === 'overflow')).toBe(true);
    const filled = h.events.reduce((n, e) => n + (e.samples ?? 0), 0);
    expect(filled).toBe(3000 - 500);
    expect(h.r.emittedSamples).toBe(2500);
    // The lagging stream's data for an emitted range comes too late.
    h.r.accept(1, 0, 0, x.subarray(0, 100));
    expect(h.kinds().at(-1)).toBe('late');
  });

  it('refuses a t0 that jumps beyond maxJump, accepts a smaller jump as a dropout', () => {
    const h = harness(1, { maxJumpSec: 1, reorderWindowSec: 0.1 });
    h.r.accept(0, 0, 0, ramp(100, 0));
    expect(h.r.accept(0, 1, 100 + 1001, ramp(100, 0)).ok).toBe(false);
    expect(h.r.accept(0, 2, 100 + 999, ramp(200, 0)).ok).toBe(true);
    // The refused frame closes the connection in the server; here the next one fills a 999-sample hole.
    expect(h.kinds()).toEqual(['dropout']);
    expect(h.events[0]).toMatchObject({ position: 100, samples: 999 });
  });

  it('starts at the first frame t0 and trims streams longer than the shortest at finish', () => {
    const h = harness(2);
    h.r.accept(0, 0, 5000, ramp(300, 0));
    h.r.accept(1, 0, 5000, ramp(250, 0));
    h.r.finish();
    expect(h.t0s[0]).toBe(0);
    expect(h.joined(0).length).toBe(250);
    expect(h.events).toEqual([{ event: 'trimmed', stream: 0, position: 250, samples: 50 }]);
  });

  it('finish zero-fills holes that never got their frame', () => {
    const h = harness(1, { reorderWindowSec: 10 });
    h.r.accept(0, 0, 0, ramp(100, 1));
    h.r.accept(0, 2, 200, ramp(100, 1));
    h.r.finish();
    expect(h.kinds()).toEqual(['gap', 'dropout']);
    expect(h.joined(0).length).toBe(300);
  });

  it('empty frames and frames after finish are harmless', () => {
    const h = harness(1);
    expect(h.r.accept(0, 0, 0, new Float64Array(0)).ok).toBe(true);
    h.r.finish();
    expect(h.r.accept(0, 1, 0, ramp(10, 0)).ok).toBe(false);
  });

  it('sequence jumps of any size are one missing range: a late frame inside the window is reordered, older ones are duplicates', () => {
    const h = harness(1);
    h.r.accept(0, 0, 0, new Float64Array(0));
    h.r.accept(0, 1_000_000_000, 0, new Float64Array(0));
    h.r.accept(0, 1_000_000_000 - 5, 0, new Float64Array(0));
    h.r.accept(0, 1_000_000_000 - 5, 0, new Float64Array(0));
    h.r.accept(0, 1_000_000_000 - MAX_MISSING_SEQS - 1, 0, new Float64Array(0));
    expect(h.kinds()).toEqual(['gap', 'reordered', 'duplicate', 'duplicate']);
    expect(h.events[0]).toMatchObject({ frames: 1_000_000_000 - 1, expectedSeq: 1 });
  });

  it('at most MAX_PENDING_CHUNKS frames wait beyond holes: one more zero-fills the oldest hole at once', () => {
    const h = harness(1, { reorderWindowSec: 10 });
    h.r.accept(0, 0, 0, ramp(1, 0));
    // Frames at 2, 4, 6, …: a one-sample hole before each.
    for (let k = 1; k <= MAX_PENDING_CHUNKS + 1; k++) h.r.accept(0, k, 2 * k, ramp(1, 2 * k));
    const dropouts = h.events.filter((e) => e.event === 'dropout');
    expect(dropouts).toHaveLength(1);
    expect(dropouts[0]).toMatchObject({ position: 1, samples: 1 });
    expect(h.r.emittedSamples).toBe(3);
  });

  it('cost() counts the own samples of a frame plus the zero-fill it causes, before it is accepted', () => {
    const h = harness(2, { maxSkewSec: 1, maxJumpSec: 10 });
    expect(h.r.cost(0, 0, 100)).toBe(100);
    h.r.accept(0, 0, 0, ramp(100, 0));
    h.r.accept(1, 0, 0, ramp(100, 0));
    // A 5 s jump on stream 0: its own hole (4900) and stream 1 filled to 1 s behind (4000 + 100 - 100).
    expect(h.r.cost(0, 5000, 100)).toBe(100 + 4900 + 4100 - 100);
    h.r.accept(0, 1, 5000, ramp(100, 0));
    const filled = h.events.reduce((n, e) => n + (e.samples ?? 0), 0);
    expect(filled).toBe(4900 + 4000);
    expect(h.r.cost(1, 0, 100)).toBe(0); // entirely late
  });
});

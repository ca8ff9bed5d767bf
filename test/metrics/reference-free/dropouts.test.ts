import { describe, expect, it } from 'vitest';
import { type DropoutEvent, DropoutAccumulator, MAX_EVENT_TIMES } from '../../../src/metrics/reference-free/dropouts.js';
import { caseAudio, corpusAvailable, goldenCase, goldenCases } from '../../helpers/corpus.js';
import { RF_CHUNKINGS, addWhiteNoise, feedDeg, speechLike } from './helpers.js';

function detect(fs: number, deg: Float64Array, noisy?: Float64Array, chunk?: number) {
  const events: DropoutEvent[] = [];
  const acc = new DropoutAccumulator({ sampleRate: fs, withNoisy: !!noisy, onEvent: (e) => events.push({ ...e }) });
  const r = feedDeg(acc, deg, noisy, chunk);
  return { ...r, events };
}

/** Positions inside the longest syllables (at least 60 ms from either edge), one per syllable. */
function insideSpeech(syllables: [number, number][], fs: number, count: number): number[] {
  return syllables
    .filter(([a, b]) => b - a > 0.2 * fs)
    .slice(0, count)
    .map(([a, b]) => Math.round((a + b) / 2) - Math.round(0.01 * fs));
}

describe('digital-silence dropouts', () => {
  for (const fs of [8000, 16000, 48000]) {
    for (const noiseDb of [null, -50]) {
      it(`are found at the zeroed spans inside speech (${fs} Hz, noise ${noiseDb ?? 'none'})`, () => {
        const sp = speechLike(fs, 12, 40);
        const x = noiseDb === null ? sp.signal.slice() : addWhiteNoise(sp.signal, noiseDb, 41).mix;
        const starts = insideSpeech(sp.syllables, fs, 6);
        expect(starts.length).toBe(6);
        const lengths = [0.02, 0.01, 0.04, 0.006, 0.02, 0.1].map((s) => Math.round(s * fs));
        starts.forEach((s, k) => x.fill(0, s, s + lengths[k]));
        const r = detect(fs, x);
        expect(r.dropouts.value).toBe(6);
        // Times are the first zeroed sample (exact: the samples around a cut are not 0).
        expect(r.dropoutTimes).toEqual(starts.map((s) => s / fs));
        expect(r.events.map((e) => e.duration)).toEqual(lengths.map((l) => l / fs));
      });
    }
  }

  it('ignores gaps shorter than 5 ms, at the start, at the end, and far from speech', () => {
    const fs = 16000;
    const sp = speechLike(fs, 12, 42);
    const { mix } = addWhiteNoise(sp.signal, -50, 43);
    const [inside] = insideSpeech(sp.syllables, fs, 1);
    mix.fill(0, inside, inside + 60); // 3.75 ms
    mix.fill(0, 0, 800); // leading
    mix.fill(0, mix.length - 1600); // trailing, never ends
    // A 20 ms gap in the middle of the longest pause, more than 200 ms from any syllable.
    const gaps = sp.syllables.slice(1).map(([a], k): [number, number] => [sp.syllables[k][1], a]);
    const [pa, pb] = gaps.reduce((m, g) => (g[1] - g[0] > m[1] - m[0] ? g : m));
    expect(pb - pa).toBeGreaterThan(0.5 * fs);
    const mid = Math.round((pa + pb) / 2);
    mix.fill(0, mid, mid + 320);
    expect(detect(fs, mix).dropouts.value).toBe(0);
  });

  it('does not count speech fading into digital silence (the corpus voices pause that way)', () => {
    const sp = speechLike(16000, 12, 44);
    expect(detect(16000, sp.signal).dropouts.value).toBe(0);
  });

  it('judges activity on noisy when given: a gap in deg while the input speaks', () => {
    const fs = 16000;
    const sp = speechLike(fs, 8, 45);
    const { mix: noisy } = addWhiteNoise(sp.signal, -50, 46);
    const deg = noisy.slice();
    const [s] = insideSpeech(sp.syllables, fs, 1);
    deg.fill(0, s, s + 0.3 * fs); // 300 ms gone: longer than the hangover
    expect(detect(fs, deg, noisy).dropoutTimes).toEqual([s / fs]);
  });

  describe.runIf(corpusAvailable)('on the corpus', () => {
    it('finds every lost packet of p22 that fell inside speech, and nothing else', () => {
      const c = goldenCase('p22_packetloss5_cmn');
      const ref = caseAudio(c, 'ref');
      const { events } = detect(c.fs, caseAudio(c, 'deg'));
      const chunk = c.condition.chunk_samples as number;
      const lost = (c.condition.lost_chunks as number[]).map((k) => [k * chunk, (k + 1) * chunk]);
      const spans = events.map((e) => [Math.round(e.time * c.fs), Math.round((e.time + e.duration!) * c.fs)]);
      // Each detected gap contains a lost packet (it may also take in digital silence of the voice next to it).
      for (const [a, b] of spans) expect(lost.some(([s, e]) => s >= a && e <= b)).toBe(true);
      // Every lost packet between the first and the last sound of the voice is inside a detected gap:
      // 12 of the 15 (3 fall in the leading or trailing pause), two of them (86, 117) on digital
      // silence of the voice itself, which the gap then includes; 117 and 118 make one gap.
      const first = ref.findIndex((v) => v !== 0);
      const last = ref.length - 1 - [...ref].reverse().findIndex((v) => v !== 0);
      const inside = lost.filter(([s, e]) => s > first && e < last);
      expect(inside.length).toBe(12);
      for (const [s, e] of inside) expect(spans.some(([a, b]) => a <= s && b >= e)).toBe(true);
      expect(events.length).toBe(11);
    });

    it('finds no dropout or repeat in the cases without packet loss', () => {
      for (const c of goldenCases()) {
        if (!c.files.deg || c.condition.type === 'packet_loss') continue;
        const r = detect(c.fs, caseAudio(c, 'deg'));
        if (r.dropouts.value === null) continue; // the all-zero deg
        expect(r.dropouts.value, c.name).toBe(0);
        expect(r.repeatedFrames.value, c.name).toBe(0);
      }
    });
  });
});

describe('repeated frames', () => {
  for (const fs of [8000, 16000, 44100, 48000]) {
    it(`are found where a frame replays an earlier one (${fs} Hz)`, () => {
      const sp = speechLike(fs, 12, 50);
      const { mix } = addWhiteNoise(sp.signal, -55, 51);
      const [a, b, c, d] = insideSpeech(sp.syllables, fs, 4);
      const f20 = Math.round(0.02 * fs);
      const f10 = Math.round(0.01 * fs);
      mix.copyWithin(a, a - f20, a); // the previous 20 ms frame again
      mix.copyWithin(b, b - f10, b); // the previous 10 ms frame again
      mix.copyWithin(c, c - 2 * f20, c - f20); // the frame before the previous one (lag 40 ms)
      mix.copyWithin(d, d - 3 * f20, d); // 60 ms replayed
      const r = detect(fs, mix);
      expect(r.repeatedFrames.value).toBe(4);
      expect(r.repeatedFrameTimes).toEqual([a / fs, b / fs, c / fs, d / fs]);
    });
  }

  it('ignores repeated digital silence and stretches shorter than 10 ms', () => {
    const fs = 16000;
    const sp = speechLike(fs, 8, 52);
    const { mix } = addWhiteNoise(sp.signal, -55, 53);
    const [a] = insideSpeech(sp.syllables, fs, 1);
    mix.copyWithin(a, a - 320, a - 320 + 140); // 8.75 ms of the frame 20 ms back
    mix.fill(0, 100, 2000); // 120 ms of zeros repeat themselves at every lag
    expect(detect(fs, mix).repeatedFrames.value).toBe(0);
  });

  it('reports a digitally periodic tone with a 10 ms period as one long repeat (documented limitation)', () => {
    const tone = Float64Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * i) / 160)) / 32768);
    expect(detect(16000, tone).repeatedFrames.value).toBe(1);
  });
});

describe('DropoutAccumulator', () => {
  const fs = 16000;
  const sp = speechLike(fs, 10, 60);
  const { mix } = addWhiteNoise(sp.signal, -50, 61);
  const starts = insideSpeech(sp.syllables, fs, 4);
  mix.fill(0, starts[0], starts[0] + 320);
  mix.copyWithin(starts[1], starts[1] - 320, starts[1]);
  mix.fill(0, starts[2], starts[2] + 100);
  mix.copyWithin(starts[3], starts[3] - 160, starts[3]);

  it.each(RF_CHUNKINGS)('gives identical results and events for chunking %o', (chunk) => {
    const one = detect(fs, mix);
    expect(one.dropouts.value).toBe(2);
    expect(one.repeatedFrames.value).toBe(2);
    expect(detect(fs, mix, undefined, chunk as number)).toEqual(one);
  });

  it('keeps at most MAX_EVENT_TIMES times while counting on', () => {
    // Noise bursts (60 ms at −20 dBFS, 40 ms at −60 dBFS: every burst triggers the VAD) with two
    // 10 ms gaps in each burst: 1200 gaps in 60 s.
    const n = 60 * fs;
    const x = addWhiteNoise(new Float64Array(n), -20, 62).mix;
    for (let s = 0; s < n; s += 1600) {
      for (let i = s + 960; i < Math.min(n, s + 1600); i++) x[i] *= 0.01;
      x.fill(0, s + 160, s + 320);
      x.fill(0, s + 640, s + 800);
    }
    const r = detect(fs, x);
    expect(r.dropouts.value).toBeGreaterThan(MAX_EVENT_TIMES);
    expect(r.dropoutTimes.length).toBe(MAX_EVENT_TIMES);
  });

  it('returns null with a reason for silence, short signals and bad rates', () => {
    const silent = detect(fs, new Float64Array(8000));
    expect(silent.dropouts.reason).toMatch(/silence/);
    expect(silent.repeatedFrames.reason).toMatch(/silence/);
    expect(silent.dropoutTimes).toEqual([]);
    expect(detect(fs, mix.subarray(0, 200)).repeatedFrames.reason).toMatch(/shorter/);
    expect(detect(100000, mix).dropouts.reason).toMatch(/sample rate/);
  });
});

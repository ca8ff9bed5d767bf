/**
 * Alignment cost on a 60 s corpus pair (issue 11): the full-range coarse-to-fine search alone, the
 * former ±1 s GCC-PHAT search, the fractional-delay compensation, and `analyze()` of every metric
 * with `--align off` / `integer` / `auto`, as a share of the whole (the budget: the full-range search
 * makes analyze at most 5 % slower than the former `--align auto`, i.e. off + the former search).
 *
 *   npm run build && node dist/bench/alignment.js        # this section alone
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyze } from '../src/analysis/analyze.js';
import { estimateAlignment } from '../src/analysis/align.js';
import { estimateDelay } from '../src/dsp/gcc-phat.js';
import { arraySource } from '../src/io/sources.js';
import { trackedSource } from '../src/io/track-source.js';
import { readWav } from '../src/io/wav.js';
import { table, time } from './harness.js';

export async function benchAlignment(corpus: string): Promise<Record<string, unknown> | null> {
  const name = 'p41_long60s_specsub_white10db';
  if (!existsSync(join(corpus, `${name}.ref.wav`))) {
    console.log(`corpus not found at ${corpus}: skipping the alignment benchmark`);
    return null;
  }
  const ref = readWav(join(corpus, `${name}.ref.wav`)).channels[0];
  const deg0 = readWav(join(corpus, `${name}.deg.wav`)).channels[0];
  const fs = 16000;
  // deg 1.3 s late (whole samples: the pair stays the corpus's, only shifted).
  const shift = Math.round(1.3 * fs);
  const deg = new Float64Array(deg0.length + shift);
  deg.set(deg0, shift);
  const duration = ref.length / fs;
  const rows: (string | number)[][] = [['alignment (60 s, 16 kHz, deg 1.3 s late)', 'ms', 'share of analyze (off)']];
  const json: Record<string, number> = {};
  const once = (align: 'off' | 'integer' | 'auto') => () => void analyze({ sampleRate: fs, refs: [ref], degs: [align === 'off' ? deg0 : deg] }, { align });
  // Interleaved rounds (the machine is shared: its load moves between runs), median of each.
  const modes = ['off', 'integer', 'auto'] as const;
  const runs: Record<(typeof modes)[number], number[]> = { off: [], integer: [], auto: [] };
  for (const m of modes) once(m)(); // warm-up
  // CPU time of this (single-threaded) process: less disturbed by the other work on a shared machine.
  for (let r = 0; r < 7; r++) {
    for (const m of modes) {
      const c0 = process.cpuUsage();
      once(m)();
      const c = process.cpuUsage(c0);
      runs[m].push((c.user + c.system) / 1000);
    }
  }
  // The fastest run of each: on a loaded machine the least disturbed one.
  const med = (xs: number[]) => Math.min(...xs);
  const off = med(runs.off);
  const add = (label: string, ms: number) => {
    rows.push([label, ms, ms / off]);
    json[label] = ms;
  };
  add('full-range search (estimateAlignment)', time(() => estimateAlignment({ sampleRate: fs, ref: arraySource(ref), deg: arraySource(deg), refLength: ref.length, degLength: deg.length, mode: 'auto' }), { warmup: 1, runs: 5 }).medianMs);
  add('former ±1 s search (8 frames, GCC-PHAT)', time(() => estimateDelay(ref, deg0, fs), { warmup: 1, runs: 5 }).medianMs);
  const out = new Float64Array(4096);
  const readAll = (track: Parameters<typeof trackedSource>[1]) => () => {
    const src = trackedSource(arraySource(ref), track);
    for (let n = src.read(out, out.length); n > 0; n = src.read(out, out.length));
  };
  add('compensation: whole-sample delay', time(readAll({ segments: [{ start: 0, intercept: shift, slope: 0 }], degStart: shift, length: ref.length - 1 }), { warmup: 1, runs: 3 }).medianMs);
  add('compensation: fractional delay + 50 ppm drift', time(readAll({ segments: [{ start: 0, intercept: shift + 0.37, slope: 50e-6 }], degStart: shift + 1, length: ref.length - 100 }), { warmup: 1, runs: 3 }).medianMs);
  add('analyze() everything, --align off', off);
  add('analyze() everything, --align integer', med(runs.integer));
  const auto = med(runs.auto);
  add('analyze() everything, --align auto', auto);
  console.log(`\nAlignment cost, ${duration} s pair (analyze: least CPU time of 7 interleaved runs after warm-up; the rest: median wall time)\n`);
  console.log(table(rows));
  // The former --align auto was --align off plus the former search (its compensation: offsets, as now).
  const former = json['former ±1 s search (8 frames, GCC-PHAT)'];
  const overFormer = (auto - (off + former)) / (off + former);
  console.log(
    `\n--align auto: ${(100 * (auto / off - 1)).toFixed(1)} % over --align off; ${(100 * overFormer).toFixed(1)} % over the former --align auto (off + the former search; budget: 5 %).`,
  );
  json.autoOverOff = auto / off;
  json.autoOverFormerAuto = 1 + overFormer;
  return json;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchAlignment(resolve(process.env.EARSHOT_CORPUS ?? '../shared/corpus'));

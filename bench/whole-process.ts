/**
 * Whole-process timing: what a user waits for. `node bin/earshot.js analyze REF DEG --json` spawned
 * (start-up, module loading, reading the WAVs, every metric, printing), the median of several runs,
 * on the two 60 s corpus pairs and on a 1 s pair cut from one of them (start-up cost). Where python3
 * with pystoi is importable (pystoi.ts), pystoi's STOI + ESTOI on the same files in the same run,
 * also as whole processes, and the ratio ours / pystoi. Ours computes all metrics, pystoi two: the
 * ratio is what a user of either pays for a file, not a like-for-like STOI comparison (the in-process
 * STOI rows of run.ts are that).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeWavPcm16, readWav } from '../src/io/wav.js';
import { table, timeProcess } from './harness.js';
import { findPystoi, timePystoi, type PystoiTiming } from './pystoi.js';

/** The 60 s corpus pairs (16 kHz). */
export const LONG_CASES = ['p40_long60s_pink5db', 'p41_long60s_specsub_white10db'];
/** Length of the start-up pair, s. */
const SHORT_SEC = 1;
const RUNS_LONG = 5;
const RUNS_SHORT = 7;

const EARSHOT = resolve('bin/earshot.js');

export interface WholeProcessRow {
  name: string;
  audioSec: number;
  earshotMs: number;
  earshotMinMs: number;
  rtf: number;
  stoi: number;
  estoi: number;
  pystoi: PystoiTiming | null;
  /** earshotMs / pystoi.processMs. */
  ratio: number | null;
}

export async function benchWholeProcess(corpus: string): Promise<{ rows: WholeProcessRow[]; nodeStartMs: number; pystoi: string } | null> {
  const pairs = LONG_CASES.map((c) => ({ name: c, ref: join(corpus, `${c}.ref.wav`), deg: join(corpus, `${c}.deg.wav`) }));
  let ref0;
  try {
    ref0 = readWav(pairs[0].ref);
  } catch {
    console.log(`\n(whole-process timing skipped: no ${pairs[0].ref}; set EARSHOT_CORPUS)`);
    return null;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'earshot-bench-'));
  try {
    // The start-up pair: the first second of p40.
    const n = SHORT_SEC * ref0.sampleRate;
    const short = { name: `${pairs[0].name}, first ${SHORT_SEC} s`, ref: join(tmp, 'short.ref.wav'), deg: join(tmp, 'short.deg.wav') };
    writeFileSync(short.ref, encodeWavPcm16([ref0.channels[0].subarray(0, n)], ref0.sampleRate));
    writeFileSync(short.deg, encodeWavPcm16([readWav(pairs[0].deg).channels[0].subarray(0, n)], ref0.sampleRate));

    const py = findPystoi();
    const nodeStart = timeProcess(process.execPath, ['-e', ''], { runs: RUNS_SHORT });
    const rows: WholeProcessRow[] = [];
    // Every metric (all cores, the default), every metric on one thread, and STOI + ESTOI alone.
    const variants: [string, string[]][] = [
      ['', []],
      [' (--threads 1)', ['--threads', '1']],
      [' (--metrics stoi,estoi)', ['--metrics', 'stoi,estoi']],
    ];
    for (const p of [short, ...pairs]) {
      const audioSec = readWav(p.ref).channels[0].length / ref0.sampleRate;
      const runs = audioSec > 10 ? RUNS_LONG : RUNS_SHORT;
      const pt = py.found ? timePystoi(py, p.ref, p.deg, { runs }) : null;
      for (const [label, extra] of variants) {
        const t = timeProcess(process.execPath, [EARSHOT, 'analyze', p.ref, p.deg, '--json', ...extra], { runs });
        const j = JSON.parse(t.last.stdout) as { stoi: number; estoi: number };
        rows.push({
          name: `${p.name}${label}`,
          audioSec,
          earshotMs: t.medianMs,
          earshotMinMs: t.minMs,
          rtf: t.medianMs / 1000 / audioSec,
          stoi: j.stoi,
          estoi: j.estoi,
          pystoi: pt,
          ratio: pt ? t.medianMs / pt.processMs : null,
        });
      }
    }

    const head = ['whole process, median', 'audio s', 'earshot analyze --json ms', 'RTF'];
    const out: (string | number)[][] = [py.found ? [...head, 'pystoi process ms', 'of which STOI+ESTOI ms', 'ours / pystoi', '|ΔSTOI|', '|ΔESTOI|'] : head];
    for (const r of rows) {
      const base = [r.name, r.audioSec, r.earshotMs, r.rtf];
      out.push(r.pystoi ? [...base, r.pystoi.processMs, r.pystoi.stoiMs + r.pystoi.estoiMs, r.ratio!, Math.abs(r.stoi - r.pystoi.stoi), Math.abs(r.estoi - r.pystoi.estoi)] : base);
    }
    console.log(`\nWhole process: node bin/earshot.js analyze REF DEG --json, spawned (all metrics; median of ${RUNS_LONG} runs for 60 s, ${RUNS_SHORT} for ${SHORT_SEC} s, after one warm-up)\n`);
    console.log(table(out));
    console.log(`bare \`node -e ''\` start-up: ${nodeStart.medianMs.toFixed(1)} ms (median of ${RUNS_SHORT})`);
    let pystoiNote: string;
    if (py.found) {
      const p0 = rows[0].pystoi!;
      pystoiNote = `pystoi from ${py.module}; WAVs read with ${p0.reader}; python start-up + imports ≈ ${p0.importMs.toFixed(0)} ms of each pystoi process`;
      console.log(`${pystoiNote}.`);
      console.log('ours / pystoi: whole earshot analyze (every metric) over a whole python3 process computing STOI and ESTOI only.');
    } else {
      pystoiNote = `pystoi not found: ${py.reason}`;
      console.log(`${pystoiNote}; absolute figures only.`);
    }
    return { rows, nodeStartMs: nodeStart.medianMs, pystoi: pystoiNote };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

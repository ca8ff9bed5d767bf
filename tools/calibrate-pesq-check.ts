/**
 * Checks the committed PESQ-like calibration (src/metrics/pesq/calibration.ts) against P.862 values:
 * on the calibration set ../shared/pesq-train (labels.json) and on the test corpus ../shared/corpus
 * (golden.json's pesq_nb / pesq_wb; two-speaker cases count each est_k vs ref_k pair, as
 * test/metrics/pesq.test.ts does). It only measures: nothing is fitted here, and the corpus must never
 * feed back into the fit (tools/calibrate-pesq.ts reads the calibration set only).
 *
 *   npx tsx tools/calibrate-pesq-check.ts [--set DIR] [--corpus DIR] [--unfitted] [--worst N]
 *
 * `--unfitted` scores with UNFITTED_PARAMS instead (the model before the calibration).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav } from '../src/io/wav.js';
import { PESQ_CALIBRATION } from '../src/metrics/pesq/calibration.js';
import { type PesqMode, preparePesq, scorePrepared } from '../src/metrics/pesq/index.js';
import { type PesqModelParams, UNFITTED_PARAMS } from '../src/metrics/pesq/params.js';
import { type Agreement, agreement } from './calibrate-pesq.js';

interface Row {
  id: string;
  mode: PesqMode;
  condition: string;
  gold: number;
  ours: number;
  raw: number;
}

const MODES: readonly PesqMode[] = ['nb', 'wb'];

function parse(argv: string[]): { set: string; corpus: string; unfitted: boolean; worst: number } {
  const a = { set: '../shared/pesq-train', corpus: '../shared/corpus', unfitted: false, worst: 6 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--set') a.set = argv[++i];
    else if (k === '--corpus') a.corpus = argv[++i];
    else if (k === '--unfitted') a.unfitted = true;
    else if (k === '--worst') a.worst = Number(argv[++i]);
    else throw new Error(`unknown argument ${k}; expected --set DIR, --corpus DIR, --unfitted or --worst N`);
  }
  return a;
}

const wav = (path: string): { fs: number; x: Float64Array } => {
  const d = decodeWav(readFileSync(path), path);
  return { fs: d.sampleRate, x: d.channels[0] };
};

function score(ref: Float64Array, deg: Float64Array, fs: number, mode: PesqMode, params: (m: PesqMode) => PesqModelParams): { value: number; raw: number } | string {
  const p = preparePesq(ref, deg, fs, mode);
  if ('reason' in p) return p.reason;
  const r = scorePrepared(p, params(mode));
  return r.value === null ? (r.reason ?? 'null') : { value: r.value, raw: r.raw! };
}

function trainRows(dir: string, params: (m: PesqMode) => PesqModelParams): Row[] {
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as {
    pairs: { id: string; fs: number; ref: string; deg: string; condition: string; pesq_nb: number | null; pesq_wb: number | null }[];
  };
  const rows: Row[] = [];
  for (const p of labels.pairs) {
    const ref = wav(join(dir, p.ref)).x;
    const deg = wav(join(dir, p.deg)).x;
    for (const mode of MODES) {
      const gold = mode === 'nb' ? p.pesq_nb : p.pesq_wb;
      if (gold === null || gold === undefined) continue;
      const s = score(ref, deg, p.fs, mode, params);
      if (typeof s === 'string') throw new Error(`${p.id} ${mode}: ${s}`);
      rows.push({ id: p.id, mode, condition: p.condition, gold, ours: s.value, raw: s.raw });
    }
  }
  return rows;
}

function corpusRows(dir: string, params: (m: PesqMode) => PesqModelParams): Row[] {
  const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as {
    cases: Record<string, { fs: number; files: Record<string, string>; condition: { type: string }; metrics: Record<string, { value: number | number[] | null }> }>;
  };
  const rows: Row[] = [];
  for (const [name, c] of Object.entries(golden.cases)) {
    for (const mode of MODES) {
      const g = c.metrics[`pesq_${mode}`];
      if (!g || g.value === null || g.value === undefined) continue;
      const pairs: [string, string, number][] = Array.isArray(g.value) ? g.value.map((v, k): [string, string, number] => [`ref${k}`, `est${k}`, v]) : [['ref', 'deg', g.value]];
      for (const [r, d, v] of pairs) {
        const s = score(wav(join(dir, c.files[r])).x, wav(join(dir, c.files[d])).x, c.fs, mode, params);
        if (typeof s === 'string') throw new Error(`${name} ${mode}: ${s}`);
        rows.push({ id: Array.isArray(g.value) ? `${name}[${r.slice(3)}]` : name, mode, condition: c.condition.type, gold: v, ours: s.value, raw: s.raw });
      }
    }
  }
  return rows;
}

function report(title: string, rows: Row[], worst: number): void {
  console.log(`\n${title}`);
  console.log('| mode | n | RMSE | Pearson | Spearman | bias |\n|---|---|---|---|---|---|');
  for (const mode of MODES) {
    const r = rows.filter((x) => x.mode === mode);
    if (r.length === 0) continue;
    const a: Agreement = agreement(
      r.map((x) => x.ours),
      r.map((x) => x.gold),
    );
    console.log(`| ${mode} | ${a.n} | ${a.rmse.toFixed(4)} | ${a.pearson.toFixed(4)} | ${a.spearman.toFixed(4)} | ${a.bias >= 0 ? '+' : ''}${a.bias.toFixed(4)} |`);
  }
  for (const mode of MODES) {
    const r = rows.filter((x) => x.mode === mode).sort((a, b) => Math.abs(b.ours - b.gold) - Math.abs(a.ours - a.gold));
    if (r.length === 0) continue;
    console.log(`worst ${mode}: ${r.slice(0, worst).map((x) => `${x.id} (${x.condition}) ${x.gold.toFixed(2)} → ${x.ours.toFixed(2)}`).join('; ')}`);
  }
}

function main(): void {
  const a = parse(process.argv.slice(2));
  const params = (m: PesqMode): PesqModelParams => (a.unfitted ? UNFITTED_PARAMS : PESQ_CALIBRATION[m]);
  console.log(a.unfitted ? 'parameters: UNFITTED_PARAMS' : 'parameters: committed calibration (calibration.ts)');
  if (existsSync(join(a.set, 'labels.json'))) report(`calibration set ${a.set} (in-sample for the committed fit)`, trainRows(a.set, params), a.worst);
  if (existsSync(join(a.corpus, 'golden.json'))) report(`test corpus ${a.corpus}`, corpusRows(a.corpus, params), a.worst);
}

main();

/**
 * Fits the free parameters of the PESQ-like model (src/metrics/pesq/params.ts) to the ITU-T P.862
 * values of the calibration set ../shared/pesq-train (labels.json: python-pesq on 220 pairs), and
 * writes them to src/metrics/pesq/calibration.ts.
 *
 *   npm run calibrate:pesq [-- --set DIR] [--folds K] [--dry-run] [--seed N]
 *   (= npx tsx tools/calibrate-pesq.ts …; about 20–40 min on a loaded 2-core machine)
 *
 * - Only the calibration set is read. ../shared/corpus is a test set: check the result there with
 *   `npm run calibrate:pesq:check` (tools/calibrate-pesq-check.ts), never fit on it.
 * - The front end (alignment, spectra, band powers) has no free parameter and runs once per pair and
 *   mode; a trial reruns only the back end. Parameters acting on every time-frequency cell (hearing
 *   threshold, loudness exponent) are searched in an outer Nelder–Mead; for each of their trials the
 *   cell stage runs once and the frame-level parameters (silence weight, W_f scales) are fitted in
 *   an inner Nelder–Mead over the cached frame terms.
 * - Loss: mean squared error of MOS-LQO against P.862, per mode, summed over nb and wb.
 * - Cross-validation: K folds by clean reference (no reference in both train and validation),
 *   stratified by sample rate; the report gives the train, cross-validated (each pair predicted by the
 *   fit without its reference) RMSE/Pearson/Spearman/bias per mode and each parameter per fold.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeWav } from '../src/io/wav.js';
import { type FrameTerms, frameTerms } from '../src/metrics/pesq/disturbance.js';
import { type PesqMode, type PesqPrepared, preparePesq, scoreTerms } from '../src/metrics/pesq/index.js';
import {
  PARAMETER_SPECS,
  type ParameterSpec,
  type PesqCalibration,
  type PesqModelParams,
  UNFITTED_PARAMS,
} from '../src/metrics/pesq/params.js';

const MODES: readonly PesqMode[] = ['nb', 'wb'];

interface Args {
  set: string;
  folds: number;
  dryRun: boolean;
  seed: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { set: '../shared/pesq-train', folds: 5, dryRun: false, seed: 1, out: 'src/metrics/pesq/calibration.ts' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--set') a.set = argv[++i];
    else if (k === '--folds') a.folds = Number(argv[++i]);
    else if (k === '--seed') a.seed = Number(argv[++i]);
    else if (k === '--out') a.out = argv[++i];
    else if (k === '--dry-run') a.dryRun = true;
    else throw new Error(`unknown argument ${k}; expected --set DIR, --folds K, --seed N, --out FILE or --dry-run`);
  }
  if (!(Number.isInteger(a.folds) && a.folds >= 2)) throw new Error(`--folds: expected an integer ≥ 2, got ${a.folds}`);
  return a;
}

// ---------------------------------------------------------------------------------------------
// The set

interface Label {
  id: string;
  fs: number;
  ref: string;
  deg: string;
  condition: string;
  pesq_nb: number | null;
  pesq_wb: number | null;
}

/** One (pair, mode) with its P.862 value and its front end. */
export interface Item {
  id: string;
  ref: string;
  condition: string;
  mode: PesqMode;
  gold: number;
  prepared: PesqPrepared;
}

export function loadItems(dir: string): { items: Item[]; meta: Record<string, unknown> } {
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as { meta: Record<string, unknown>; pairs: Label[] };
  const audio = new Map<string, Float64Array>();
  const read = (f: string): Float64Array => {
    let x = audio.get(f);
    if (!x) {
      x = decodeWav(readFileSync(join(dir, f)), f).channels[0];
      audio.set(f, x);
    }
    return x;
  };
  const items: Item[] = [];
  for (const p of labels.pairs) {
    const ref = read(p.ref);
    const deg = read(p.deg);
    audio.delete(p.deg);
    for (const mode of MODES) {
      const gold = mode === 'nb' ? p.pesq_nb : p.pesq_wb;
      if (gold === null || gold === undefined) continue;
      const prepared = preparePesq(ref, deg, p.fs, mode);
      if ('reason' in prepared) throw new Error(`${p.id} ${mode}: ${prepared.reason}`);
      items.push({ id: p.id, ref: p.ref, condition: p.condition, mode, gold, prepared });
    }
  }
  return { items, meta: labels.meta };
}

// ---------------------------------------------------------------------------------------------
// Parameter vectors: the specs, shared ones once, per-mode ones once per mode; coordinates in [0, 1].

interface Slot {
  spec: ParameterSpec;
  mode: PesqMode | null;
}

export const SLOTS: Slot[] = PARAMETER_SPECS.flatMap((spec): Slot[] => (spec.perMode ? MODES.map((mode) => ({ spec, mode })) : [{ spec, mode: null }]));
const CELL_SLOTS = SLOTS.map((s, i) => i).filter((i) => SLOTS[i].spec.level === 'cell');
const FRAME_SLOTS = SLOTS.map((s, i) => i).filter((i) => SLOTS[i].spec.level === 'frame');

function toValue(spec: ParameterSpec, u: number): number {
  const t = Math.min(1, Math.max(0, u));
  return spec.log ? spec.min * Math.pow(spec.max / spec.min, t) : spec.min + t * (spec.max - spec.min);
}

function toCoord(spec: ParameterSpec, v: number): number {
  return spec.log ? Math.log(v / spec.min) / Math.log(spec.max / spec.min) : (v - spec.min) / (spec.max - spec.min);
}

export function paramsOf(u: Float64Array): Record<PesqMode, PesqModelParams> {
  const out = { nb: { ...UNFITTED_PARAMS }, wb: { ...UNFITTED_PARAMS } };
  SLOTS.forEach((s, i) => {
    const v = toValue(s.spec, u[i]);
    for (const mode of MODES) if (s.mode === null || s.mode === mode) out[mode][s.spec.name] = v;
  });
  return out;
}

export function unfittedCoords(): Float64Array {
  return Float64Array.from(SLOTS, (s) => toCoord(s.spec, UNFITTED_PARAMS[s.spec.name]));
}

// ---------------------------------------------------------------------------------------------
// Nelder–Mead (Lagarias et al. 1998 coefficients) on the unit cube; coordinates are clamped by toValue.

function nelderMead(f: (x: Float64Array) => number, x0: Float64Array, step: number, maxEvals: number, tol: number): { x: Float64Array; f: number; evals: number } {
  const n = x0.length;
  const pts: Float64Array[] = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const p = x0.slice();
    p[i] += p[i] + step > 1 ? -step : step;
    pts.push(p);
  }
  const clamp = (p: Float64Array): Float64Array => p.map((v) => Math.min(1, Math.max(0, v)));
  const vals = pts.map((p) => f(p));
  let evals = n + 1;
  while (evals < maxEvals) {
    const order = vals.map((v, i) => i).sort((a, b) => vals[a] - vals[b]);
    const sp = order.map((i) => pts[i]);
    const sv = order.map((i) => vals[i]);
    pts.splice(0, pts.length, ...sp);
    vals.splice(0, vals.length, ...sv);
    if (vals[n] - vals[0] <= tol * (Math.abs(vals[0]) + 1e-12)) break;
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) c[k] += pts[i][k] / n;
    const along = (t: number): Float64Array => clamp(c.map((v, k) => v + t * (pts[n][k] - v)));
    const xr = along(-1);
    const fr = f(xr);
    evals++;
    if (fr < vals[0]) {
      const xe = along(-2);
      const fe = f(xe);
      evals++;
      if (fe < fr) [pts[n], vals[n]] = [xe, fe];
      else [pts[n], vals[n]] = [xr, fr];
    } else if (fr < vals[n - 1]) {
      [pts[n], vals[n]] = [xr, fr];
    } else {
      const outside = fr < vals[n];
      const xc = along(outside ? -0.5 : 0.5);
      const fc = f(xc);
      evals++;
      if (fc < (outside ? fr : vals[n])) [pts[n], vals[n]] = [xc, fc];
      else {
        for (let i = 1; i <= n; i++) {
          pts[i] = clamp(pts[i].map((v, k) => pts[0][k] + 0.5 * (v - pts[0][k])));
          vals[i] = f(pts[i]);
          evals++;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i <= n; i++) if (vals[i] < vals[best]) best = i;
  return { x: pts[best], f: vals[best], evals };
}

// ---------------------------------------------------------------------------------------------
// Loss and fit

export function termsFor(items: Item[], params: Record<PesqMode, PesqModelParams>): FrameTerms[] {
  return items.map((it) => frameTerms(it.prepared.frames, it.prepared.model.tables(params[it.mode]), params[it.mode]));
}

export function predict(items: Item[], terms: FrameTerms[], params: Record<PesqMode, PesqModelParams>): Float64Array {
  return Float64Array.from(items, (it, i) => scoreTerms(terms[i], params[it.mode], it.mode).value ?? Number.NaN);
}

/** Σ over modes of the mean squared MOS error. */
function loss(items: Item[], pred: Float64Array): number {
  const sum = { nb: 0, wb: 0 };
  const n = { nb: 0, wb: 0 };
  items.forEach((it, i) => {
    const e = pred[i] - it.gold;
    sum[it.mode] += Number.isFinite(e) ? e * e : 16;
    n[it.mode]++;
  });
  return MODES.reduce((s, m) => s + (n[m] > 0 ? sum[m] / n[m] : 0), 0);
}

interface Fit {
  coords: Float64Array;
  params: Record<PesqMode, PesqModelParams>;
  loss: number;
}

/** Outer search over the cell-level coordinates, inner over the frame-level ones (see the header). */
export function fit(items: Item[], start: Float64Array): Fit {
  const x = start.slice();
  let innerStart: Float64Array = Float64Array.from(FRAME_SLOTS, (i) => x[i]);
  let best: Fit = { coords: x.slice(), params: paramsOf(x), loss: Infinity };
  const inner = (cell: Float64Array): number => {
    const u = x.slice();
    CELL_SLOTS.forEach((i, k) => (u[i] = cell[k]));
    FRAME_SLOTS.forEach((i, k) => (u[i] = innerStart[k]));
    const terms = termsFor(items, paramsOf(u));
    const f = (fr: Float64Array): number => {
      FRAME_SLOTS.forEach((i, k) => (u[i] = fr[k]));
      return loss(items, predict(items, terms, paramsOf(u)));
    };
    // Two passes: the second restarts the simplex at the first's optimum (escapes a collapsed simplex).
    let r = nelderMead(f, innerStart, 0.08, 600, 1e-7);
    const e1 = r.evals;
    r = nelderMead(f, r.x, 0.03, 400, 1e-8);
    if (process.env.CAL_DEBUG) console.log(`  inner ${e1}+${r.evals} evals, loss ${r.f.toFixed(5)}, cell ${Array.from(cell, (v) => v.toFixed(3)).join(' ')}`);
    FRAME_SLOTS.forEach((i, k) => (u[i] = r.x[k]));
    if (r.f < best.loss) {
      best = { coords: u.slice(), params: paramsOf(u), loss: r.f };
      innerStart = r.x;
    }
    return r.f;
  };
  const cell0 = Float64Array.from(CELL_SLOTS, (i) => x[i]);
  if (CELL_SLOTS.length === 0) inner(cell0);
  else {
    const r = nelderMead(inner, cell0, 0.1, 30, 1e-4);
    nelderMead(inner, r.x, 0.03, 15, 1e-5);
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Statistics

export interface Agreement {
  n: number;
  rmse: number;
  pearson: number;
  spearman: number;
  bias: number;
}

function ranks(a: ArrayLike<number>): Float64Array {
  const idx = Array.from(a, (v, i) => i).sort((x, y) => a[x] - a[y]);
  const r = new Float64Array(a.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && a[idx[j + 1]] === a[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

export function agreement(ours: ArrayLike<number>, gold: ArrayLike<number>): Agreement {
  const n = ours.length;
  let se = 0;
  let e = 0;
  for (let i = 0; i < n; i++) {
    se += (ours[i] - gold[i]) ** 2;
    e += ours[i] - gold[i];
  }
  return { n, rmse: Math.sqrt(se / n), pearson: pearson(ours, gold), spearman: pearson(ranks(ours), ranks(gold)), bias: e / n };
}

export function byMode(items: Item[], pred: Float64Array, mode: PesqMode): Agreement {
  const idx = items.map((it, i) => i).filter((i) => items[i].mode === mode);
  return agreement(
    idx.map((i) => pred[i]),
    idx.map((i) => items[i].gold),
  );
}

// ---------------------------------------------------------------------------------------------
// Folds by reference

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fold of each reference: shuffled (seeded) within each sample rate, then dealt round-robin. */
export function foldsByReference(items: Item[], k: number, seed: number): Map<string, number> {
  const rnd = rng(seed);
  const byRate = new Map<number, string[]>();
  for (const it of items) {
    const fs = it.prepared.model.sampleRate;
    const list = byRate.get(fs) ?? [];
    if (!list.includes(it.ref)) list.push(it.ref);
    byRate.set(fs, list);
  }
  const fold = new Map<string, number>();
  let next = 0;
  for (const fs of [...byRate.keys()].sort((a, b) => b - a)) {
    const refs = byRate.get(fs)!.sort();
    for (let i = refs.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [refs[i], refs[j]] = [refs[j], refs[i]];
    }
    for (const r of refs) fold.set(r, next++ % k);
  }
  return fold;
}

// ---------------------------------------------------------------------------------------------
// Output

function fmt(v: number, digits = 4): string {
  return Number(v.toPrecision(digits)).toString();
}

function moduleText(fitAll: Fit, table: string, stability: string, meta: Record<string, unknown>, args: Args): string {
  const line = (p: PesqModelParams): string =>
    ['{', ...Object.keys(UNFITTED_PARAMS).map((k) => `    ${k}: ${fmt(p[k as keyof PesqModelParams], 6)},`), '  }'].join('\n');
  return `/**
 * Fitted parameters of the PESQ-like model (meanings and ranges: params.ts). GENERATED on
 * ${new Date().toISOString().slice(0, 10)} by \`npm run calibrate:pesq\` (= \`npx tsx tools/calibrate-pesq.ts\` --folds ${args.folds} --seed ${args.seed})
 * from ${args.set}/labels.json
 * (${String(meta.count ?? '?')} pairs; oracle: ${String(meta.oracle ?? '?').split(' (')[0]}); do not edit by hand, rerun the tool.
 *
 * Agreement with P.862 on the calibration set (MOS-LQO; CV = each pair predicted by the fit on the
 * folds without its clean reference):
${table
  .split('\n')
  .map((l) => ` * ${l}`)
  .join('\n')}
 *
 * Parameters per fold (stability):
${stability
  .split('\n')
  .map((l) => ` * ${l}`)
  .join('\n')}
 */
import type { PesqCalibration } from './params.js';

export const PESQ_CALIBRATION: PesqCalibration = {
  nb: ${line(fitAll.params.nb)},
  wb: ${line(fitAll.params.wb)},
};
`;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const { items, meta } = loadItems(args.set);
  const refs = new Set(items.map((i) => i.ref));
  console.log(`${items.length} (pair, mode) items from ${refs.size} references, front end ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const start = unfittedCoords();
  const unfitted = predict(items, termsFor(items, paramsOf(start)), paramsOf(start));

  const fold = foldsByReference(items, args.folds, args.seed);
  const cv = new Float64Array(items.length);
  const foldFits: Fit[] = [];
  for (let k = 0; k < args.folds; k++) {
    const train = items.filter((it) => fold.get(it.ref) !== k);
    const test = items.filter((it) => fold.get(it.ref) === k);
    const f = fit(train, start);
    foldFits.push(f);
    const p = predict(test, termsFor(test, f.params), f.params);
    let j = 0;
    items.forEach((it, i) => {
      if (fold.get(it.ref) === k) cv[i] = p[j++];
    });
    console.log(`fold ${k + 1}/${args.folds}: ${train.length} train, ${test.length} validation items, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const all = fit(items, start);
  const trainPred = predict(items, termsFor(items, all.params), all.params);

  const rows = ['| mode | set | n | RMSE | Pearson | Spearman | bias |', '|---|---|---|---|---|---|---|'];
  for (const mode of MODES) {
    for (const [name, pred] of [
      ['unfitted', unfitted],
      ['train', trainPred],
      ['CV', cv],
    ] as const) {
      const a = byMode(items, pred, mode);
      rows.push(`| ${mode} | ${name} | ${a.n} | ${a.rmse.toFixed(3)} | ${a.pearson.toFixed(3)} | ${a.spearman.toFixed(3)} | ${a.bias >= 0 ? '+' : ''}${a.bias.toFixed(3)} |`);
    }
  }
  const table = rows.join('\n');

  const srows = [`| parameter | all | ${foldFits.map((f, k) => `fold ${k + 1}`).join(' | ')} | spread |`, `|---|---|${foldFits.map(() => '---|').join('')}---|`];
  SLOTS.forEach((s, i) => {
    const vals = foldFits.map((f) => toValue(s.spec, f.coords[i]));
    const spread = s.spec.log ? `×${fmt(Math.max(...vals) / Math.min(...vals), 3)}` : `±${fmt((Math.max(...vals) - Math.min(...vals)) / 2, 3)}`;
    srows.push(`| ${s.spec.name}${s.mode ? ` (${s.mode})` : ''} | ${fmt(toValue(s.spec, all.coords[i]))} | ${vals.map((v) => fmt(v)).join(' | ')} | ${spread} |`);
  });
  const stability = srows.join('\n');

  console.log(`\n${table}\n\n${stability}\n`);
  const worst = items
    .map((it, i) => ({ it, e: cv[i] - it.gold }))
    .sort((a, b) => Math.abs(b.e) - Math.abs(a.e))
    .slice(0, 12);
  console.log('largest cross-validated errors:');
  for (const w of worst) console.log(`  ${w.it.id} ${w.it.mode} ${w.it.condition}: P.862 ${w.it.gold.toFixed(2)}, CV ${(w.it.gold + w.e).toFixed(2)}`);

  if (!args.dryRun) {
    const calibration: PesqCalibration = all.params;
    void calibration;
    writeFileSync(args.out, moduleText(all, table, stability, meta, args));
    console.log(`\nwrote ${args.out}`);
  }
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) main();

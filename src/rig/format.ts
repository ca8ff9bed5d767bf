/** Text rendering of rig results: quality tables per condition, latency, budget, gates, verdict. */
import { scoredKeys } from './keys.js';
import type { QuantumStats } from './mix.js';
import type { CheckResult } from './thresholds.js';
import type { MetricJson, OptionFile, Problem, RigResult } from './run.js';

export function formatNumber(v: unknown, digits: number, signed = false): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  if (v !== 0 && Math.abs(v) < 10 ** -digits) return (signed && v > 0 ? '+' : '') + v.toExponential(1);
  const s = v.toFixed(digits);
  return signed && v >= 0 && !/^-?0\.?0*$/.test(s) ? `+${s}` : s.replace(/^-(0\.?0*)$/, '$1');
}

/** A share of the quantum as a percentage with sensible precision. */
export function formatShare(v: number | null): string {
  if (v === null) return '—';
  const pct = 100 * v;
  if (pct === 0) return '0 %';
  if (pct < 0.1) return `${pct.toPrecision(2)} %`;
  if (pct < 10) return `${pct.toFixed(2)} %`;
  return `${pct.toFixed(1)} %`;
}

/** Align columns: 'l' or 'r' per column; two spaces between columns. */
export function table(rows: string[][], align: ('l' | 'r')[], indent = ''): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? '')].length)));
  return rows.map(
    (r) =>
      indent +
      r
        .map((cell, c) => {
          const pad = ' '.repeat(widths[c] - [...cell].length);
          return align[c] === 'r' ? pad + cell : cell + pad;
        })
        .join('  ')
        .trimEnd(),
  );
}

/** Metric rows: label, unit, better, noisy, processed, delta; then the reference-free measures. */
export function qualityLines(noisy: MetricJson | null, processed: MetricJson | null, delta: Record<string, number | null> | null, indent = '  '): string[] {
  const rows: string[][] = [['metric', 'unit', 'better', 'noisy', 'processed', 'delta']];
  let freeStarted = false;
  for (const info of scoredKeys()) {
    if (info.referenceFree && !freeStarted) {
      freeStarted = true;
      rows.push(['reference-free (signal alone)', '', '', '', '', '']);
    }
    rows.push([
      (info.referenceFree ? '  ' : '') + info.label,
      info.unit,
      info.higherIsBetter === null ? '—' : info.higherIsBetter ? 'higher' : 'lower',
      formatNumber(noisy?.[info.key], info.digits),
      formatNumber(processed?.[info.key], info.digits),
      formatNumber(delta?.[info.key], info.digits, true),
    ]);
  }
  return table(rows, ['l', 'l', 'l', 'r', 'r', 'r'], indent);
}

export function budgetLine(q: QuantumStats): string {
  if (q.quanta === 0) return 'no process() call was timed';
  return (
    `process() per ${128}-sample quantum (${q.quantumMs.toFixed(3)} ms), as a share of it: ` +
    `p50 ${formatShare(q.p50)}, p99 ${formatShare(q.p99)}, max ${formatShare(q.max)}; ` +
    `${q.overruns} overrun${q.overruns === 1 ? '' : 's'} above ${formatShare(q.budget)} in ${q.quanta} quanta`
  );
}

export function delayLine(r: { delaySamples: number | null; delayMs: number | null; delayConstant: boolean | null; conditions?: RigResult['conditions'] }): string {
  if (r.delaySamples === null) return 'not found (the output does not correlate clearly with the clean speech)';
  const constancy = r.delayConstant === true ? 'constant' : r.delayConstant === false ? 'NOT constant' : 'constancy not checked';
  let line = `${r.delaySamples} samples = ${r.delayMs!.toFixed(3)} ms, ${constancy}`;
  const halves = r.conditions?.map((c) => `${c.label}: ${c.delayHalves.map((h) => h ?? '—').join(' / ')}`);
  if (halves?.length) line += ` (first / second half: ${halves.join('; ')})`;
  return line;
}

export function checkLine(c: CheckResult): string {
  const where = c.condition ? ` at ${c.condition}` : '';
  const value = c.value === null ? `undefined (${c.reason})` : Number.isInteger(c.value) ? String(c.value) : c.value.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
  return `${c.pass ? 'pass' : 'FAIL'}  ${c.key} ${c.op === '>=' ? '≥' : '≤'} ${c.limit}${where}: ${value}`;
}

export function problemLines(problems: Problem[]): string[] {
  return problems.map((p) => `${p.kind}: ${p.message}${p.conditions.length ? ` [${p.conditions.join(', ')}]` : ''}`);
}

/** The verdict, with the rate it was rendered at (a processor built for 48 kHz may be poor at 16 kHz). */
export function verdictLine(verdict: RigResult['verdict'], exitCode: number, sampleRate: number): string {
  const word = verdict === 'pass' ? 'PASS' : verdict === 'fail' ? 'FAIL (a gate failed)' : 'BROKEN (the processor misbehaved or could not run)';
  return `Verdict: ${word} at ${sampleRate} Hz (--rate), exit code ${exitCode}`;
}

export function warningLines(warnings: string[]): string[] {
  return warnings.map((w) => `warning: ${w}`);
}

/** "; options {...}; wasmBinary = bytes of FILE" for the header line. */
export function optionsText(options: Record<string, unknown>, files: OptionFile[] = []): string {
  let text = Object.keys(options).length ? `; options ${JSON.stringify(options)}` : '';
  for (const f of files) text += `; ${f.key} = ${f.kind === 'wasm' ? 'WebAssembly.Module of' : 'bytes of'} ${f.path}`;
  return text;
}

/** The full text report of one rig run. */
export function formatRig(r: RigResult, inputs: string, notes: string[], optionFiles: OptionFile[] = []): string {
  const out: string[] = [];
  out.push(`earshot rig: ${r.processor}${r.name ? ` (processor "${r.name}")` : ''}`);
  out.push(`${inputs}; ${r.sampleRate} Hz${optionsText(r.options, optionFiles)}`);
  for (const c of r.conditions) {
    out.push('');
    out.push(c.snr === null ? 'Quality, given noisy input' : `Quality at input SNR ${c.label}`);
    if (c.processed === null) out.push('  not scored: the render failed');
    else out.push(...qualityLines(c.noisy, c.processed, c.delta));
  }
  out.push('');
  out.push(`Latency   ${delayLine(r)}`);
  out.push(`Budget    ${budgetLine(r.quantum)}`);
  if (r.problems.length) {
    out.push('');
    out.push('Problems');
    for (const line of problemLines(r.problems)) out.push(`  ${line}`);
  }
  if (r.warnings.length) {
    out.push('');
    out.push(...warningLines(r.warnings));
  }
  const allNotes = [...notes, ...new Set(r.conditions.flatMap((c) => c.notes))];
  if (allNotes.length) {
    out.push('');
    for (const n of allNotes) out.push(`note: ${n}`);
  }
  if (r.checks.length) {
    out.push('');
    out.push('Gates');
    for (const c of r.checks) out.push(`  ${checkLine(c)}`);
  }
  out.push('');
  out.push(verdictLine(r.verdict, r.exitCode, r.sampleRate));
  return out.join('\n') + '\n';
}

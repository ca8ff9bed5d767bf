/**
 * `earshot rig --report report.html`: one self-contained HTML page (inline CSS, inline SVG, no
 * scripts, no external URLs) with the verdict, quality tables, latency, the per-quantum cost
 * histogram, and metric-over-time and delay plots, to open locally or attach to a pull request.
 */
import { formatNumber, formatShare } from './format.js';
import { scoredKey, scoredKeys } from './keys.js';
import type { QuantumStats } from './mix.js';
import type { CheckResult } from './thresholds.js';
import type { MetricJson, Problem, RigResult } from './run.js';
import { esc, lineChart, logHistogram, type Series } from './svg.js';
import type { Timeline } from './timeline.js';

const COLORS = {
  noisy: '#9aa3b2',
  processed: '#2563eb',
  conditions: ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2'],
  alert: '#dc2626',
};

export interface ReportCondition {
  label: string;
  snr: number | null;
  noisy: MetricJson | null;
  processed: MetricJson | null;
  delta: Record<string, number | null> | null;
  delaySamples: number | null;
  delayHalves?: [number | null, number | null];
  timeline?: Timeline;
  /** Files averaged (batch summaries). */
  n?: number;
}

export interface ReportInput {
  processor: string;
  name: string | null;
  options: Record<string, unknown>;
  sampleRate: number;
  /** One line describing the inputs (files, SNRs). */
  inputs: string;
  notes: string[];
  verdict: RigResult['verdict'];
  exitCode: number;
  problems: Problem[];
  /** Warnings (the verdict does not depend on them). */
  warnings?: string[];
  checks: CheckResult[];
  delaySamples: number | null;
  delayMs: number | null;
  delayConstant: boolean | null;
  quantum: QuantumStats;
  /** Every timed call, ms. */
  durations: Float64Array;
  conditions: ReportCondition[];
  /** Batch mode: one row per rendered file pair and SNR. */
  items?: { clean: string; noise: string; label: string; delta: Record<string, number | null> | null; delaySamples: number | null; status: string }[];
  generatedAt: string;
}

const CSS = `
:root { --fg: #1f2430; --muted: #5b6475; --line: #e3e7ee; --bg: #f6f7fb; --card: #fff; --accent: #2563eb;
  --good: #047857; --good-bg: #e7f6ef; --bad: #b91c1c; --bad-bg: #fdecec; --warn: #92400e; --warn-bg: #fff5e0; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 28px 28px 48px; }
header { display: flex; justify-content: space-between; align-items: flex-start; gap: 24px; margin-bottom: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 16px; margin: 30px 0 10px; }
h3 { font-size: 13px; margin: 0 0 6px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; }
.sub { color: var(--muted); margin: 2px 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.verdict { border-radius: 10px; padding: 10px 18px; font-weight: 700; font-size: 18px; text-align: center; min-width: 150px; }
.verdict small { display: block; font-weight: 500; font-size: 12px; opacity: 0.85; }
.verdict.pass { background: var(--good-bg); color: var(--good); border: 1px solid #a7e3c6; }
.verdict.fail { background: var(--warn-bg); color: var(--warn); border: 1px solid #f4d08a; }
.verdict.broken { background: var(--bad-bg); color: var(--bad); border: 1px solid #f3b4b4; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(250px, 1fr)); gap: 14px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.big { font-size: 24px; font-weight: 700; letter-spacing: -0.01em; }
.big small { font-size: 14px; font-weight: 500; color: var(--muted); }
.kv { color: var(--muted); margin-top: 4px; }
.pill { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600; }
.pill.ok { background: var(--good-bg); color: var(--good); }
.pill.no { background: var(--bad-bg); color: var(--bad); }
.pill.na { background: #eef0f4; color: var(--muted); }
.problems { background: var(--bad-bg); border: 1px solid #f3b4b4; border-radius: 10px; padding: 10px 16px; margin-top: 14px; }
.problems li { margin: 4px 0; }
.warnings { background: #fff8e6; border: 1px solid #f0d48a; border-radius: 10px; padding: 10px 16px; margin-top: 14px; }
.warnings li { margin: 4px 0; }
table { border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; width: 100%; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: #f0f2f7; font-weight: 600; font-size: 12.5px; color: #394150; }
th.group { text-align: center; border-left: 1px solid var(--line); }
td.l, th.l { text-align: left; }
td.first, th.first { border-left: 1px solid var(--line); }
tr:last-child td { border-bottom: none; }
td.muted { color: var(--muted); }
tr.section td { background: #f7f8fb; color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
td.better { color: var(--good); font-weight: 600; }
td.worse { color: var(--bad); font-weight: 600; }
.scroll { overflow-x: auto; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 14px; }
.chart-card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 12px 6px; }
.chart-card svg { width: 100%; height: auto; display: block; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin: 0 0 4px; }
.legend i { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin-right: 5px; border-radius: 2px; }
.legend i.dash { background: repeating-linear-gradient(90deg, currentColor 0 5px, transparent 5px 9px) !important; }
.plot-bg { fill: #fbfcfe; }
.grid { stroke: #e8ebf1; stroke-width: 1; }
.tick { font-size: 11px; fill: #6b7385; }
.axis-label { font-size: 11.5px; fill: #4b5363; }
.bar { fill: #60a5fa; }
.bar.over { fill: ${COLORS.alert}; }
.marker { stroke: ${COLORS.alert}; stroke-width: 1.5; stroke-dasharray: 4 3; }
.marker-label { fill: ${COLORS.alert}; font-weight: 600; }
.gate-pass { color: var(--good); font-weight: 600; }
.gate-fail { color: var(--bad); font-weight: 600; }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
ul.notes { margin: 6px 0; padding-left: 18px; color: var(--muted); }
`;

function deltaClass(key: string, d: number | null | undefined): string {
  if (d === null || d === undefined) return 'muted';
  const info = scoredKey(key);
  if (!info || info.higherIsBetter === null) return '';
  const eps = 10 ** -info.digits / 2;
  if (Math.abs(d) < eps) return '';
  return (d > 0) === info.higherIsBetter ? 'better' : 'worse';
}

function qualityTable(conditions: ReportCondition[]): string {
  const head1 = conditions.map((c) => `<th class="group" colspan="3">${esc(c.snr === null ? 'given noisy input' : `input SNR ${c.label}`)}${c.n !== undefined ? ` <small>(mean of ${c.n})</small>` : ''}</th>`).join('');
  const head2 = conditions.map(() => '<th class="first">noisy</th><th>processed</th><th>Δ</th>').join('');
  const rows: string[] = [];
  let freeStarted = false;
  for (const info of scoredKeys()) {
    const key = info.key;
    if (info.referenceFree && !freeStarted) {
      freeStarted = true;
      rows.push(`<tr class="section"><td class="l" colspan="${3 + 3 * conditions.length}">Reference-free: each signal alone</td></tr>`);
    }
    const cells = conditions
      .map((c) => {
        const d = c.delta?.[key];
        return `<td class="first">${formatNumber(c.noisy?.[key], info.digits)}</td><td>${formatNumber(c.processed?.[key], info.digits)}</td><td class="${deltaClass(key, d)}">${formatNumber(d, info.digits, true)}</td>`;
      })
      .join('');
    const better = info.higherIsBetter === null ? '' : info.higherIsBetter ? '↑' : '↓';
    rows.push(`<tr><td class="l" title="${esc(info.description)}">${esc(info.label)}</td><td class="l muted">${esc(info.unit)}</td><td class="l muted">${better}</td>${cells}</tr>`);
  }
  return `<div class="scroll"><table><thead><tr><th class="l" rowspan="2">metric</th><th class="l" rowspan="2">unit</th><th class="l" rowspan="2">better</th>${head1}</tr><tr>${head2}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function legend(items: { name: string; color: string; dashed?: boolean }[]): string {
  return `<div class="legend">${items.map((i) => `<span style="color:${i.color}"><i class="${i.dashed ? 'dash' : ''}" style="background:${i.color}"></i><span style="color:#5b6475">${esc(i.name)}</span></span>`).join('')}</div>`;
}

function timelineCharts(conditions: ReportCondition[]): string {
  const withTimeline = conditions.filter((c) => c.timeline && c.timeline.t.length > 0);
  if (withTimeline.length === 0) return '';
  const blocks: string[] = [];
  const specs = [
    { metric: 'sisdr', title: 'SI-SDR over 1 s windows', unit: 'dB' },
    { metric: 'stoi', title: 'STOI over 3 s windows', unit: '' },
  ];
  for (const c of withTimeline) {
    const tl = c.timeline!;
    for (const s of specs) {
      const series: Series[] = [
        { name: 'noisy input', color: COLORS.noisy, values: tl.noisy[s.metric], dashed: true },
        { name: 'processed output', color: COLORS.processed, values: tl.processed[s.metric] },
      ];
      blocks.push(
        `<div class="chart-card"><h3>${esc(s.title)} · ${esc(c.snr === null ? 'given noisy input' : `input SNR ${c.label}`)}</h3>${legend(series)}${lineChart({
          x: tl.t,
          series,
          xLabel: 'time (s)',
          yLabel: s.unit ? `${s.metric === 'sisdr' ? 'SI-SDR' : s.metric} (${s.unit})` : s.metric.toUpperCase(),
          ariaLabel: `${s.title}, ${c.label}`,
        })}</div>`,
      );
    }
  }
  return `<h2>Quality over time</h2><p class="sub">Running values from the live engine (10 per second); gaps: not defined yet (window not filled, delay not locked).</p><div class="charts">${blocks.join('')}</div>`;
}

function delayChart(r: ReportInput): string {
  const withTimeline = r.conditions.filter((c) => c.timeline && c.timeline.t.length > 0);
  if (withTimeline.length === 0) return '';
  const x = withTimeline[0].timeline!.t;
  const series: Series[] = withTimeline.map((c, i) => ({
    name: c.label,
    color: COLORS.conditions[i % COLORS.conditions.length],
    values: c.timeline!.delayMs.slice(0, x.length),
    width: 2,
  }));
  const rules = r.delayMs !== null ? [{ y: r.delayMs, label: `offline: ${r.delayMs.toFixed(3)} ms`, color: '#6b7385' }] : [];
  return `<div class="chart-card"><h3>Delay of the output over time</h3>${legend(series)}${lineChart({
    x,
    series,
    rules,
    xLabel: 'time (s)',
    yLabel: 'delay (ms)',
    ariaLabel: 'delay over time',
  })}</div>`;
}

function histogram(r: ReportInput): string {
  if (r.durations.length === 0) return '';
  const shares = r.durations.map((d) => d / r.quantum.quantumMs);
  const pct = (v: number) => {
    const p = 100 * v;
    return `${p >= 1 ? p.toFixed(0) : p.toPrecision(1)} %`;
  };
  return `<div class="chart-card"><h3>Cost of process() per render quantum</h3>${legend([
    { name: 'within budget', color: '#60a5fa' },
    { name: 'over budget', color: COLORS.alert },
  ])}${logHistogram({
    values: shares,
    marker: { x: r.quantum.budget, label: `budget ${formatShare(r.quantum.budget)}` },
    xLabel: `share of the quantum's duration (${r.quantum.quantumMs.toFixed(3)} ms), log scale`,
    format: pct,
    ariaLabel: 'histogram of per-quantum cost',
  })}</div>`;
}

function gatesTable(checks: CheckResult[]): string {
  if (checks.length === 0) return '';
  const rows = checks
    .map((c) => {
      const v = c.value === null ? `<span class="muted">undefined: ${esc(c.reason ?? '')}</span>` : esc(Number.isInteger(c.value) ? String(c.value) : c.value.toFixed(4));
      return `<tr><td class="l mono">${esc(c.key)} ${c.op === '>=' ? '≥' : '≤'} ${c.limit}</td><td class="l">${esc(c.condition ?? 'overall')}</td><td>${v}</td><td class="${c.pass ? 'gate-pass' : 'gate-fail'}">${c.pass ? 'pass' : 'FAIL'}</td></tr>`;
    })
    .join('');
  return `<h2>Gates</h2><table><thead><tr><th class="l">gate</th><th class="l">where</th><th>value</th><th>result</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function itemsTable(r: ReportInput): string {
  if (!r.items?.length) return '';
  const rows = r.items
    .map(
      (it) =>
        `<tr><td class="l">${esc(it.clean)}</td><td class="l">${esc(it.noise)}</td><td>${esc(it.label)}</td><td class="${deltaClass('sisdr', it.delta?.sisdr)}">${formatNumber(it.delta?.sisdr, 2, true)}</td><td class="${deltaClass('stoi', it.delta?.stoi)}">${formatNumber(it.delta?.stoi, 4, true)}</td><td>${it.delaySamples ?? '—'}</td><td class="l">${esc(it.status)}</td></tr>`,
    )
    .join('');
  return `<h2>Every file pair</h2><div class="scroll"><table><thead><tr><th class="l">clean</th><th class="l">noise</th><th>SNR</th><th>Δ SI-SDR (dB)</th><th>Δ STOI</th><th>delay (samples)</th><th class="l">status</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function summaryCards(r: ReportInput): string {
  const q = r.quantum;
  const constancy =
    r.delayConstant === true ? '<span class="pill ok">constant</span>' : r.delayConstant === false ? '<span class="pill no">not constant</span>' : '<span class="pill na">not checked</span>';
  const latency =
    r.delaySamples === null
      ? '<div class="big">—</div><div class="kv">no clear correlation with the clean speech</div>'
      : `<div class="big">${r.delaySamples} <small>samples</small> · ${r.delayMs!.toFixed(2)} <small>ms</small></div><div class="kv">${constancy}</div>`;
  const budget =
    q.quanta === 0
      ? '<div class="big">—</div><div class="kv">no call was timed</div>'
      : `<div class="big">${formatShare(q.p99)} <small>p99</small></div><div class="kv">p50 ${formatShare(q.p50)} · max ${formatShare(q.max)} · <span class="pill ${q.overruns === 0 ? 'ok' : 'no'}">${q.overruns} overrun${q.overruns === 1 ? '' : 's'}</span> over ${formatShare(q.budget)} in ${q.quanta} quanta</div>`;
  const quality = r.conditions
    .map((c) => {
      const si = c.delta?.sisdr;
      const st = c.delta?.stoi;
      return `<div><span class="mono">${esc(c.label)}</span>: Δ SI-SDR <b class="${deltaClass('sisdr', si)}">${formatNumber(si, 2, true)} dB</b>, Δ STOI <b>${formatNumber(st, 3, true)}</b></div>`;
    })
    .join('');
  return `<div class="cards">
<div class="card"><h3>Quality gain</h3>${quality || '<div class="kv">not scored</div>'}</div>
<div class="card"><h3>Latency</h3>${latency}</div>
<div class="card"><h3>Render-quantum budget</h3>${budget}<div class="kv">${q.quantumMs.toFixed(3)} ms per 128-sample quantum at ${r.sampleRate} Hz</div></div>
</div>`;
}

export function renderReportHtml(r: ReportInput): string {
  const verdictText = r.verdict === 'pass' ? 'PASS' : r.verdict === 'fail' ? 'FAIL' : 'BROKEN';
  const title = `earshot rig: ${r.name ?? r.processor}`;
  const problems = r.problems.length
    ? `<div class="problems"><b>Problems</b><ul>${r.problems.map((p) => `<li><b>${esc(p.kind)}</b>: ${esc(p.message)}${p.conditions.length ? ` <span class="muted">[${esc(p.conditions.join(', '))}]</span>` : ''}</li>`).join('')}</ul></div>`
    : '';
  const warnings = r.warnings?.length ? `<div class="warnings"><b>Warnings</b><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>` : '';
  const notes = r.notes.length ? `<h2>Notes</h2><ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  const extra = [delayChart(r), histogram(r)].filter(Boolean).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
<header><div><h1>${esc(title)}</h1>
<p class="sub mono">${esc(r.processor)}${r.name ? ` · processor “${esc(r.name)}”` : ''}${Object.keys(r.options).length ? ` · options ${esc(JSON.stringify(r.options))}` : ''}</p>
<p class="sub">${esc(r.inputs)} · ${r.sampleRate} Hz</p></div>
<div class="verdict ${r.verdict}">${verdictText}<small>exit code ${r.exitCode}</small></div></header>
${summaryCards(r)}
${problems}
${warnings}
${gatesTable(r.checks)}
<h2>Quality: noisy input and processed output against the clean speech</h2>
${qualityTable(r.conditions)}
${itemsTable(r)}
${timelineCharts(r.conditions)}
${extra ? `<h2>Latency and cost</h2><div class="charts">${extra}</div>` : ''}
${notes}
<footer>Generated by earshot rig on ${esc(r.generatedAt)}. Per-quantum cost is the wall-clock time of the processor's own process() calls, measured in the worklet thread of an OfflineAudioContext (node-web-audio-api); the rig's own work is not counted.</footer>
</main></body></html>
`;
}

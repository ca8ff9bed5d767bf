/**
 * `earshot monitor REF DEG [--noisy N] [--speed realtime|max] [--jsonl]`: streams a file pair through
 * the live engine. In a terminal it shows a compact view of the running metrics, redrawn in place;
 * with --jsonl it writes one JSON object per metric sample and, last, the summary line.
 */
import { parseArgs } from 'node:util';
import { METRIC_INFO, type MetricKey } from '../analysis/metric-info.js';
import { earshotError } from '../errors.js';
import { metricRegistry, selectMetrics } from '../metrics/registry.js';
import { createLiveEngineSession } from '../live/engine.js';
import type { MetricSample, SummaryRecord, WindowName } from '../live/types.js';
import { playSources, type PlaybackSpeed } from '../stream/wav-source.js';
import { SilenceCheck, openInputs } from '../analysis/load-inputs.js';
import { LockstepReader } from '../io/sources.js';
import type { CliIo } from './main.js';

export const MONITOR_USAGE = `Usage: earshot monitor REF DEG [--noisy NOISY] [--speed realtime|max] [--jsonl] [--report-rate HZ] [--channel N] [--metrics LIST]

Streams REF and DEG through the live engine (alignment, running metrics over 1 s, 3 s, 10 s windows
and the total). --speed realtime (default in a terminal) plays at wall-clock speed; max as fast as
possible (default with --jsonl). --jsonl writes one JSON object per metric sample, then a summary line
with the keys of "earshot analyze --json". --metrics LIST computes only those metrics (see earshot metrics).
`;

/** The live reference-based metrics (registry order), the quality index first. */
const VIEW_METRICS = ['qindex', ...metricRegistry.filter((d) => d.kind === 'reference' && d.live.kind !== 'offline' && d.key !== 'qindex').map((d) => d.key)];
const VIEW_WINDOWS: WindowName[] = ['1s', '3s', '10s', 'total'];

export async function runMonitor(args: string[], io: CliIo, isTty = false): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      noisy: { type: 'string' },
      speed: { type: 'string' },
      jsonl: { type: 'boolean', default: false },
      'report-rate': { type: 'string', default: '10' },
      channel: { type: 'string', default: '0' },
      metrics: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(MONITOR_USAGE);
    return 0;
  }
  if (positionals.length !== 2) throw earshotError('ERR_USAGE', `expected two files (REF DEG), got ${positionals.length}`);
  const speed = (values.speed ?? (values.jsonl || !isTty ? 'max' : 'realtime')) as PlaybackSpeed;
  if (speed !== 'realtime' && speed !== 'max') throw earshotError('ERR_USAGE', `--speed must be realtime or max, got "${speed}"`);
  const rate = Number(values['report-rate']);
  if (!(rate > 0 && rate <= 100)) throw earshotError('ERR_USAGE', `--report-rate must be a number in (0, 100], got "${values['report-rate']}"`);
  if (!/^\d+$/.test(values.channel as string)) throw earshotError('ERR_USAGE', `--channel must be a non-negative integer, got "${values.channel}"`);
  // Resolve the list before reading any file, so a typo is a usage error at once.
  if (values.metrics !== undefined) selectMetrics(values.metrics);
  // The files stream in blocks (constant memory, any length); the silence checks read them once first.
  const input = openInputs({ refs: [positionals[0]], degs: [positionals[1]], noisy: values.noisy }, Number(values.channel));
  try {
    const silence = new SilenceCheck(input);
    const reader = new LockstepReader([input.refs[0], input.degs[0]], [0, 0], Math.min(input.refs[0].length, input.degs[0].length), 1 << 16);
    for (let b = reader.next(); b.n > 0; b = reader.next()) silence.update(b.views);
    for (const w of silence.finish()) io.stderr(`earshot: warning: ${w}\n`);
  } catch (e) {
    input.close();
    throw e;
  }
  for (const n of input.notes) io.stderr(`earshot: note: ${n}\n`);

  const session = createLiveEngineSession({ id: 'monitor', sampleRate: input.sampleRate, withNoisy: !!input.noisy, reportRateHz: rate, metrics: values.metrics });
  const latest = new Map<string, MetricSample>();
  let summary: SummaryRecord | undefined;
  let lastDraw = 0;
  let drawnLines = 0;
  const draw = (final: boolean) => {
    const lines = renderView(latest, positionals);
    const up = drawnLines > 0 && isTty ? `\x1b[${drawnLines}F` : '';
    io.stdout(up + lines.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
    drawnLines = lines.length;
    if (final) drawnLines = 0;
  };
  session.samples$.subscribe((s) => {
    if (values.jsonl) {
      io.stdout(`${JSON.stringify(s)}\n`);
      return;
    }
    latest.set(`${s.metric}/${s.window}`, s);
    const now = performance.now();
    if (isTty && now - lastDraw > 200) {
      lastDraw = now;
      draw(false);
    }
  });
  session.summary$.subscribe((s) => (summary = s));
  const done = new Promise<void>((resolve, reject) => {
    playSources({ sampleRate: input.sampleRate, ref: input.refs[0], deg: input.degs[0], noisy: input.noisy }, { speed }).subscribe({
      next: (b) => session.push(b),
      error: reject,
      complete: () => {
        session.end();
        resolve();
      },
    });
  });
  try {
    await done;
  } finally {
    input.close();
  }
  if (values.jsonl) io.stdout(`${JSON.stringify(summary)}\n`);
  else {
    if (isTty) draw(true);
    else io.stdout(renderView(latest, positionals).join('\n') + '\n');
  }
  return 0;
}

function renderView(latest: Map<string, MetricSample>, files: string[]): string[] {
  const delay = latest.get('delay/frame');
  const t = delay?.t ?? 0;
  const head = `earshot monitor  ${files[0]} vs ${files[1]}   t = ${t.toFixed(1)} s   delay ${delay?.value == null ? '—' : `${delay.value.toFixed(2)} ms`}`;
  const rows = [['metric', ...VIEW_WINDOWS, 'unit', 'better']];
  for (const m of VIEW_METRICS) {
    const info = METRIC_INFO[m as MetricKey];
    const cells = VIEW_WINDOWS.map((w) => {
      const s = latest.get(`${m}/${w}`);
      if (!s) return '';
      if (s.value === null) return '—';
      return s.uncertainty != null ? `${s.value.toFixed(info.digits)}±${s.uncertainty.toFixed(info.digits)}` : s.value.toFixed(info.digits);
    });
    if (cells.every((c) => c === '')) continue;
    rows.push([info.label, ...cells, info.unit, info.higherIsBetter ? 'higher' : 'lower']);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return [head, ...rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))];
}

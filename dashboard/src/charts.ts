/**
 * One card per metric: its name and unit, the latest value of the chosen window with its standard
 * error, and a uPlot chart over the visible time range (timeline.ts): the chosen window as a line inside its
 * ±1 standard-error band, and the running total as a dashed reference. Gaps (null) stay gaps.
 */
import uPlot from 'uplot';
import type { WindowName } from '../../src/live/types.js';
import { describeMetric, formatValue } from './format.js';
import type { MetricTable } from './store.js';
import { visibleRange } from './timeline.js';

const COLORS = {
  line: '#38bdf8',
  band: 'rgba(56, 189, 248, 0.16)',
  total: '#94a3b8',
  axis: '#7b8794',
  grid: 'rgba(148, 163, 184, 0.10)',
};

function mmss(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

export class MetricCard {
  readonly el: HTMLElement;
  readonly metric: string;
  private readonly valueEl: HTMLElement;
  private readonly errEl: HTMLElement;
  private readonly windowEl: HTMLElement;
  private readonly reasonEl: HTMLElement;
  private readonly plotEl: HTMLElement;
  private plot: uPlot | undefined;
  private drawnVersion = -1;
  private drawnWindow: WindowName | undefined;
  private span: [number, number] = visibleRange(0);
  private readonly resize: ResizeObserver;

  constructor(metric: string) {
    this.metric = metric;
    const info = describeMetric(metric);
    this.el = document.createElement('article');
    this.el.className = 'card';
    this.el.dataset.metric = metric;
    this.el.title = info.description;
    const head = document.createElement('header');
    const name = document.createElement('h3');
    name.textContent = info.label;
    const unit = document.createElement('span');
    unit.className = 'unit';
    // "PESQ-like MOS (estimate)" already says MOS.
    unit.textContent = info.label.includes(info.unit) ? '' : info.unit;
    this.windowEl = document.createElement('span');
    this.windowEl.className = 'win';
    name.append(' ', unit);
    const readout = document.createElement('div');
    readout.className = 'readout';
    this.valueEl = document.createElement('span');
    this.valueEl.className = 'value';
    this.valueEl.textContent = '–';
    this.errEl = document.createElement('span');
    this.errEl.className = 'err';
    readout.append(this.valueEl, this.errEl);
    head.append(name, this.windowEl, readout);
    this.reasonEl = document.createElement('div');
    this.reasonEl.className = 'reason';
    this.plotEl = document.createElement('div');
    this.plotEl.className = 'plot';
    this.el.append(head, this.plotEl, this.reasonEl);
    this.resize = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize(this.size());
    });
    this.resize.observe(this.plotEl);
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(120, this.plotEl.clientWidth), height: Math.max(80, this.plotEl.clientHeight) };
  }

  private create(): uPlot {
    const info = describeMetric(this.metric);
    const opts: uPlot.Options = {
      ...this.size(),
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      padding: [6, 16, 0, 0],
      scales: {
        x: { time: false, range: () => this.span },
        y: {
          range: (_u, min, max) => {
            if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return info.range ?? [0, 1];
            let lo = min;
            let hi = max;
            if (info.range) {
              lo = Math.min(lo, info.range[0]);
              hi = Math.max(hi, info.range[1]);
            }
            const pad = Math.max((hi - lo) * 0.08, info.minSpan / 2);
            return [lo - (info.range && lo >= info.range[0] ? 0 : pad), hi + (info.range && hi <= info.range[1] ? 0 : pad)];
          },
        },
      },
      axes: [
        { stroke: COLORS.axis, grid: { stroke: COLORS.grid, width: 1 }, ticks: { show: false }, size: 22, font: '11px system-ui', values: (_u, v) => v.map(mmss) },
        {
          stroke: COLORS.axis,
          grid: { stroke: COLORS.grid, width: 1 },
          ticks: { show: false },
          size: 42,
          font: '11px system-ui',
          values: (_u, v) => v.map((x) => formatValue(this.metric, x, true)),
        },
      ],
      series: [
        {},
        { stroke: 'transparent', width: 0, points: { show: false } },
        { stroke: 'transparent', width: 0, points: { show: false } },
        { stroke: COLORS.line, width: 1.6, points: { show: false }, spanGaps: false },
        { stroke: COLORS.total, width: 1, dash: [4, 4], points: { show: false }, spanGaps: false },
      ],
      bands: [{ series: [2, 1], fill: COLORS.band }],
    };
    return new uPlot(opts, [[], [], [], [], []], this.plotEl);
  }

  /** Redraw if the data or the window changed; `now` is the session's latest stream time. */
  update(table: MetricTable, window: WindowName, now: number, alert: 'warning' | 'critical' | undefined): void {
    this.el.dataset.alert = alert ?? '';
    // Metrics without the chosen window (e.g. CI-SDR: total only) show what they have.
    const shown: WindowName = table.windows.has(window) ? window : table.windows.has('total') ? 'total' : ([...table.windows.keys()][0] ?? window);
    const span = visibleRange(now);
    if (table.version === this.drawnVersion && shown === this.drawnWindow && span[1] === this.span[1]) return;
    this.drawnVersion = table.version;
    this.drawnWindow = shown;
    this.span = span;
    this.windowEl.textContent = shown === 'total' ? 'since start' : shown === 'frame' ? 'per frame' : `${shown.replace('s', ' s')} window`;
    const col = table.windows.get(shown);
    const total = shown === 'total' ? undefined : table.windows.get('total');
    const n = table.t.length;
    const lo: (number | null)[] = new Array(n);
    const hi: (number | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = col?.v[i] ?? null;
      const u = col?.u[i] ?? null;
      lo[i] = v !== null && u !== null ? v - u : null;
      hi[i] = v !== null && u !== null ? v + u : null;
    }
    const data: uPlot.AlignedData = [table.t, lo, hi, col?.v ?? new Array(n).fill(null), total?.v ?? new Array(n).fill(null)];
    this.plot ??= this.create();
    this.plot.setData(data);
    const latest = table.latest(shown);
    const fresh = latest !== undefined && now - latest.t < 2;
    if (latest) {
      this.valueEl.textContent = formatValue(this.metric, latest.v);
      this.errEl.textContent = latest.u !== null ? `± ${formatValue(this.metric, latest.u, false, true)}` : '';
    } else {
      this.valueEl.textContent = '–';
      this.errEl.textContent = '';
    }
    this.el.classList.toggle('stale', !fresh);
    const reason = table.reasons.get(shown);
    const note = table.notes.get(shown);
    this.reasonEl.textContent = !fresh && reason ? reason : fresh && note ? note : '';
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.el.remove();
  }
}

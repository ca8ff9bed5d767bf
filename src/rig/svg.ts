/**
 * Inline SVG charts for the rig's HTML report: line charts with gaps for nulls, and a histogram on a
 * logarithmic axis. Pure string builders, no DOM, no external resources.
 */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const num = (v: number) => (Math.round(v * 10) / 10).toString();

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

function tickLabel(v: number, step: number): string {
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(digits, 4)).replace('-', '−');
}

export interface Series {
  name: string;
  color: string;
  values: (number | null)[];
  dashed?: boolean;
  width?: number;
}

export interface LineChartOptions {
  x: number[];
  series: Series[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Horizontal reference lines. */
  rules?: { y: number; label: string; color: string }[];
  ariaLabel: string;
}

const M = { left: 52, right: 22, top: 14, bottom: 38 };

/** A line chart; nulls break the line (a gap, not a zero). */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 220;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const ys = o.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  for (const r of o.rules ?? []) ys.push(r.y);
  const x0 = o.x.length ? o.x[0] : 0;
  const x1 = o.x.length ? o.x[o.x.length - 1] : 1;
  const xt = niceTicks(Math.min(0, x0), x1 > x0 ? x1 : x0 + 1, 6);
  const yt = ys.length ? niceTicks(Math.min(...ys), Math.max(...ys), 4) : [0, 1];
  const [xa, xb] = [xt[0], xt[xt.length - 1]];
  const [ya, yb] = [yt[0], yt[yt.length - 1]];
  const px = (v: number) => M.left + ((v - xa) / (xb - xa)) * pw;
  const py = (v: number) => M.top + ph - ((v - ya) / (yb - ya)) * ph;
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.ariaLabel)}">`);
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" class="plot-bg"/>`);
  const ystep = yt.length > 1 ? yt[1] - yt[0] : 1;
  const xstep = xt.length > 1 ? xt[1] - xt[0] : 1;
  for (const v of yt) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${num(py(v))}" y2="${num(py(v))}" class="grid"/>`);
    parts.push(`<text x="${M.left - 6}" y="${num(py(v) + 4)}" class="tick" text-anchor="end">${tickLabel(v, ystep)}</text>`);
  }
  for (const v of xt) {
    parts.push(`<line x1="${num(px(v))}" x2="${num(px(v))}" y1="${M.top}" y2="${M.top + ph}" class="grid"/>`);
    parts.push(`<text x="${num(px(v))}" y="${M.top + ph + 15}" class="tick" text-anchor="middle">${tickLabel(v, xstep)}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 4}" class="axis-label" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(13 ${M.top + ph / 2}) rotate(-90)" class="axis-label" text-anchor="middle">${esc(o.yLabel)}</text>`);
  for (const r of o.rules ?? []) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${num(py(r.y))}" y2="${num(py(r.y))}" stroke="${r.color}" stroke-dasharray="4 3" stroke-width="1.2"/>`);
    parts.push(`<text x="${M.left + pw - 4}" y="${num(py(r.y) - 4)}" class="tick" text-anchor="end" fill="${r.color}">${esc(r.label)}</text>`);
  }
  for (const s of o.series) {
    let d = '';
    let pen = false;
    for (let i = 0; i < o.x.length; i++) {
      const v = s.values[i];
      if (v === null || v === undefined || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${num(px(o.x[i]))} ${num(py(v))}`;
      // A lone point (gap on both sides) still shows, as a dot (round cap of a zero-length line).
      if (!pen && (i + 1 >= o.x.length || s.values[i + 1] === null)) d += 'l0 0';
      pen = true;
    }
    if (d) {
      parts.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.8}" stroke-linejoin="round" stroke-linecap="round"${s.dashed ? ' stroke-dasharray="5 4"' : ''}><title>${esc(s.name)}</title></path>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

export interface HistogramOptions {
  /** Values > 0 (zeros go into the first bin). */
  values: Float64Array;
  /** Vertical reference line (the budget). */
  marker?: { x: number; label: string };
  xLabel: string;
  /** Format an x tick (a power of ten). */
  format: (v: number) => string;
  binsPerDecade?: number;
  width?: number;
  height?: number;
  ariaLabel: string;
}

/** Histogram over log10(x); bars above the marker are drawn in the alert colour. */
export function logHistogram(o: HistogramOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 220;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const per = o.binsPerDecade ?? 5;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of o.values) {
    if (v > 0) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) [lo, hi] = [1e-4, 1e-3];
  if (o.marker) hi = Math.max(hi, o.marker.x * 1.5);
  const d0 = Math.floor(Math.log10(lo));
  const d1 = Math.max(d0 + 1, Math.ceil(Math.log10(hi)));
  const nb = (d1 - d0) * per;
  // Per bin: values within the marker and values over it (stacked, the latter in the alert colour).
  const under = new Array<number>(nb).fill(0);
  const over = new Array<number>(nb).fill(0);
  for (const v of o.values) {
    const b = Math.max(0, Math.min(nb - 1, v > 0 ? Math.floor((Math.log10(v) - d0) * per) : 0));
    if (o.marker !== undefined && v > o.marker.x) over[b]++;
    else under[b]++;
  }
  const maxCount = Math.max(1, ...under.map((u, b) => u + over[b]));
  const yt = niceTicks(0, maxCount, 4);
  const yb = yt[yt.length - 1];
  const px = (lg: number) => M.left + ((lg - d0) / (d1 - d0)) * pw;
  const py = (c: number) => M.top + ph - (c / yb) * ph;
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.ariaLabel)}">`);
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" class="plot-bg"/>`);
  const ystep = yt.length > 1 ? yt[1] - yt[0] : 1;
  for (const v of yt) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${num(py(v))}" y2="${num(py(v))}" class="grid"/>`);
    parts.push(`<text x="${M.left - 6}" y="${num(py(v) + 4)}" class="tick" text-anchor="end">${tickLabel(v, ystep)}</text>`);
  }
  for (let d = d0; d <= d1; d++) {
    parts.push(`<line x1="${num(px(d))}" x2="${num(px(d))}" y1="${M.top}" y2="${M.top + ph}" class="grid"/>`);
    parts.push(`<text x="${num(px(d))}" y="${M.top + ph + 15}" class="tick" text-anchor="middle">${esc(o.format(10 ** d))}</text>`);
  }
  const bw = pw / nb;
  for (let b = 0; b < nb; b++) {
    const left = d0 + b / per;
    const range = `${esc(o.format(10 ** left))} – ${esc(o.format(10 ** (left + 1 / per)))}`;
    let base = M.top + ph;
    for (const [count, cls, what] of [
      [under[b], 'bar', 'quanta'],
      [over[b], 'bar over', 'quanta over the budget'],
    ] as const) {
      if (count === 0) continue;
      // At least 2 px, so that a single quantum stays visible next to hundreds.
      const h = Math.max(2, (count / yb) * ph);
      base -= h;
      parts.push(
        `<rect x="${num(px(left) + 1)}" y="${num(base)}" width="${num(Math.max(1, bw - 2))}" height="${num(h)}" class="${cls}"><title>${count} ${what} in ${range}</title></rect>`,
      );
    }
  }
  if (o.marker) {
    const x = px(Math.log10(o.marker.x));
    parts.push(`<line x1="${num(x)}" x2="${num(x)}" y1="${M.top}" y2="${M.top + ph}" class="marker"/>`);
    parts.push(`<text x="${num(x - 4)}" y="${M.top + 12}" class="tick marker-label" text-anchor="end">${esc(o.marker.label)}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 4}" class="axis-label" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(13 ${M.top + ph / 2}) rotate(-90)" class="axis-label" text-anchor="middle">quanta</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A spectrogram panel: the session's recent spectrum columns over the shared visible time range
 * (timeline.ts), low frequencies at the bottom, mel-spaced bands, coloured with a perceptually ordered
 * map (dark = quiet). Columns are placed by their stream time, so dropped ones show as dark gaps at
 * the right place. The image is rebuilt from the stored columns when something changed (≤ 600 × 64
 * pixels) and scaled to the panel.
 */
import type { SpecColumn } from './store.js';
import { visibleRange } from './timeline.js';

/** Colour scale (dB relative to a full-scale sine in one band). */
export const DB_FLOOR = -105;
export const DB_CEIL = -25;

/** Anchor colours of the map, from quiet to loud (after matplotlib's "magma"). */
const ANCHORS: [number, number, number][] = [
  [0, 0, 4],
  [28, 16, 68],
  [79, 18, 123],
  [129, 37, 129],
  [181, 54, 122],
  [229, 80, 100],
  [251, 135, 97],
  [254, 194, 135],
  [252, 253, 191],
];

function buildLut(): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const x = (i / 255) * (ANCHORS.length - 1);
    const k = Math.min(ANCHORS.length - 2, Math.floor(x));
    const f = x - k;
    for (let c = 0; c < 3; c++) lut[i * 4 + c] = ANCHORS[k][c] + f * (ANCHORS[k + 1][c] - ANCHORS[k][c]);
    lut[i * 4 + 3] = 255;
  }
  return lut;
}
const LUT = buildLut();
const mel = (f: number) => 2595 * Math.log10(1 + f / 700);

export class Spectrogram {
  readonly canvas: HTMLCanvasElement;
  private readonly axis: HTMLDivElement;
  private readonly note: HTMLSpanElement;
  private readonly which: 'ref' | 'deg';
  private readonly offscreen = document.createElement('canvas');
  private image: ImageData | undefined;
  private axisKey = '';
  private columns: SpecColumn[] = [];
  private now = 0;
  private dirty = true;

  constructor(figure: HTMLElement, which: 'ref' | 'deg') {
    this.which = which;
    this.note = document.createElement('span');
    this.note.className = 'spec-note';
    figure.querySelector('figcaption')?.append(this.note);
    const wrap = document.createElement('div');
    wrap.className = 'spec-wrap';
    this.axis = document.createElement('div');
    this.axis.className = 'spec-axis';
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'spec-canvas';
    wrap.append(this.axis, this.canvas);
    figure.append(wrap);
  }

  /** Show these columns (the session's list, newest last) up to stream time `now`. */
  show(columns: SpecColumn[], now: number): void {
    if (columns === this.columns && now === this.now && !this.dirty) return;
    this.columns = columns;
    this.now = now;
    this.dirty = true;
  }

  /** Paint if something changed (call from requestAnimationFrame). */
  draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    const resized = this.canvas.width !== w || this.canvas.height !== h;
    if (!this.dirty && !resized) return;
    this.dirty = false;
    if (resized) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const out = this.canvas.getContext('2d')!;
    out.fillStyle = '#000004';
    out.fillRect(0, 0, w, h);
    const last = this.columns.at(-1);
    if (!last) return;
    this.labelAxis(last);
    const [t0, t1] = visibleRange(Math.max(this.now, last.t));
    const bands = last.bands.n;
    const width = Math.max(1, Math.round((t1 - t0) / last.dt));
    if (!this.image || this.image.width !== width || this.image.height !== bands) {
      this.image = new ImageData(width, bands);
      this.offscreen.width = width;
      this.offscreen.height = bands;
    }
    const d = this.image.data;
    d.fill(0);
    for (let i = 3; i < d.length; i += 4) d[i] = 255;
    const scale = 255 / (DB_CEIL - DB_FLOOR);
    for (const c of this.columns) {
      // Column c covers (t − dt, t]: its pixel is the one ending at t.
      const x = Math.round((c.t - t0) / c.dt) - 1;
      if (x < 0 || x >= width || c.bands.n !== bands) continue;
      const bins = this.which === 'ref' ? c.ref : c.deg;
      for (let b = 0; b < bands; b++) {
        const db = c.dbMin + bins[b] * c.dbStep;
        const q = Math.max(0, Math.min(255, Math.round((db - DB_FLOOR) * scale)));
        const o = ((bands - 1 - b) * width + x) * 4;
        d[o] = LUT[q * 4];
        d[o + 1] = LUT[q * 4 + 1];
        d[o + 2] = LUT[q * 4 + 2];
      }
    }
    this.offscreen.getContext('2d')!.putImageData(this.image, 0, 0);
    out.imageSmoothingEnabled = true;
    out.imageSmoothingQuality = 'high';
    out.drawImage(this.offscreen, 0, 0, width, bands, 0, 0, w, h);
  }

  /** Frequency labels (Hz) at the heights of their bands, and the panel's note. */
  private labelAxis(c: SpecColumn): void {
    const key = `${c.bands.n}/${c.bands.fminHz}/${c.bands.fmaxHz}`;
    if (key === this.axisKey) return;
    this.axisKey = key;
    const m0 = mel(c.bands.fminHz);
    const m1 = mel(c.bands.fmaxHz);
    this.axis.replaceChildren();
    for (const hz of [250, 500, 1000, 2000, 4000, 8000, 16000]) {
      if (hz >= c.bands.fmaxHz * 0.97) continue;
      const frac = (mel(hz) - m0) / (m1 - m0);
      if (frac < 0.06) continue;
      const label = document.createElement('span');
      label.textContent = hz >= 1000 ? `${hz / 1000}k` : String(hz);
      label.style.bottom = `${(frac * 100).toFixed(2)}%`;
      this.axis.append(label);
    }
    this.note.textContent = `${c.bands.n} mel bands · ${DB_FLOOR} to ${DB_CEIL} dB`.replace(/-/g, '−');
  }
}

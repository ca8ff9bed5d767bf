/**
 * Constant tables of PMSQE (Martín-Doñas, Gomez, Gonzalez & Peinado, "A deep learning loss function
 * based on the perceptual evaluation of the speech quality", IEEE SPL 2018), as used by asteroid's
 * `SingleSrcPMSQE` (asteroid-team/asteroid `asteroid/losses/pmsqe.py`, commit 92c8d83a, and its
 * `bark_matrix_16k.mat` / `bark_matrix_8k.mat`). The values are PESQ's (P.862) Bark-band data on a
 * 31.25 Hz bin grid: 512-point DFT at 16 kHz (49 bands), 256-point DFT at 8 kHz (42 bands).
 *
 * The reference holds all of these as float32 tensors; `pmsqeTables` rounds them to float32 once
 * (Math.fround) so our float64 arithmetic starts from exactly the reference's parameters.
 */

/** Spectral power scale factor Sp of PESQ (P.862 §10.2.1.2), per sample rate. */
export const PMSQE_SP_16K = 6.910853e-6;
export const PMSQE_SP_8K = 2.764344e-5;
/** Loudness scale factor Sl (Zwicker's law, P.862 §10.2.1.5); same at both rates. */
export const PMSQE_SL = 1.866055e-1;

/**
 * Absolute hearing threshold per Bark band, in the power units of the Bark spectrum (after the SLL
 * normalisation and the Sp factor). 16 kHz: all 49 bands; 8 kHz: the first 42.
 */
export const PMSQE_ABS_THRESH_POWER: readonly number[] = [
  51286152.0, 2454709.5, 70794.59375, 4897.788574, 1174.897705, 389.045166, 104.71286, 45.70882, 17.782795,
  9.772372, 4.897789, 3.090296, 1.905461, 1.258925, 0.977237, 0.724436, 0.562341, 0.457088, 0.389045, 0.331131,
  0.295121, 0.269153, 0.25704, 0.251189, 0.251189, 0.251189, 0.251189, 0.263027, 0.288403, 0.30903, 0.338844,
  0.371535, 0.398107, 0.436516, 0.467735, 0.489779, 0.501187, 0.501187, 0.512861, 0.524807, 0.524807, 0.524807,
  0.512861, 0.47863, 0.42658, 0.371535, 0.363078, 0.416869, 0.537032,
];

/** Exponent of the modified Zwicker loudness law per Bark band (0.23 above band 11, larger below). */
export const PMSQE_MODIFIED_ZWICKER_POWER: readonly number[] = [
  0.25520097857560436, 0.25520097857560436, 0.25520097857560436, 0.25520097857560436, 0.25168783742879913,
  0.24806665731869609, 0.244767379124259, 0.24173800119368227, 0.23893798876066405, 0.23633516221479894,
  0.23390360348392067, 0.23162209128929445, ...new Array<number>(37).fill(0.23),
];

/** Width of each Bark band, in Bark (weights of the per-frame Lp norms). */
export const PMSQE_BAND_WIDTH_BARK: readonly number[] = [
  0.157344, 0.317994, 0.322441, 0.326934, 0.331474, 0.336061, 0.340697, 0.345381, 0.350114, 0.354897, 0.359729,
  0.364611, 0.369544, 0.374529, 0.379565, 0.384653, 0.389794, 0.394989, 0.400236, 0.405538, 0.410894, 0.416306,
  0.421773, 0.427297, 0.432877, 0.438514, 0.444209, 0.449962, 0.455774, 0.461645, 0.467577, 0.473569, 0.479621,
  0.485736, 0.491912, 0.498151, 0.504454, 0.510819, 0.51725, 0.523745, 0.530308, 0.536934, 0.543629, 0.55039,
  0.55722, 0.564119, 0.571085, 0.578125, 0.585232,
];

/**
 * The reference's Bark matrix (DFT bins × bands) has, in every column, one constant weight over one
 * contiguous run of bins and zeros elsewhere; we store each column as [first bin, last bin (inclusive),
 * weight]. Read from `bark_matrix_16k.mat` (257 × 49): bin 0 (DC) counts in band 0, the Nyquist bin
 * (256) in none. The 8 kHz matrix (129 × 42) equals the 16 kHz one in bands 0..40 (same 31.25 Hz grid);
 * its last band covers bins 117..127 with its own weight, the Nyquist bin (128) again in none.
 */
export const PMSQE_BARK_BANDS_16K: readonly (readonly [number, number, number])[] = [
  [0, 0, 100.0], [1, 1, 99.999992], [2, 2, 100.0], [3, 3, 100.000008], [4, 4, 100.000008],
  [5, 5, 100.000015], [6, 6, 99.999992], [7, 7, 99.999969], [8, 9, 50.000027], [10, 10, 100.0],
  [11, 11, 99.999969], [12, 12, 100.000015], [13, 13, 99.999947], [14, 14, 100.000061], [15, 16, 53.047077],
  [17, 17, 110.000046], [18, 18, 117.991989], [19, 20, 65.0], [21, 22, 68.760147], [23, 24, 69.999931],
  [25, 26, 71.428818], [27, 28, 75.000038], [29, 30, 76.843384], [31, 32, 80.968781], [33, 34, 88.646126],
  [35, 37, 63.864388], [38, 40, 68.15535], [41, 43, 72.547775], [44, 46, 75.584831], [47, 50, 58.379192],
  [51, 53, 80.950836], [54, 57, 64.135651], [58, 62, 54.384785], [63, 66, 73.821884], [67, 71, 64.437073],
  [72, 77, 59.176456], [78, 83, 65.521278], [84, 90, 61.399822], [91, 98, 58.144047], [99, 107, 57.004543],
  [108, 116, 64.126297], [117, 128, 54.311001], [129, 140, 61.114979], [141, 155, 55.077751],
  [156, 171, 56.849335], [172, 189, 55.628868], [190, 210, 53.137054], [211, 235, 54.985844],
  [236, 255, 79.546974],
];
export const PMSQE_BARK_BANDS_8K: readonly (readonly [number, number, number])[] = [
  ...PMSQE_BARK_BANDS_16K.slice(0, 41),
  [117, 127, 59.248363],
];

/**
 * Speech-level (SLL) normalisation mask over DFT bins (P.862's 100 Hz–3.25 kHz power band on the
 * 31.25 Hz grid): bin 11 weighs 0.5·25/31.25 (partial bin), bins 12..103 weigh 1, bin 104 weighs 0.5,
 * others 0. The reference uses the same bin indices at 8 kHz. The whole mask is then multiplied by
 * the window's power correction 2 (sqrt-Hann, `window_weight` 1) times (N + 2)/N².
 */
export const PMSQE_SLL_FIRST_BIN = 11;
export const PMSQE_SLL_FIRST_WEIGHT = (0.5 * 25.0) / 31.25;
export const PMSQE_SLL_LAST_BIN = 104;
export const PMSQE_SLL_LAST_WEIGHT = 0.5;
/** Power correction of asteroid's `sqrt_hann` window choice (get_correction_factor). */
export const PMSQE_SQRT_HANN_POWER_CORRECTION = 2.0;

/** Every table of one sample rate, float32-rounded like the reference's tensors, in Float64Arrays. */
export interface PmsqeTables {
  readonly sampleRate: 8000 | 16000;
  /** DFT size N (frame length) and hop N/2, in samples. */
  readonly fftSize: number;
  readonly hop: number;
  /** N/2 + 1 one-sided bins. */
  readonly bins: number;
  readonly bands: number;
  readonly sp: number;
  readonly bandFirst: Int32Array;
  readonly bandLast: Int32Array;
  readonly bandWeight: Float64Array;
  /** Band of each of the `bins` bins; `bands` (one past the last band) for a bin in none. */
  readonly bandOfBin: Int32Array;
  readonly absThresh: Float64Array;
  readonly zwickerPower: Float64Array;
  readonly bandWidth: Float64Array;
  /** Sl · (absThresh / 0.5)^zwickerPower: the band-constant factor of the loudness law. */
  readonly loudnessFactor: Float64Array;
  /** sqrt(Σ bandWidth) (float32 sum in the reference; float64 here). */
  readonly sqrtTotalWidth: number;
  /** SLL mask over the `bins` bins, including the window power correction. */
  readonly sllMask: Float64Array;
}

const f32 = Math.fround;

function build(sampleRate: 8000 | 16000): PmsqeTables {
  const fftSize = sampleRate === 16000 ? 512 : 256;
  const bins = fftSize / 2 + 1;
  const bandRows = sampleRate === 16000 ? PMSQE_BARK_BANDS_16K : PMSQE_BARK_BANDS_8K;
  const bands = bandRows.length;
  const absThresh = Float64Array.from(PMSQE_ABS_THRESH_POWER.slice(0, bands), f32);
  const zwickerPower = Float64Array.from(PMSQE_MODIFIED_ZWICKER_POWER.slice(0, bands), f32);
  const bandWidth = Float64Array.from(PMSQE_BAND_WIDTH_BARK.slice(0, bands), f32);
  const loudnessFactor = new Float64Array(bands);
  let totalWidth = 0;
  for (let b = 0; b < bands; b++) {
    loudnessFactor[b] = PMSQE_SL * Math.pow(absThresh[b] / 0.5, zwickerPower[b]);
    totalWidth += bandWidth[b];
  }
  // The mask is a float32 array times a Python float: numpy multiplies in float32. A product of two
  // float32 values is exact in float64, so rounding it once reproduces numpy's result bit for bit.
  const correction = f32((PMSQE_SQRT_HANN_POWER_CORRECTION * (fftSize + 2)) / (fftSize * fftSize));
  const sllMask = new Float64Array(bins);
  sllMask[PMSQE_SLL_FIRST_BIN] = f32(f32(PMSQE_SLL_FIRST_WEIGHT) * correction);
  for (let k = PMSQE_SLL_FIRST_BIN + 1; k < PMSQE_SLL_LAST_BIN; k++) sllMask[k] = f32(correction);
  sllMask[PMSQE_SLL_LAST_BIN] = f32(PMSQE_SLL_LAST_WEIGHT * correction);
  const bandOfBin = new Int32Array(bins).fill(bands);
  bandRows.forEach(([first, last], b) => bandOfBin.fill(b, first, last + 1));
  return {
    sampleRate,
    fftSize,
    hop: fftSize / 2,
    bins,
    bands,
    sp: sampleRate === 16000 ? PMSQE_SP_16K : PMSQE_SP_8K,
    bandFirst: Int32Array.from(bandRows, (r) => r[0]),
    bandLast: Int32Array.from(bandRows, (r) => r[1]),
    bandWeight: Float64Array.from(bandRows, (r) => f32(r[2])),
    bandOfBin,
    absThresh,
    zwickerPower,
    bandWidth,
    loudnessFactor,
    sqrtTotalWidth: Math.sqrt(totalWidth),
    sllMask,
  };
}

const cache = new Map<number, PmsqeTables>();

/** The tables for 8 or 16 kHz (built once, shared, read-only), or null for any other rate. */
export function pmsqeTables(sampleRate: number): PmsqeTables | null {
  if (sampleRate !== 8000 && sampleRate !== 16000) return null;
  let t = cache.get(sampleRate);
  if (!t) {
    t = build(sampleRate);
    cache.set(sampleRate, t);
  }
  return t;
}

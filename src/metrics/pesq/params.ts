/**
 * The free parameters of the PESQ-like perceptual model: the numbers that P.862's text leaves open
 * (it names the quantity but prints no value, or the value lives only in the reference code's tables,
 * which we may not read). Every other constant of the model is the text's own and sits next to the
 * code that uses it.
 *
 * The values in use are fitted on ../shared/pesq-train by `npm run calibrate:pesq` (tools/calibrate-pesq.ts) and
 * committed in `calibration.ts`; `PARAMETER_SPECS` is what that tool fits (range, scale) and what
 * docs/pesq-like.md documents. `UNFITTED_PARAMS` are the values the model had before the calibration
 * (our first readings of the texts); the tool starts from them.
 */
import type { PesqMode } from './input-filter.js';

export interface PesqModelParams {
  /**
   * Offset of the absolute hearing threshold P0(f) from Terhardt's threshold in quiet, dB. P.862
   * §10.2.1.2 has its own threshold table, which its text does not print; this moves ours as a whole.
   */
  thresholdOffsetDb: number;
  /**
   * Rise of Zwicker's loudness exponent below 4 Bark, per Bark (γ = 0.23 + slope·(4 − z)). P.862 §10.2.5
   * and Beerends et al. 2002 say only that γ is "slightly" higher there (the recruitment effect).
   */
  lowBarkGammaSlope: number;
  /**
   * Memory of the first-order low-pass that smooths the gain-compensation ratio over frames
   * (P.862 §10.2.4: s_n = a·s_(n−1) + (1 − a)·r_n; the text names the filter, not its coefficient).
   * With a 16 ms hop, a = 0.2 follows gain changes within a frame or two; a = 0.8 averages over ~70 ms.
   */
  gainEqMemory: number;
  /**
   * The constant added to the reference frame's power in the frame weight
   * M_n = ((E_n + c)/10⁷)^−0.04 (P.862 §10.2.11: "power of original frame plus a constant"), on the
   * level-aligned 16-bit mean-square scale. It sets how much more a disturbance in the reference's
   * silences counts than one in its speech.
   */
  silenceWeightOffset: number;
  /**
   * W_f of the symmetric frame disturbance D_n = M_n·(Σ_f (|D(f)|·W_f)³)^⅓ in units of the band
   * width in Bark (P.862 §10.2.11: W_f is "proportional to the width of the modified Bark bins" with no
   * constant given).
   */
  symWidthScale: number;
  /** The same for the asymmetric frame disturbance DA_n = M_n·Σ_f |DA(f)|·W_f. */
  asymWidthScale: number;
}

export type PesqParamName = keyof PesqModelParams;

/** Values before any calibration: the readings of the texts the model started from. */
export const UNFITTED_PARAMS: Readonly<PesqModelParams> = {
  thresholdOffsetDb: 0,
  lowBarkGammaSlope: 0.01,
  gainEqMemory: 0.2,
  silenceWeightOffset: 1e5,
  symWidthScale: 1,
  asymWidthScale: 1,
};

export interface ParameterSpec {
  name: PesqParamName;
  /** Fitted separately per mode (nb, wb) or shared by both. */
  perMode: boolean;
  /** 'cell': acts on every time-frequency cell (the calibration reruns the cell stage); 'frame': per frame only. */
  level: 'cell' | 'frame';
  /** Search range; `log` parameters are searched on a log scale. */
  min: number;
  max: number;
  log: boolean;
  unit: string;
  meaning: string;
}

/** What the calibration fits. Ear properties are shared by both modes; the W_f scales are per mode. */
export const PARAMETER_SPECS: readonly ParameterSpec[] = [
  {
    name: 'thresholdOffsetDb',
    level: 'cell',
    perMode: false,
    min: -20,
    max: 20,
    log: false,
    unit: 'dB',
    meaning: 'offset of the hearing threshold P0(f) from Terhardt’s threshold in quiet',
  },
  {
    name: 'lowBarkGammaSlope',
    level: 'cell',
    perMode: false,
    min: 0,
    max: 0.1,
    log: false,
    unit: '1/Bark',
    meaning: 'rise of Zwicker’s exponent per Bark below 4 Bark',
  },
  {
    name: 'gainEqMemory',
    level: 'cell',
    perMode: false,
    min: 0,
    max: 0.95,
    log: false,
    unit: '',
    meaning: 'memory of the low-pass smoothing the short-term gain compensation over 16 ms frames',
  },
  {
    name: 'silenceWeightOffset',
    level: 'frame',
    perMode: false,
    min: 1,
    max: 1e8,
    log: true,
    unit: '(16-bit)²',
    meaning: 'constant added to the reference frame power in the silence weight M_n',
  },
  {
    name: 'symWidthScale',
    level: 'frame',
    perMode: true,
    min: 0.1,
    max: 50,
    log: true,
    unit: 'Bark width',
    meaning: 'W_f of the symmetric disturbance, in band widths (Bark)',
  },
  {
    name: 'asymWidthScale',
    level: 'frame',
    perMode: true,
    min: 0.05,
    max: 20,
    log: true,
    unit: 'Bark width',
    meaning: 'W_f of the asymmetric disturbance, in band widths (Bark)',
  },
];

export type PesqCalibration = Readonly<Record<PesqMode, Readonly<PesqModelParams>>>;

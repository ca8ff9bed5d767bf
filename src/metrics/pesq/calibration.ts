/**
 * Fitted parameters of the PESQ-like model (meanings and ranges: params.ts). GENERATED on
 * 2026-12-02 by `npm run calibrate:pesq` (= `npx tsx tools/calibrate-pesq.ts` --folds 5 --seed 1)
 * from ../shared/pesq-train/labels.json
 * (220 pairs; oracle: python-pesq commit 05f835a196ea1aea01e6d7e51c38a242e9049b64); do not edit by hand, rerun the tool.
 *
 * Agreement with P.862 on the calibration set (MOS-LQO; CV = each pair predicted by the fit on the
 * folds without its clean reference):
 * | mode | set | n | RMSE | Pearson | Spearman | bias |
 * |---|---|---|---|---|---|---|
 * | nb | unfitted | 220 | 0.992 | 0.981 | 0.963 | +0.848 |
 * | nb | train | 220 | 0.080 | 0.998 | 0.992 | +0.004 |
 * | nb | CV | 220 | 0.087 | 0.997 | 0.991 | +0.003 |
 * | wb | unfitted | 180 | 1.558 | 0.961 | 0.975 | +1.442 |
 * | wb | train | 180 | 0.092 | 0.997 | 0.993 | +0.006 |
 * | wb | CV | 180 | 0.106 | 0.996 | 0.992 | +0.007 |
 *
 * Parameters per fold (stability):
 * | parameter | all | fold 1 | fold 2 | fold 3 | fold 4 | fold 5 | spread |
 * |---|---|---|---|---|---|---|---|
 * | thresholdOffsetDb | -0.3065 | -0.2271 | -1.1 | -0.8209 | -1.082 | -0.4123 | ±0.436 |
 * | lowBarkGammaSlope | 0.004235 | 0.004218 | 0.005595 | 0.003652 | 0.003732 | 0.002688 | ±0.00145 |
 * | gainEqMemory | 0.3667 | 0.3707 | 0.3954 | 0.1736 | 0.3915 | 0.3926 | ±0.111 |
 * | silenceWeightOffset | 53310 | 221400 | 239100 | 55.92 | 60370 | 80330 | ×4280 |
 * | symWidthScale (nb) | 5.476 | 5.439 | 5.548 | 5.665 | 5.552 | 5.496 | ×1.04 |
 * | symWidthScale (wb) | 8.839 | 8.841 | 8.841 | 8.909 | 8.975 | 8.998 | ×1.02 |
 * | asymWidthScale (nb) | 0.828 | 0.8718 | 0.8287 | 0.8154 | 0.8125 | 0.8284 | ×1.07 |
 * | asymWidthScale (wb) | 1.249 | 1.346 | 1.251 | 1.221 | 1.247 | 1.247 | ×1.1 |
 */
import type { PesqCalibration } from './params.js';

export const PESQ_CALIBRATION: PesqCalibration = {
  nb: {
    thresholdOffsetDb: -0.306497,
    lowBarkGammaSlope: 0.00423463,
    gainEqMemory: 0.366704,
    silenceWeightOffset: 53305.6,
    symWidthScale: 5.47628,
    asymWidthScale: 0.827985,
  },
  wb: {
    thresholdOffsetDb: -0.306497,
    lowBarkGammaSlope: 0.00423463,
    gainEqMemory: 0.366704,
    silenceWeightOffset: 53305.6,
    symWidthScale: 8.83879,
    asymWidthScale: 1.24866,
  },
};

import { UNFITTED_PARAMS, type PesqCalibration } from './params.js';
export const PESQ_CALIBRATION: PesqCalibration = { nb: UNFITTED_PARAMS, wb: UNFITTED_PARAMS };

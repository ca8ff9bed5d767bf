/**
 * Input filters of the listening device, as power gains per FFT bin.
 *
 * - Narrowband (P.862 §10.1.2, "IRS receive"): P.862 filters both signals with the modified IRS receive
 *   characteristic of ITU-T P.830 Annex D, a handset-like band-pass. The tabulated response is not in
 *   the P.862 text we could read, so we use an IRS-like receive approximation: flat from 300 Hz to
 *   3.1 kHz, falling to −10 dB at 200 Hz and −30 dB at 100 Hz below, and to −3 dB at 3.4 kHz,
 *   −20 dB at 3.6 kHz and −60 dB at 4 kHz above (straight lines in dB over log frequency, the way the
 *   IRS masks of P.48 are drawn).
 * - Wideband (P.862.2 §2): the IRS receive filter is replaced by a filter that is flat above 100 Hz;
 *   below, we fall 24 dB per octave.
 *
 * P.862 filters the whole files with an FFT; we apply the same magnitude response to each analysis
 * frame's power spectrum, which is equivalent for responses this smooth compared with a 32 ms frame.
 */

export type PesqMode = 'nb' | 'wb';

/** (Hz, dB) breakpoints of the narrowband IRS-like receive response. */
const NB_RECEIVE_DB: readonly (readonly [number, number])[] = [
  [25, -80],
  [100, -30],
  [200, -10],
  [300, 0],
  [3100, 0],
  [3400, -3],
  [3600, -20],
  [4000, -60],
  [8000, -100],
];
/** (Hz, dB) breakpoints of the wideband response: flat above 100 Hz. */
const WB_RECEIVE_DB: readonly (readonly [number, number])[] = [
  [12.5, -72],
  [100, 0],
  [24000, 0],
];

function interpLogDb(points: readonly (readonly [number, number])[], f: number): number {
  if (f <= points[0][0]) return points[0][1];
  const last = points[points.length - 1];
  if (f >= last[0]) return last[1];
  for (let i = 1; i < points.length; i++) {
    const [f1, d1] = points[i];
    if (f <= f1) {
      const [f0, d0] = points[i - 1];
      const t = Math.log(f / f0) / Math.log(f1 / f0);
      return d0 + t * (d1 - d0);
    }
  }
  return last[1];
}

/** Power gain |H(f)|² per bin 0..N/2 for the mode's receive filter. */
export function receiveFilterPowerGains(mode: PesqMode, sampleRate: number, nfft: number): Float64Array {
  const pts = mode === 'nb' ? NB_RECEIVE_DB : WB_RECEIVE_DB;
  const g = new Float64Array(nfft / 2 + 1);
  for (let k = 0; k <= nfft / 2; k++) {
    const f = (k * sampleRate) / nfft;
    g[k] = k === 0 ? 0 : Math.pow(10, interpLogDb(pts, f) / 10);
  }
  return g;
}

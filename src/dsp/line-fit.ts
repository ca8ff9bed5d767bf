/** Two-sided 95 % critical values (P(|T| > t) = 0.05), same source. */
const T95 = [Infinity, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function tCritical95(dof: number): number {
  if (!(dof >= 1)) return Infinity;
  if (dof < T95.length) return T95[Math.floor(dof)];
  return dof < 60 ? 2.021 : dof < 120 ? 2.0 : 1.96;
}

/**
 * Two-sided 99.9 % critical values of Student's t distribution (t such that P(|T| > t) = 0.001 with
 * `dof` degrees of freedom), for deciding whether a fitted drift or fraction of a sample is real
 * when only a few estimates back it. Values from the standard tables (e.g. NIST/SEMATECH
 * e-Handbook §1.3.6.7.2); beyond 30 degrees of freedom the normal value's neighbourhood is used.
 */
const T999 = [Infinity, 636.62, 31.6, 12.92, 8.61, 6.869, 5.959, 5.408, 5.041, 4.781, 4.587, 4.437, 4.318, 4.221, 4.14, 4.073, 4.015, 3.965, 3.922, 3.883, 3.85, 3.819, 3.792, 3.768, 3.745, 3.725, 3.707, 3.69, 3.674, 3.659, 3.646];

export function tCritical999(dof: number): number {
  if (!(dof >= 1)) return Infinity;
  if (dof < T999.length) return T999[Math.floor(dof)];
  return dof < 60 ? 3.551 : dof < 120 ? 3.46 : 3.291;
}

export interface LineFit {
  /** Means of t and of d, Σ(t − mt)², slope, residual Σ(d − line)². */
  mt: number;
  md: number;
  stt: number;
  slope: number;
  ss: number;
}

/** Least-squares line d ≈ md + slope · (t − mt) through `n` points given by accessors. */
export function lineFit(n: number, t: (i: number) => number, d: (i: number) => number): LineFit {
  let mt = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    mt += t(i);
    md += d(i);
  }
  mt /= n;
  md /= n;
  let stt = 0;
  let std = 0;
  for (let i = 0; i < n; i++) {
    stt += (t(i) - mt) ** 2;
    std += (t(i) - mt) * (d(i) - md);
  }
  const slope = stt > 0 ? std / stt : 0;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (d(i) - md - slope * (t(i) - mt)) ** 2;
  return { mt, md, stt, slope, ss };
}

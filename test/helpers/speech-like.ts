/**
 * Speech-like test signal: a voiced source (harmonics of a gliding 110–150 Hz pitch with a spectral
 * tilt) under a 4 Hz syllable envelope with pauses, as STOI needs modulated speech energy. No
 * imports, so browser test pages can bundle it too; `rnd` (uniform in [0, 1)) adds a faint noise floor.
 */
export function speechLike(n: number, rate: number, rnd: () => number): Float64Array {
  const out = new Float64Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const f0 = 130 + 20 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * f0) / rate;
    let v = 0;
    for (let h = 1; h <= 25; h++) v += Math.sin(h * phase + h) / h;
    const syllable = Math.max(0, Math.sin(2 * Math.PI * 4 * t)) ** 2;
    const pause = t % 1.2 < 0.2 ? 0 : 1;
    out[i] = 0.25 * syllable * pause * v + 0.002 * (rnd() - 0.5);
  }
  return out;
}

import { describe, expect, it } from 'vitest';
import { PARAMETER_SPECS, UNFITTED_PARAMS } from '../../src/metrics/pesq/params.js';
import { type Item, SLOTS, foldsByReference, paramsOf, unfittedCoords } from '../../tools/calibrate-pesq.js';

/** Items of the shape the fold split reads: a clean reference and the rate of its model. */
function fakeItems(): Item[] {
  const items: Item[] = [];
  for (let r = 0; r < 23; r++) {
    const fs = r < 17 ? 16000 : 8000;
    // Several degraded files (and both modes at 16 kHz) per reference, as in the calibration set.
    for (let d = 0; d < 3; d++) {
      for (const mode of fs === 16000 ? (['nb', 'wb'] as const) : (['nb'] as const)) {
        items.push({ id: `r${r}.${d}`, ref: `r${r}.ref.wav`, condition: '', mode, gold: 3, prepared: { mode, model: { sampleRate: fs }, frames: {} } } as unknown as Item);
      }
    }
  }
  return items;
}

describe('tools/calibrate-pesq.ts', () => {
  it('folds by clean reference: no reference is in two folds, and each rate is spread evenly', () => {
    const items = fakeItems();
    const k = 5;
    const fold = foldsByReference(items, k, 1);
    const refs = new Set(items.map((i) => i.ref));
    expect(fold.size).toBe(refs.size);
    for (const f of fold.values()) expect(f >= 0 && f < k).toBe(true);
    for (let v = 0; v < k; v++) {
      const train = new Set(items.filter((i) => fold.get(i.ref) !== v).map((i) => i.ref));
      const validation = new Set(items.filter((i) => fold.get(i.ref) === v).map((i) => i.ref));
      for (const r of validation) expect(train.has(r)).toBe(false);
    }
    // Round-robin within each rate after the shuffle: fold sizes differ by at most one reference.
    const per = new Array<number>(k).fill(0);
    for (const f of fold.values()) per[f]++;
    expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    // Seeded: the same split every run.
    expect([...foldsByReference(items, k, 1)]).toEqual([...fold]);
  });

  it('the search coordinates map back to the unfitted parameters, and every spec has its slots', () => {
    const p = paramsOf(unfittedCoords());
    for (const mode of ['nb', 'wb'] as const) {
      for (const [name, v] of Object.entries(UNFITTED_PARAMS)) expect(p[mode][name as keyof typeof UNFITTED_PARAMS]).toBeCloseTo(v, 9);
    }
    expect(SLOTS.length).toBe(PARAMETER_SPECS.reduce((n, s) => n + (s.perMode ? 2 : 1), 0));
    expect(SLOTS.length).toBeLessThanOrEqual(12);
  });
});

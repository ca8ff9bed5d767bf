import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const RIG_DIR = new URL('../../src/rig/', import.meta.url);

describe('src/rig boundaries', () => {
  it('imports nothing from src/cli (the CLI builds on the rig, not the other way round)', () => {
    const offenders: string[] = [];
    for (const file of readdirSync(RIG_DIR).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(new URL(file, RIG_DIR), 'utf8');
      for (const m of source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (/(^|\/)cli\//.test(m[1])) offenders.push(`${file}: ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

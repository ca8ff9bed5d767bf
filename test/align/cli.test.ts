/**
 * `earshot analyze` alignment as a new user meets it (issue 11): a deg padded with 2 s of silence, a
 * deg that leads by 1.5 s on a 60 s file, an unrelated deg, --align integer and --max-delay.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { encodeWavPcm16, readWav } from '../../src/io/wav.js';
import { casePath, corpusAvailable, goldenCase } from '../helpers/corpus.js';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'earshot-align-'));
function wav(name: string, x: Float64Array, fs: number): string {
  const p = join(tmp, name);
  writeFileSync(p, encodeWavPcm16([x], fs));
  return p;
}

describe('earshot analyze: alignment', () => {
  it('a deg padded with 2 s of silence (sox pad 2 0) is found 2 s + its own 12 ms late and scores as the unpadded one', async () => {
    const deg = readWav('examples/audio/hello.deg.wav');
    const fs = deg.sampleRate;
    const padded = new Float64Array(deg.channels[0].length + 2 * fs);
    padded.set(deg.channels[0], 2 * fs);
    const path = wav('padded.wav', padded, fs);
    const a = JSON.parse((await run('analyze', 'examples/audio/hello.ref.wav', 'examples/audio/hello.deg.wav', '--json', '--metrics', 'stoi,sisdr')).stdout);
    const r = await run('analyze', 'examples/audio/hello.ref.wav', path, '--json', '--metrics', 'stoi,sisdr');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const b = JSON.parse(r.stdout);
    expect(Math.abs(b.delayMs - 2012)).toBeLessThan(0.05);
    expect(b.stoi).toBe(a.stoi);
    expect(b.sisdr).toBe(a.sisdr);
    const table = await run('analyze', 'examples/audio/hello.ref.wav', path, '--metrics', 'stoi');
    expect(table.stdout).toMatch(/delay 2012\.000 ms/);
  });

  it('--align integer gives whole samples; --max-delay must be a number of seconds', async () => {
    const r = JSON.parse((await run('analyze', 'examples/audio/hello.ref.wav', 'examples/audio/hello.deg.wav', '--json', '--metrics', 'sisdr', '--align', 'integer')).stdout);
    expect(Number.isInteger((r.delayMs * 16000) / 1000)).toBe(true);
    expect(r.driftPpm).toBe(0);
    const bad = await run('analyze', 'examples/audio/hello.ref.wav', 'examples/audio/hello.deg.wav', '--max-delay', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-delay must be a non-negative number of seconds, got "soon"/);
  });
});

describe.runIf(corpusAvailable)('earshot analyze: alignment on corpus speech', () => {
  it('a deg that leads ref by 1.5 s on a 60 s file: −1500 ms, no polarity note', async () => {
    const c = goldenCase('p40_long60s_pink5db');
    const ref = readWav(casePath(c, 'ref')).channels[0];
    const path = wav('leads.wav', ref.slice(24000), 16000);
    const r = await run('analyze', casePath(c, 'ref'), path, '--metrics', 'sisdr', '--json');
    const j = JSON.parse(r.stdout);
    expect(j.delayMs).toBe(-1500);
    const t = await run('analyze', casePath(c, 'ref'), path, '--metrics', 'sisdr');
    expect(t.stdout).toMatch(/deg leads ref by 24000\.000 samples \(1500\.000 ms\): compensated/);
    expect(t.stdout).not.toMatch(/inverted polarity/);
  });

  it('an unrelated deg: delayMs null with reasons.delay, a warning on stderr, the table says so', async () => {
    const ref = casePath(goldenCase('p05_white_20db'), 'ref');
    const other = casePath(goldenCase('p09_brown_10db'), 'ref');
    const r = await run('analyze', ref, other, '--json', '--metrics', 'sisdr');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.delayMs).toBeNull();
    expect(j.driftPpm).toBeNull();
    expect(j.delayTrack).toBeNull();
    expect(j.reasons.delay).toMatch(/no clear correlation peak/);
    expect(r.stderr).toMatch(/^earshot: warning: delay not compensated \(no clear correlation peak/m);
    const t = await run('analyze', ref, other, '--metrics', 'sisdr');
    expect(t.stdout).toMatch(/delay not compensated \(no clear correlation peak/);
  });
});

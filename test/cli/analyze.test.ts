import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { main } from '../../src/cli/main.js';
import { encodeWavPcm16 } from '../../src/io/wav.js';
import { casePath, corpusAvailable, goldenCase, goldenCases } from '../helpers/corpus.js';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const METRICS = ['snr', 'segsnr', 'sisdr', 'cisdr', 'wsdr', 'sasdr', 'stoi', 'estoi', 'lsd', 'cosine', 'mse', 'pmsqe', 'pesq', 'pesqRaw', 'csig', 'cbak', 'covl', 'llr', 'wss', 'fwsegsnr', 'featdist', 'mfccdist', 'qindex'];
const REFERENCE_FREE = ['speechActivity', 'speechLevelDb', 'noiseFloorDb', 'noiseAttenuationDb', 'speechLevelChangeDb', 'clippingRatio', 'dcOffset', 'dropouts', 'repeatedFrames', 'wadaSnrDb'];
const JSON_KEYS = [...METRICS, ...REFERENCE_FREE, 'dropoutTimes', 'repeatedFrameTimes', 'reasons', 'sampleRate', 'durationSec', 'delayMs', 'driftPpm', 'delayTrack'];
const tmp = mkdtempSync(join(tmpdir(), 'earshot-cli-'));
const speechish = Float64Array.from({ length: 32000 }, (_, i) => 0.3 * Math.sin(i * 0.05) * Math.sin(i * 0.0007) + 0.05 * Math.sin(i * 0.9));
function file(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}
const okRef = file('ok.ref.wav', encodeWavPcm16([speechish], 16000));

describe('earshot analyze --metrics', () => {
  const hello = ['examples/audio/hello.ref.wav', 'examples/audio/hello.deg.wav', '--noisy', 'examples/audio/hello.noisy.wav', '--json'];
  it('computes only the listed metrics, with the values of the full run; the rest are null, "not requested"', async () => {
    const full = JSON.parse((await run('analyze', ...hello)).stdout);
    const r = await run('analyze', ...hello, '--metrics', 'stoi,estoi,sisdr');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual([...JSON_KEYS].sort());
    for (const k of ['stoi', 'estoi', 'sisdr']) expect(j[k]).toBe(full[k]);
    for (const k of [...METRICS, ...REFERENCE_FREE].filter((k) => !['stoi', 'estoi', 'sisdr'].includes(k))) {
      expect(j[k], k).toBeNull();
      expect(j.reasons[k], k).toBe('not requested (--metrics)');
    }
  });

  it('a composite brings what it is computed from, and reports only itself', async () => {
    const full = JSON.parse((await run('analyze', ...hello)).stdout);
    const j = JSON.parse((await run('analyze', ...hello, '--metrics', 'covl')).stdout);
    expect(j.covl).toBe(full.covl);
    expect(j.pesq).toBeNull();
  });

  it('an unknown key is a usage error (exit 2) naming it', async () => {
    const r = await run('analyze', ...hello, '--metrics', 'stoi,nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown metric "nope"');
  });

  it('earshot metrics and --list-metrics list every key with unit, direction and reference', async () => {
    const a = await run('metrics');
    const b = await run('analyze', '--list-metrics');
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    for (const k of [...METRICS, ...REFERENCE_FREE]) expect(a.stdout).toMatch(new RegExp(`^${k} `, 'm'));
    expect(a.stdout).toContain('pystoi 0.4.1');
    const j = JSON.parse((await run('metrics', '--json')).stdout);
    expect(j.map((d: { key: string }) => d.key)).toEqual([...METRICS, ...REFERENCE_FREE]);
  });
});

describe('earshot analyze: output', () => {
  it('--json prints exactly the documented keys', async () => {
    const r = await run('analyze', 'examples/audio/hello.ref.wav', 'examples/audio/hello.deg.wav', '--noisy', 'examples/audio/hello.noisy.wav', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual([...JSON_KEYS].sort());
    for (const k of METRICS) {
      expect(j[k] === null || Number.isFinite(j[k])).toBe(true);
      if (j[k] === null) expect(typeof j.reasons[k]).toBe('string');
    }
    expect(j.delayMs).toBeCloseTo(12, 6); // the example's deg is made 12 ms late (tools/make-example-audio.ts)
    expect(j.wsdr).toBeLessThan(0);
  });

  it('--deg alone gives the reference-free measures, every reference-based key null with a reason', async () => {
    const r = await run('analyze', '--deg', 'examples/audio/hello.deg.wav', '--noisy', 'examples/audio/hello.noisy.wav', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual([...JSON_KEYS].sort());
    for (const k of METRICS) {
      expect(j[k]).toBeNull();
      expect(j.reasons[k]).toMatch(/needs a clean reference/);
    }
    // The example's "denoiser" attenuates the noise by 10 dB (tools/make-example-audio.ts); the
    // pause-based estimate sees the same order (docs/reference-free.md gives its accuracy).
    expect(j.noiseAttenuationDb).toBeGreaterThan(5);
    expect(j.noiseAttenuationDb).toBeLessThan(15);
    expect(j.delayMs).toBe(12);
    for (const k of REFERENCE_FREE) expect(j[k] === null || Number.isFinite(j[k])).toBe(true);
  });

  it('prints a table with units, directions and reasons', async () => {
    const r = await run('analyze', 'examples/audio/hello.ref.wav', 'examples/audio/hello.deg.wav');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SI-SDR\s+[\d.]+\s+dB\s+higher/);
    expect(r.stdout).toMatch(/wSDR loss\s+—\s+lower\s+needs the noisy input/);
    expect(r.stdout).toMatch(/delay 12\.000 ms/);
  });

  it('scores the common length of files of different lengths and says so', async () => {
    const short = file('short.wav', encodeWavPcm16([speechish.subarray(0, 20000)], 16000));
    const r = await run('analyze', okRef, short, '--json', '--align', 'off');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).durationSec).toBe(20000 / 16000);
    const t = await run('analyze', okRef, short, '--align', 'off');
    expect(t.stdout).toMatch(/inputs differ in length \(32000, 20000 samples\): scoring the common 20000 samples/);
  });

  it('resamples deg to the reference rate and says so', async () => {
    const x8 = Float64Array.from({ length: 16000 }, (_, i) => speechish[2 * i]);
    const deg8 = file('deg8k.wav', encodeWavPcm16([x8], 8000));
    const r = await run('analyze', okRef, deg8);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/resampled from 8000 Hz to the reference rate 16000 Hz/);
  });

  it('reads the requested channel of a multichannel file', async () => {
    const w = new wavefile.WaveFile();
    const ints = (x: Float64Array) => Int16Array.from(x, (v) => Math.round(v * 32768));
    w.fromScratch(2, 16000, '16', [ints(new Float64Array(32000)), ints(speechish)]);
    const stereo = file('stereo.wav', w.toBuffer());
    const r = await run('analyze', okRef, stereo, '--channel', '1', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).snr).toBeNull(); // identical to ref: perfect
    expect(JSON.parse(r.stdout).reasons.snr).toMatch(/^perfect/);
    const bad = await run('analyze', okRef, stereo, '--channel', '2');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/stereo\.wav: channel 2 does not exist/);
  });
});

describe('earshot analyze: bad input gives exit code 1 or 2 and one line naming the file', () => {
  const zero = file('zero.wav', encodeWavPcm16([new Float64Array(32000)], 16000));
  const f32 = (vals: number[]) => {
    const w = new wavefile.WaveFile();
    w.fromScratch(1, 16000, '32f', vals);
    return w.toBuffer();
  };
  const cases: [string, () => string[], number, RegExp][] = [
    ['missing file', () => ['analyze', okRef, join(tmp, 'nope.wav')], 1, /nope\.wav: no such file/],
    ['not a WAV', () => ['analyze', okRef, file('text.wav', new TextEncoder().encode('just some text, definitely not audio'))], 1, /text\.wav: not a WAV file/],
    ['truncated header', () => ['analyze', file('trunc.wav', encodeWavPcm16([speechish], 16000).subarray(0, 30)), okRef], 1, /trunc\.wav: corrupt WAV header/],
    ['zero-length data', () => ['analyze', okRef, file('empty.wav', encodeWavPcm16([new Float64Array(0)], 16000))], 1, /empty\.wav: WAV holds no audio/],
    ['all-zero ref', () => ['analyze', zero, okRef], 1, /zero\.wav: reference is silent/],
    ['NaN samples', () => ['analyze', okRef, file('nan.wav', f32([0.1, NaN, 0.2]))], 1, /nan\.wav: sample 1 of channel 0 is NaN/],
    ['Inf samples', () => ['analyze', okRef, file('inf.wav', f32([0.1, -Infinity]))], 1, /inf\.wav: sample 1 of channel 0 is -Infinity/],
    ['a directory', () => ['analyze', okRef, tmp], 1, /is a directory/],
    ['no files', () => ['analyze'], 2, /expected REF and DEG/],
    ['one file', () => ['analyze', okRef], 2, /expected two files \(REF DEG\), got 1/],
    ['bad --align', () => ['analyze', okRef, okRef, '--align', 'sideways'], 2, /--align must be auto, integer or off, got "sideways"/],
    ['unknown option', () => ['analyze', okRef, okRef, '--frobnicate'], 2, /frobnicate/],
    ['unknown command', () => ['analyse', okRef, okRef], 2, /unknown command "analyse"/],
    ['unequal --ref/--deg counts', () => ['analyze', '--ref', okRef, '--ref', okRef, '--deg', okRef], 2, /as many --deg as --ref/],
  ];
  for (const [name, argv, code, message] of cases) {
    it(name, async () => {
      const r = await run(...argv());
      expect(r.code).toBe(code);
      const first = r.stderr.split('\n')[0];
      expect(first).toMatch(/^earshot: /);
      expect(first).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stdout).toBe('');
    });
  }

  it('an all-zero deg is scored (STOI 0, SNR 0 dB) with a warning, and never NaN', async () => {
    const r = await run('analyze', okRef, zero, '--json', '--align', 'auto');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/zero\.wav is silent/);
    const j = JSON.parse(r.stdout);
    expect(j.snr).toBeCloseTo(0, 12);
    for (const k of METRICS) if (j[k] === null) expect(j.reasons[k]).toBeTruthy();
    for (const k of METRICS) expect(j[k] === null || Number.isFinite(j[k])).toBe(true);
  });
});

describe.runIf(corpusAvailable)('earshot analyze on the corpus', () => {
  it('--align off reproduces the golden values of a single-source case', async () => {
    const c = goldenCase('p24_specsub_white5db');
    const r = await run('analyze', casePath(c, 'ref'), casePath(c, 'deg'), '--noisy', casePath(c, 'noisy'), '--align', 'off', '--json');
    const j = JSON.parse(r.stdout);
    // Tolerances as in the per-metric tests (test/metrics/*.test.ts), which explain them: the CLI
    // must not lose anything the accumulators agree to.
    expect(Math.abs(j.snr - (c.metrics.snr.value as number))).toBeLessThan(1e-12);
    expect(Math.abs(j.sisdr - (c.metrics.si_sdr.value as number))).toBeLessThan(1e-11 + 1e-14 * 10 ** ((c.metrics.si_sdr.value as number) / 10));
    expect(Math.abs(j.cisdr - (c.metrics.ci_sdr.value as number))).toBeLessThan(1e-6);
    expect(Math.abs(j.stoi - (c.metrics.stoi.value as number))).toBeLessThan(1e-9);
    expect(Math.abs(j.estoi - (c.metrics.estoi.value as number))).toBeLessThan(1e-9);
    expect(Math.abs(j.wsdr - (c.metrics.wsdr.value as number))).toBeLessThan(1e-12);
    expect(Math.abs(j.segsnr - (c.metrics.segsnr.value as number))).toBeLessThan(1e-9);
    expect(j.delayMs).toBeNull();
  });

  for (const c of corpusAvailable ? goldenCases().filter((x) => x.condition.type === 'delay') : []) {
    it(`--align auto makes the pure delay ${c.name} score like identical files`, async () => {
      const r = await run('analyze', casePath(c, 'ref'), casePath(c, 'deg'), '--json');
      const j = JSON.parse(r.stdout);
      expect(Math.abs(j.delayMs - (c.condition.delay_ms as number))).toBeLessThan(0.1);
      expect(j.stoi).toBeGreaterThan(0.99);
    });
  }

  it('several speakers: arrays in ref order, estimates matched by the best SA-SDR permutation', async () => {
    const c = goldenCase('p39_2spk_swapped');
    const r = await run('analyze', '--ref', casePath(c, 'ref0'), '--ref', casePath(c, 'ref1'), '--deg', casePath(c, 'est0'), '--deg', casePath(c, 'est1'), '--align', 'off', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual([...JSON_KEYS, 'permutation'].sort());
    expect(j.permutation).toEqual(c.metrics.bss_eval.perm);
    expect(Math.abs(j.sasdr - (c.metrics.sa_sdr_best_permutation.value as number))).toBeLessThan(1e-6);
    expect(j.stoi).toHaveLength(2);
    expect(j.wsdr).toEqual([null, null]);
    // mir_eval's bss_eval SDR per true source (its permutation agrees with ours, checked above).
    (c.metrics.bss_eval.sdr as unknown as number[]).forEach((v, k) => expect(Math.abs(j.cisdr[k] - v)).toBeLessThan(1e-3));
  });
});

describe.runIf(corpusAvailable)('earshot analyze --threads', () => {
  it('spreads one file over threads with exactly the single-thread values (60 s corpus pair)', async () => {
    const c = goldenCase('p41_long60s_specsub_white10db');
    const args = ['analyze', casePath(c, 'ref'), casePath(c, 'deg'), '--json'];
    const one = await run(...args, '--threads', '1');
    const two = await run(...args, '--threads', '2');
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(JSON.parse(two.stdout)).toEqual(JSON.parse(one.stdout));
  });

  it('rejects a bad --threads', async () => {
    const r = await run('analyze', 'examples/audio/hello.ref.wav', 'examples/audio/hello.deg.wav', '--threads', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--threads must be auto or a positive integer');
  });
});

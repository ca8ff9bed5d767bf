/**
 * `earshot rig` end to end: real OfflineAudioContexts (node-web-audio-api), the real capture worklet,
 * the example processors and deliberately broken ones (test/rig/fixtures). One file, so the renders
 * run one after another.
 *
 * Per-quantum times are wall-clock, so no test here asserts on measured times. Where the budget is
 * not the subject, ANY_OVERRUNS allows every quantum to overrun, so a loaded machine cannot turn a
 * verdict; the budget logic itself is tested on an injected clock (fixtures/virtual-cost.worklet.js).
 * The processors' real cost is measured by `npm run bench` (bench/worklet-cost.ts).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PASSTHROUGH_WARNING } from '../../src/rig/run.js';
import { gateMetrics } from '../../src/rig/thresholds.js';
import { HELLO, json, rig, RIG_TIMEOUT_MS, speech, tmp, whiteNoise, writeWav } from './helpers.js';

const FIX = 'test/rig/fixtures';
/** The budget is not the subject: overruns (wall-clock) may not decide the verdict. */
const ANY_OVERRUNS = ['--max-overruns', '100%'];
/** Pass-through at a fixed cost per call on a virtual clock: exact per-quantum times. */
const virtualCost = (costMs: number, every = 1) => ['--processor', join(FIX, 'virtual-cost.worklet.js'), '--options', JSON.stringify({ costMs, every })];
let clean1: string; // 1.5 s of speech
let cleanShort: string; // 0.5 s of speech
let noise: string; // 1 s of white noise (looped by the rig)

beforeAll(() => {
  clean1 = writeWav('clean-1.5s.wav', speech(0.5, 1.5));
  cleanShort = writeWav('clean-0.5s.wav', speech(1, 0.5));
  noise = writeWav('white.wav', whiteNoise(16000, 11));
});

describe('earshot rig: usage', () => {
  const usage = async (argv: string[], message: RegExp) => {
    await expect(rig(argv)).rejects.toMatchObject({ code: 'ERR_USAGE', message: expect.stringMatching(message) });
  };
  it('rejects missing or conflicting inputs with ERR_USAGE (exit code 2 in the CLI)', async () => {
    await usage(['--clean', HELLO, '--noise', HELLO], /expected --processor/);
    await usage(['--processor', 'examples/passthrough.worklet.js', '--noise', HELLO], /expected --clean/);
    await usage(['--processor', 'examples/passthrough.worklet.js', '--clean', HELLO], /one of --noise .* or --noisy/);
    await usage(['--processor', 'examples/passthrough.worklet.js', '--clean', HELLO, '--noise', HELLO, '--noisy', HELLO], /one of --noise/);
    await usage(['--processor', 'examples/passthrough.worklet.js', '--clean', HELLO, '--noisy', HELLO, '--snr', '5'], /--snr applies to --noise/);
    await usage(['--processor', 'examples/passthrough.worklet.js', '--clean-dir', tmp], /both --clean-dir and --noise-dir/);
    await usage(['--processor', 'examples/passthrough.worklet.js', '--clean-dir', tmp, '--noise-dir', tmp, '--clean', HELLO], /replace --clean/);
  });

  it('rejects malformed values with a message naming the flag', async () => {
    const base = ['--processor', 'examples/passthrough.worklet.js', '--clean', HELLO, '--noise', HELLO];
    await usage([...base, '--snr', '5,,0'], /--snr: expected comma-separated numbers/);
    await usage([...base, '--snr', '5,5'], /--snr: each SNR once/);
    await usage([...base, '--options', '{bad'], /--options: not valid JSON/);
    await usage([...base, '--options', '[1]'], /--options: expected a JSON object/);
    await usage([...base, '--rate', '96000'], /--rate: expected an integer sample rate in 8000..48000/);
    await usage([...base, '--quantum-budget', '0'], /--quantum-budget: expected a number in \(0, 10\]/);
    await usage([...base, '--max-overruns', 'some'], /--max-overruns: expected a count/);
    await usage([...base, '--fail-below', 'sisdr_gain=3'], /--fail-below: unknown key "sisdr_gain"/);
    await usage([...base, '--fail-above', 'delay_ms=soon'], /--fail-above: delay_ms needs a number/);
    await usage([...base, '--report', 'out.txt'], /--report: expected a \.html file name/);
    await usage([...base, 'extra.wav'], /unexpected argument "extra.wav"/);
    await usage([...base, '--option-file', 'wasmBinary'], /--option-file: expected KEY=PATH like wasmBinary=rnnoise\.wasm, got "wasmBinary"/);
    await usage([...base, '--option-wasm', '=x.wasm'], /--option-wasm: expected KEY=PATH/);
    await usage([...base, '--option-file', `a=${HELLO}`, '--option-file', `a=${HELLO}`], /key "a" given twice/);
  });

  it('option files must exist, and an --option-wasm file must be WebAssembly (exit code 1)', async () => {
    const base = ['--processor', 'examples/passthrough.worklet.js', '--clean', HELLO, '--noise', HELLO];
    await expect(rig([...base, '--option-file', 'wasmBinary=no/such.wasm'])).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND', message: '--option-file wasmBinary=no/such.wasm: no such file' });
    await expect(rig([...base, '--option-wasm', `m=${HELLO}`])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/not a valid WebAssembly module/) });
    await expect(rig([...base, '--setup', 'no/such.setup.js'])).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND' });
  });

  it('a missing processor file is bad input (ERR_FILE_NOT_FOUND: exit code 1), not a usage error', async () => {
    await expect(rig(['--processor', 'no/such.worklet.js', '--clean', HELLO, '--noise', HELLO])).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND' });
  });

  it('--help prints the usage', async () => {
    const r = await rig(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/earshot rig --processor FILE\.js/);
    expect(r.stdout).toMatch(/Exit codes: 0 pass, 1 broken processor or bad input, 2 usage error, 3 a gate failed/);
  });
});

describe('earshot rig: example processors', () => {
  it(
    'passthrough: delay 0 (constant), every delta exactly 0, exit 0',
    async () => {
      const r = await rig(['--processor', 'examples/passthrough.worklet.js', '--clean', clean1, '--noise', noise, '--snr', '5,0', '--json', ...ANY_OVERRUNS]);
      expect(r.code).toBe(0);
      const j = json(r);
      expect(j).toMatchObject({ name: 'passthrough', sampleRate: 16000, quantumMs: 8, delaySamples: 0, delayMs: 0, delayConstant: true, verdict: 'pass', exitCode: 0 });
      expect(j.problems).toEqual([]);
      // Bit-identical output: a warning (not a problem: the verdict stays pass), per condition and overall.
      expect(j.warnings).toEqual([PASSTHROUGH_WARNING]);
      expect(PASSTHROUGH_WARNING).toMatch(/^the processor passed its input through unchanged/);
      expect(j.conditions.map((c: { warnings: string[] }) => c.warnings)).toEqual([[PASSTHROUGH_WARNING], [PASSTHROUGH_WARNING]]);
      expect(j.conditions.map((c: { snr: number }) => c.snr)).toEqual([5, 0]);
      for (const c of j.conditions) {
        // Input SNR as mixed: exact in float64; the capture carries Float32 samples, whose rounding
        // (relative 2^-24) moves the SNR by ~1e-6 dB, far inside 1e-4.
        expect(c.noisy.snr).toBeCloseTo(c.snr, 4);
        // Keys of `earshot analyze --json` for both, and a delta for every metric.
        expect(Object.keys(c.processed)).toEqual(Object.keys(c.noisy));
        expect(Object.keys(c.delta)).toEqual(gateMetrics()); // reference metrics, then reference-free numbers
        for (const k of gateMetrics()) expect(k in c.noisy).toBe(true);
        // The output is the input sample for sample, so both analyses see identical arrays: each
        // delta is exactly 0 (tolerance 0), or null where the metric is undefined for both.
        for (const k of gateMetrics()) {
          if (c.noisy[k] === null) expect(c.delta[k]).toBeNull();
          else expect(c.delta[k]).toBe(0);
        }
        expect(c.delayHalves).toEqual([0, 0]);
      }
      // ~1.5 s at 16 kHz: 188 quanta per condition, every one timed.
      expect(j.quantum.quanta).toBe(2 * Math.ceil((1.5 * 16000) / 128));
      expect(j.quantum.p99).toBeLessThanOrEqual(j.quantum.max);
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'fixed delay: the delay is found exactly (37 and 480 samples), constant over both halves',
    async () => {
      for (const d of [37, 480]) {
        const r = await rig(['--processor', 'examples/fixed-delay.worklet.js', '--options', JSON.stringify({ delaySamples: d }), '--clean', clean1, '--noise', noise, '--snr', '10', '--json', ...ANY_OVERRUNS]);
        const j = json(r);
        expect(j.delaySamples).toBe(d);
        expect(j.delayMs).toBe((1000 * d) / 16000);
        expect(j.delayConstant).toBe(true);
        expect(j.conditions[0].delayHalves).toEqual([d, d]);
        expect(j.conditions[0].processed.delayMs).toBe((1000 * d) / 16000); // analyze compensated the same delay
        expect(j.options).toEqual({ delaySamples: d });
        expect(j.warnings).toEqual([]); // a delayed copy is not the input unchanged
        expect(r.code).toBe(0);
      }
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'spectral subtraction on speech in white noise: SI-SDR up by more than 3 dB, delay = fftSize, gates pass',
    async () => {
      const speechNoise = writeWav('white-long.wav', whiteNoise(3 * 16000, 5));
      const r = await rig([
        '--processor', 'examples/spectral-subtraction.worklet.js', '--clean', HELLO, '--noise', speechNoise, '--snr', '5,0',
        '--fail-below', 'sisdr_delta=3,estoi_delta=0', '--fail-above', 'delay_ms=40', '--json',
        ...ANY_OVERRUNS,
      ]);
      const j = json(r);
      expect(j.problems).toEqual([]);
      for (const c of j.conditions) {
        expect(c.delta.sisdr).toBeGreaterThan(3);
        expect(c.delta.estoi).toBeGreaterThan(0);
        expect(c.delta.snr).toBeGreaterThan(3);
      }
      expect(j.delaySamples).toBe(512); // documented latency: exactly fftSize (512 at 16 kHz)
      expect(j.delayConstant).toBe(true);
      expect(j.checks.filter((c: { pass: boolean }) => !c.pass)).toEqual([]);
      expect(j.checks.map((c: { key: string }) => c.key)).toEqual(['sisdr_delta', 'sisdr_delta', 'estoi_delta', 'estoi_delta', 'delay_ms', 'overruns']);
      expect(r.code).toBe(0);
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'a failed gate: exit code 3, a FAIL line and the verdict',
    async () => {
      const r = await rig(['--processor', 'examples/passthrough.worklet.js', '--clean', clean1, '--noise', noise, '--snr', '5', '--fail-below', 'sisdr_delta=1', '--fail-above', 'lsd=100', ...ANY_OVERRUNS]);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/FAIL {2}sisdr_delta ≥ 1 at 5 dB: 0/);
      expect(r.stdout).toMatch(/pass {2}lsd ≤ 100 at 5 dB: /);
      expect(r.stdout).toMatch(/Verdict: FAIL \(a gate failed\) at 16000 Hz \(--rate\), exit code 3/);
      expect(r.stdout).toContain(`\nwarning: ${PASSTHROUGH_WARNING}\n`);
      expect(r.stdout).toMatch(/Latency {3}0 samples = 0\.000 ms, constant \(first \/ second half: 5 dB: 0 \/ 0\)/);
      expect(r.stdout).toMatch(/Quality at input SNR 5 dB\n {2}metric +unit +better +noisy +processed +delta/);
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'budget on an injected clock: a processor over its share of each quantum overruns and fails; within a larger budget it passes',
    async () => {
      const quanta = Math.ceil(16000 / 128);
      const quantumMs = (128 * 1000) / 16000;
      // 80 % of the 8 ms quantum in every call, by the virtual clock the wrapper reads: every one of
      // the 125 quanta is over the default budget (50 %), far past the allowance of 1.
      const r = await rig([...virtualCost(0.8 * quantumMs), '--clean', writeWav('clean-1s.wav', speech(1, 1)), '--noise', noise, '--snr', '5', '--json']);
      const j = json(r);
      expect(j.quantum.quanta).toBe(quanta);
      // Exact but for the virtual clock's float64 sums (~1e-15 of a quantum).
      for (const k of ['p50', 'p99', 'max', 'mean'] as const) expect(j.quantum[k]).toBeCloseTo(0.8, 12);
      expect(j.quantum.overruns).toBe(quanta);
      expect(j.checks).toContainEqual({ key: 'overruns', op: '<=', limit: 1, value: quanta, pass: false });
      expect(j.verdict).toBe('fail');
      expect(r.code).toBe(3);
      // 30 % of the quantum in every 4th call (16 of 63 quanta): over a 25 % budget, under a 90 % one.
      const over = json(await rig([...virtualCost(0.3 * quantumMs, 4), '--clean', cleanShort, '--noise', noise, '--snr', '5', '--quantum-budget', '0.25', '--json']));
      expect(over.quantum).toMatchObject({ quanta: 63, overruns: 16, budget: 0.25 });
      expect(over.quantum.p50).toBe(0); // 47 of 63 calls cost nothing
      expect(over.verdict).toBe('fail');
      const ok = await rig([...virtualCost(0.3 * quantumMs, 4), '--clean', cleanShort, '--noise', noise, '--snr', '5', '--quantum-budget', '0.9', '--json']);
      expect(json(ok).quantum.overruns).toBe(0);
      expect(json(ok).quantum.max).toBeCloseTo(0.3, 12);
      expect(ok.code).toBe(0);
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'the default allowance: one overrun passes, two fail (0.1 % of 63 quanta, at least 1)',
    async () => {
      // 6 ms (75 %) in every 32nd call: quanta 0 and 32 of 63 overrun; in every 64th: quantum 0 alone.
      const two = json(await rig([...virtualCost(6, 32), '--clean', cleanShort, '--noise', noise, '--snr', '5', '--json']));
      expect(two.quantum).toMatchObject({ quanta: 63, overruns: 2 });
      expect(two.checks).toContainEqual({ key: 'overruns', op: '<=', limit: 1, value: 2, pass: false });
      expect(two.exitCode).toBe(3);
      const one = json(await rig([...virtualCost(6, 64), '--clean', cleanShort, '--noise', noise, '--snr', '5', '--json']));
      expect(one.quantum).toMatchObject({ quanta: 63, overruns: 1 });
      expect(one.exitCode).toBe(0);
    },
    RIG_TIMEOUT_MS,
  );
});

describe('earshot rig: console output of the processor', () => {
  it(
    'goes to stderr, marked, and never into the --json on stdout',
    async () => {
      const r = await rig(['--processor', join(FIX, 'chatty.worklet.js'), '--clean', cleanShort, '--noise', noise, '--snr', '5', '--json', ...ANY_OVERRUNS]);
      expect(r.code).toBe(0);
      expect(json(r).name).toBe('chatty');
      expect(r.stderr).toContain('earshot rig: worklet: chatty: constructed\n');
    },
    RIG_TIMEOUT_MS,
  );
});

describe('earshot rig: broken processors give a clear line and a non-zero exit, never a hang', () => {
  const broken = async (file: string, kind: string, line: RegExp, extra: string[] = []) => {
    const r = await rig(['--processor', join(FIX, file), '--clean', cleanShort, '--noise', noise, '--snr', '5', '--json', ...extra]);
    expect(r.code).toBe(1);
    const j = json(r);
    expect(j.verdict).toBe('broken');
    expect(j.problems.map((p: { kind: string }) => p.kind)).toContain(kind);
    expect(r.stderr).toMatch(line); // --json: the problem lines also go to stderr for CI logs
    return { r, j };
  };

  it(
    'throws in process(): the quantum, the time, the message and where',
    async () => {
      const { j } = await broken('throws.worklet.js', 'exception', /exception: process\(\) threw at quantum 10 \(t = 0\.080 s\): Error: deliberate failure in process\(\) \(at .*throws\.worklet\.js:8:\d+\)\. A browser stops calling/);
      // Scored anyway (the output is silence from quantum 10): no NaN escapes into the JSON.
      expect(typeof j.conditions[0].noisy.sisdr).toBe('number');
    },
    RIG_TIMEOUT_MS,
  );

  it('never returns true', async () => {
    await broken('no-return.worklet.js', 'return', /return: process\(\) returned undefined \(no return statement\?\) in 63 of 63 quanta, first at quantum 0/);
  }, RIG_TIMEOUT_MS);

  it('outputs NaN', async () => {
    const { j } = await broken('nan.worklet.js', 'nonfinite', /nonfinite: the output has NaN or infinite samples in 43 of 63 quanta, first at quantum 20 \(t = 0\.160 s\); they were scored as 0/);
    expect(typeof j.conditions[0].processed.snr).toBe('number');
  }, RIG_TIMEOUT_MS);

  it('wrong channel count (a stereo processor on the rig’s mono node)', async () => {
    await broken('stereo.worklet.js', 'exception', /process\(\) threw at quantum 0 .*TypeError: .* — wrong channel count\? The rig connects one mono input and one mono output/);
  }, RIG_TIMEOUT_MS);

  it('constructor throws', async () => {
    const { r } = await broken('ctor-throws.worklet.js', 'constructor', /constructor: the processor's constructor threw: TypeError: gain must be a number, got undefined/);
    expect(r.stderr).not.toMatch(/at new CtorThrowsProcessor/); // the engine's own echo of the error is dropped
  }, RIG_TIMEOUT_MS);

  it(
    'process() never returns: the render is abandoned after --timeout and the rig exits',
    async () => {
      // That the rig returns at all (within RIG_TIMEOUT_MS) is the check that it did not hang.
      await broken('hang.worklet.js', 'timeout', /timeout: the render made no progress for 2 s \(--timeout\): process\(\) has been running since quantum 3 \(t = 0\.024 s\) without returning/, ['--timeout', '2']);
    },
    RIG_TIMEOUT_MS,
  );

  it('a module that does not load, and one with two processors but no --name', async () => {
    await broken('syntax-error.worklet.js', 'load', /load: .*syntax-error\.worklet\.js: the module failed to load: SyntaxError/);
    await broken('two-processors.worklet.js', 'name', /name: .*two-processors\.worklet\.js: registers 2 processors \(halve, invert\); choose one with --name/);
    await broken('two-processors.worklet.js', 'name', /no processor named "double" \(it registers: halve, invert\)/, ['--name', 'double']);
  }, RIG_TIMEOUT_MS);

  it(
    '--name picks a processor; a process() assigned in the constructor is timed too',
    async () => {
      const r = await rig(['--processor', join(FIX, 'two-processors.worklet.js'), '--name', 'invert', '--clean', cleanShort, '--noise', noise, '--snr', '5', '--json', ...ANY_OVERRUNS]);
      const j = json(r);
      expect(r.code).toBe(0);
      expect(j.name).toBe('invert');
      expect(j.quantum.quanta).toBe(63);
      expect(j.delaySamples).toBe(0); // an inverted copy: GCC-PHAT is polarity-aware
      expect(j.conditions[0].delta.sisdr).toBe(0); // SI-SDR is invariant to a gain of −1 (exactly, here)
    },
    RIG_TIMEOUT_MS,
  );
});

describe('earshot rig: processors as shipped (options from files, set-up by message, a browser-like scope)', () => {
  /** The smallest WebAssembly module exporting g() = 0.5 (f32), assembled by hand. */
  const HALF_WASM = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7d, // type section: () -> f32
    0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
    0x07, 0x05, 0x01, 0x01, 0x67, 0x00, 0x00, // export "g" = function 0
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x43, 0x00, 0x00, 0x00, 0x3f, 0x0b, // body: f32.const 0.5 (0x3f000000), end
  ]);
  let wasm: string;
  let table: string;
  beforeAll(() => {
    wasm = join(tmp, 'half.wasm');
    writeFileSync(wasm, HALF_WASM);
    table = join(tmp, 'table-37.bin');
    writeFileSync(table, new Uint8Array(37)); // 37 bytes: the fixture's delay in samples
  });
  const configurable = (extra: string[]) => rig(['--processor', join(FIX, 'configurable.worklet.js'), '--clean', clean1, '--noise', noise, '--snr', '5', '--json', ...ANY_OVERRUNS, ...extra]);

  it(
    '--option-file gives an ArrayBuffer, --option-wasm a WebAssembly.Module, --setup posts the start message',
    async () => {
      const r = await configurable(['--option-file', `table=${table}`, '--option-wasm', `gainModule=${wasm}`, '--setup', join(FIX, 'start.setup.js')]);
      const j = json(r);
      expect(j.problems).toEqual([]);
      expect(r.code).toBe(0);
      // The delay is the byte length of the file (37) and the gain the module's 0.5: the processor
      // constructed from both (its constructor throws on any other type).
      expect(j.delaySamples).toBe(37);
      expect(j.delayConstant).toBe(true);
      expect(j.optionFiles).toEqual([
        { key: 'table', path: table, kind: 'bytes' },
        { key: 'gainModule', path: wasm, kind: 'wasm' },
      ]);
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'without the set-up message the processor stays silent: broken; with the options swapped its constructor says why',
    async () => {
      const silent = json(await configurable(['--option-file', `table=${table}`, '--option-wasm', `gainModule=${wasm}`]));
      expect(silent.verdict).toBe('broken');
      expect(silent.problems).toEqual([{ kind: 'silent', message: expect.stringMatching(/^the output is silent: every sample is 0/), conditions: ['5 dB'] }]);
      const swapped = json(await configurable(['--option-file', `gainModule=${wasm}`, '--option-wasm', `table=${wasm}`]));
      expect(swapped.verdict).toBe('broken');
      expect(swapped.problems[0]).toMatchObject({ kind: 'constructor', message: expect.stringMatching(/TypeError: table must be an ArrayBuffer, got \[object WebAssembly\.Module\]/) });
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'a set-up module without a function, or one that throws, is a setup problem (broken, exit 1)',
    async () => {
      const none = join(tmp, 'none.setup.mjs');
      writeFileSync(none, 'export const x = 1;\n');
      const throws = join(tmp, 'throws.setup.mjs');
      writeFileSync(throws, 'export function setup() { throw new Error("no config"); }\n');
      const a = await rig(['--processor', 'examples/passthrough.worklet.js', '--clean', cleanShort, '--noise', noise, '--snr', '5,0', '--setup', none, '--json', ...ANY_OVERRUNS]);
      expect(a.code).toBe(1);
      expect(json(a).problems).toEqual([{ kind: 'setup', message: expect.stringMatching(/none\.setup\.mjs: exports no function/), conditions: [] }]);
      expect(json(a).conditions).toHaveLength(1); // fatal: the second condition is not tried
      const b = await rig(['--processor', 'examples/passthrough.worklet.js', '--clean', cleanShort, '--noise', noise, '--snr', '5', '--setup', throws, '--json', ...ANY_OVERRUNS]);
      expect(json(b).problems[0]).toMatchObject({ kind: 'setup', message: expect.stringMatching(/the set-up function threw: no config$/) });
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'the processor sees no process, require, Buffer, __dirname, module or global: as an ES module, and from a CommonJS folder too',
    async () => {
      // The fixture throws (constructor) or rejects (after an await) naming any Node global it sees.
      const esm = await rig(['--processor', join(FIX, 'globals.worklet.js'), '--clean', cleanShort, '--noise', noise, '--snr', '5', '--json', ...ANY_OVERRUNS]);
      expect(json(esm).problems).toEqual([]);
      expect(esm.code).toBe(0);
      // A .js file outside any "type": "module" package: Node would load it as CommonJS (with
      // require, module and __dirname in scope); a browser loads every worklet file as a module.
      const dir = join(tmp, 'cjs-project');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{"name": "cjs-project"}\n');
      copyFileSync(join(FIX, 'globals.worklet.js'), join(dir, 'globals.worklet.js'));
      const cjs = await rig(['--processor', join(dir, 'globals.worklet.js'), '--clean', cleanShort, '--noise', noise, '--snr', '5', '--json', ...ANY_OVERRUNS]);
      expect(json(cjs).problems).toEqual([]);
      expect(cjs.code).toBe(0);
    },
    RIG_TIMEOUT_MS,
  );
});

describe('earshot rig: broken beyond process(): the worklet scope, silence', () => {
  const run = (file: string, options: object, clean = clean1) =>
    rig(['--processor', join(FIX, file), '--options', JSON.stringify(options), '--clean', clean, '--noise', noise, '--snr', '5', '--json', ...ANY_OVERRUNS]);

  it(
    'an async initialisation that rejects (as an Emscripten loader on the wrong path): broken, with the reason, and silent',
    async () => {
      const r = await run('scope-error.worklet.js', { mode: 'rejection' });
      expect(r.code).toBe(1);
      const j = json(r);
      expect(j.verdict).toBe('broken');
      expect(j.problems.map((p: { kind: string }) => p.kind)).toEqual(['scope', 'silent']);
      expect(j.problems[0].message).toMatch(/^an unhandled promise rejection in the worklet scope before the first quantum: ReferenceError: __dirname is not defined \(at .*scope-error\.worklet\.js:15:\d+\)/);
      expect(r.stderr).toMatch(/earshot rig: scope: an unhandled promise rejection/);
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'an uncaught exception in a callback of the scope: broken, at the quantum it happened',
    async () => {
      const j = json(await run('scope-error.worklet.js', { mode: 'exception' }));
      expect(j.verdict).toBe('broken');
      expect(j.problems).toEqual([
        { kind: 'scope', message: expect.stringMatching(/^an uncaught exception in the worklet scope at quantum \d+ \(t = [\d.]+ s\): TypeError: deliberate failure in a timer \(at .*scope-error\.worklet\.js:24:\d+\)/), conditions: ['5 dB'] },
      ]);
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'silent from the start (a gate with NaN thresholds), or going silent for good while speech goes on: broken',
    async () => {
      const whole = json(await run('goes-silent.worklet.js', { silentFromSec: 0 }));
      expect(whole.verdict).toBe('broken');
      expect(whole.problems).toEqual([{ kind: 'silent', message: 'the output is silent: every sample is 0 (is the processor initialised, its wasm loaded, its options right?)', conditions: ['5 dB'] }]);
      // 1.5 s of speech, silent from 0.3 s: 4800 samples at 16 kHz, 1.2 s of silence to the end.
      const later = json(await run('goes-silent.worklet.js', { silentFromSec: 0.3 }));
      expect(later.verdict).toBe('broken');
      expect(later.problems).toEqual([
        {
          kind: 'silent',
          message: 'the output went silent at t = 0.300 s (sample 4800) and stayed silent to the end (1.200 s) while the input had speech: every sample is 0 from there on',
          conditions: ['5 dB'],
        },
      ]);
      // Silent for the last 0.2 s only: shorter than SILENT_TAIL_SEC, not broken.
      const end = json(await run('goes-silent.worklet.js', { silentFromSec: 1.3 }));
      expect(end.problems).toEqual([]);
      expect(end.verdict).toBe('pass');
    },
    RIG_TIMEOUT_MS,
  );

  it(
    'a slow render that keeps progressing is not cut off by --timeout (80 ms per quantum, 63 quanta, --timeout 3)',
    async () => {
      // ~5 s of rendering, more than the 3 s a fixed timeout would allow; each quantum makes progress.
      const r = await rig(['--processor', join(FIX, 'sleepy.worklet.js'), '--options', '{"sleepMs":80}', '--clean', cleanShort, '--noise', noise, '--snr', '5', '--timeout', '3', '--json', ...ANY_OVERRUNS]);
      const j = json(r);
      expect(j.problems).toEqual([]);
      expect(j.quantum.quanta).toBe(63);
      expect(r.code).toBe(0);
    },
    RIG_TIMEOUT_MS,
  );
});

describe('earshot rig: batch mode', () => {
  it(
    'scores every clean × noise pair at each SNR, with plain progress lines off a terminal and a summary',
    async () => {
      const cleanDir = join(tmp, 'batch-clean');
      const noiseDir = join(tmp, 'batch-noise');
      writeWav('batch-clean/a.wav', speech(0.4, 0.8));
      writeWav('batch-clean/b.wav', speech(2.5, 0.8));
      writeWav('batch-noise/white.wav', whiteNoise(8000, 3));
      writeWav('batch-noise/README.txt.wav', whiteNoise(4000, 4, 0.1));
      const r = await rig(['--processor', 'examples/passthrough.worklet.js', '--clean-dir', cleanDir, '--noise-dir', noiseDir, '--snr', '5', '--json', ...ANY_OVERRUNS], { stderrIsTty: false });
      expect(r.code).toBe(0);
      expect(r.stderr.split('\n').filter(Boolean)).toEqual([
        'earshot rig: 1/4 a.wav + README.txt.wav at 5 dB',
        'earshot rig: 2/4 a.wav + white.wav at 5 dB',
        'earshot rig: 3/4 b.wav + README.txt.wav at 5 dB',
        'earshot rig: 4/4 b.wav + white.wav at 5 dB',
      ]);
      const j = json(r);
      expect(j.mode).toBe('batch');
      expect(j.items).toHaveLength(4);
      expect(j.conditions).toHaveLength(1);
      expect(j.conditions[0]).toMatchObject({ snr: 5, n: 4 });
      expect(j.conditions[0].delta.sisdr).toBe(0);
      expect(j.conditions[0].noisy.snr).toBeCloseTo(5, 4); // each pair mixed at 5 dB (Float32 capture: ~1e-6 dB)
      expect(j.delaySamples).toBe(0);
      expect(j.quantum.quanta).toBe(4 * Math.ceil((0.8 * 16000) / 128));

      // On a terminal: a progress bar redrawn in place, then the tables.
      const t = await rig(['--processor', 'examples/passthrough.worklet.js', '--clean-dir', cleanDir, '--noise-dir', noiseDir, '--snr', '5', ...ANY_OVERRUNS], { stderrIsTty: true });
      expect(t.stderr).toMatch(/^\r\x1b\[K\[░{24}\] 1\/4 a\.wav \+ README\.txt\.wav at 5 dB\r\x1b\[K\[█{6}░{18}\] 2\/4 a\.wav \+ white\.wav at 5 dB/);
      expect(t.stderr.endsWith('\r\x1b[K')).toBe(true);
      expect(t.stdout).toMatch(/clean +noise +SNR +ΔSI-SDR dB +ΔSTOI +delay +p99 +status/);
      // Status: ok, or a wall-clock overrun count (allowed by ANY_OVERRUNS).
      expect(t.stdout).toMatch(/b\.wav +white\.wav +5 dB +0\.00 +0\.0000 +0 +[\d.]+ % +(ok|\d+ overruns?)\n/);
      expect(t.stdout).toMatch(/Mean over 4 file pairs at input SNR 5 dB/);
      expect(t.code).toBe(0);
    },
    RIG_TIMEOUT_MS,
  );

  it('a folder without .wav files, or no folder at all, is bad input', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    const argv = (dir: string) => ['--processor', 'examples/passthrough.worklet.js', '--clean-dir', dir, '--noise-dir', tmp];
    await expect(rig(argv(empty))).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND', message: expect.stringMatching(/no \.wav files in it/) });
    await expect(rig(argv(join(tmp, 'nothing-here')))).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND', message: expect.stringMatching(/no such folder/) });
  });
});

describe('earshot rig: the example worklets', () => {
  it('document their registered name and options at the top', () => {
    for (const [file, name] of [
      ['passthrough', 'passthrough'],
      ['fixed-delay', 'fixed-delay'],
      ['spectral-subtraction', 'spectral-subtraction'],
      ['slow', 'slow'],
    ]) {
      const src = readFileSync(`examples/${file}.worklet.js`, 'utf8');
      expect(src.slice(0, 3000)).toMatch(new RegExp(`Registered name: \`${name}\``));
      expect(src).toMatch(new RegExp(`registerProcessor\\('${name}'`));
    }
  });
});

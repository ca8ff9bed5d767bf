/**
 * `earshot rig`: score an AudioWorklet processor (a denoiser or any speech DSP) for quality, latency
 * and render-quantum budget, with a verdict and exit code a CI job can gate on. See docs/rig.md.
 *
 * Exit codes: 0 pass, 1 broken processor (throws, returns false, NaN output, wrong channel count,
 * timeout, fails to load) or bad input, 2 usage error, 3 a gate failed (--fail-below, --fail-above,
 * or more overruns than --max-overruns).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { earshotError } from '../errors.js';
import { batchJson, conditionStatus, runBatch, type BatchResult } from '../rig/batch.js';
import { budgetLine, checkLine, delayLine, formatNumber, formatRig, optionsText, problemLines, qualityLines, table, verdictLine, warningLines } from '../rig/format.js';
import { buildScenario, wavFiles } from '../rig/inputs.js';
import { markLines, Renderer } from '../rig/renderer.js';
import { renderReportHtml, type ReportInput } from '../rig/report-html.js';
import { DEFAULT_MAX_OVERRUNS, DEFAULT_QUANTUM_BUDGET, concatFloat64, rigJson, runConditions, summarize, type OptionFile, type OverrunAllowance, type RigResult, type RigSetup } from '../rig/index.js';
import { parseThresholds } from '../rig/thresholds.js';
import type { CliIo } from './main.js';

export const RIG_USAGE = `Usage:
  earshot rig --processor FILE.js [--name NAME] [--options JSON] --clean CLEAN.wav
              (--noise NOISE.wav [--snr 5,0,-5] | --noisy NOISY.wav) [options]
  earshot rig --processor FILE.js --clean-dir DIR --noise-dir DIR [--snr 5,0,-5] [options]

Runs an AudioWorklet processor (the device under test) on noisy speech in an OfflineAudioContext and
reports how much it improves every metric, the delay it adds, and its own process() time per render
quantum, with a verdict and an exit code for CI.
  --processor FILE      the worklet module (it calls registerProcessor)
  --name NAME           processor to test (default: the one the module registers)
  --options JSON        processorOptions for it, a JSON object, e.g. '{"delaySamples": 480}'
  --option-file K=FILE  processorOptions[K] = the file's bytes (an ArrayBuffer), e.g.
                        wasmBinary=node_modules/@sapphi-red/web-noise-suppressor/dist/rnnoise.wasm
  --option-wasm K=FILE  processorOptions[K] = the file compiled to a WebAssembly.Module
                        (both repeatable; they override --options keys of the same name)
  --setup MODULE.js     a module whose default export setup({ context, node, sampleRate, name,
                        processorOptions, webAudio }) runs before rendering (e.g. posts port messages)
  --clean FILE          clean speech (the reference)
  --noise FILE          noise, looped or trimmed to the speech and mixed at each --snr (whole-file energy)
  --snr LIST            input SNRs in dB (default 5,0,-5)
  --noisy FILE          a ready noisy input instead of --noise (time-aligned with --clean)
  --clean-dir, --noise-dir DIR   batch mode: every .wav pair of the two folders at each --snr
  --rate HZ             render at this sample rate, 8000..48000 (default: the clean file's);
                        RNNoise-class denoisers need 48000 (see docs/rig.md for common ones)
  --quantum-budget S    share of the quantum's duration process() may use (default 0.5)
  --max-overruns N      quanta allowed over the budget before the verdict fails: a count, or a
                        percentage of the timed quanta like 0.5% (default 0.1%, at least 1:
                        timing is wall-clock, a busy machine adds isolated spikes; 0 is strict)
  --fail-below K=V,...  gates: fail when a value is below V; K is METRIC (processed output),
                        METRIC_delta (processed − noisy), delay_ms, delay_samples, quantum_p50,
                        quantum_p99, quantum_max or overruns; e.g. sisdr_delta=3,stoi_delta=0
  --fail-above K=V,...  gates: fail when a value is above V; e.g. delay_ms=20,lsd=8
  --timeout SEC         give up on a render that makes no progress for SEC seconds (default 30; longer
                        when the render's measured speed calls for it: a slow render is never cut off)
  --json                print one JSON object instead of the tables
  --report FILE.html    also write a self-contained HTML report (tables and plots)
Exit codes: 0 pass, 1 broken processor or bad input, 2 usage error, 3 a gate failed.
`;

/** The CLI's streams; stderrIsTty enables the batch progress bar (else plain progress lines). */
export type RigIo = CliIo & { stderrIsTty?: boolean };

const DEFAULT_SNRS = [5, 0, -5];

function parseSnrs(text: string | undefined): number[] {
  if (text === undefined) return DEFAULT_SNRS;
  const parts = text.split(',').map((s) => s.trim());
  const snrs = parts.map(Number);
  if (parts.some((p) => p === '') || snrs.some((v) => !Number.isFinite(v))) {
    throw earshotError('ERR_USAGE', `--snr: expected comma-separated numbers of dB like 5,0,-5, got "${text}"`);
  }
  if (new Set(snrs).size !== snrs.length) throw earshotError('ERR_USAGE', `--snr: each SNR once, got "${text}"`);
  return snrs;
}

function parseOptionsJson(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw earshotError('ERR_USAGE', `--options: not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw earshotError('ERR_USAGE', `--options: expected a JSON object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

/** `KEY=PATH` entries of --option-file / --option-wasm, checked: the file exists; a wasm file validates. */
export function parseOptionFiles(texts: string[] | undefined, kind: OptionFile['kind']): OptionFile[] {
  const flag = kind === 'wasm' ? '--option-wasm' : '--option-file';
  const out: OptionFile[] = [];
  for (const text of texts ?? []) {
    const eq = text.indexOf('=');
    const key = eq > 0 ? text.slice(0, eq).trim() : '';
    const path = eq > 0 ? text.slice(eq + 1) : '';
    if (key === '' || path === '') throw earshotError('ERR_USAGE', `${flag}: expected KEY=PATH like wasmBinary=rnnoise.wasm, got "${text}"`);
    const abs = resolve(path);
    if (!existsSync(abs)) throw earshotError('ERR_FILE_NOT_FOUND', `${flag} ${key}=${path}: no such file`);
    if (!statSync(abs).isFile()) throw earshotError('ERR_FILE_UNREADABLE', `${flag} ${key}=${path}: not a file`);
    if (kind === 'wasm') {
      const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
      if (!wasm.validate(readFileSync(abs))) {
        throw earshotError('ERR_INVALID_ARGUMENT', `${flag} ${key}=${path}: not a valid WebAssembly module (for plain bytes use --option-file)`);
      }
    }
    if (out.some((o) => o.key === key)) throw earshotError('ERR_USAGE', `${flag}: key "${key}" given twice`);
    out.push({ key, path: abs, kind });
  }
  return out;
}

function parseOverruns(text: string | undefined): OverrunAllowance {
  if (text === undefined) return DEFAULT_MAX_OVERRUNS;
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text.trim());
  if (pct) {
    const share = Number(pct[1]) / 100;
    if (share > 1) throw earshotError('ERR_USAGE', `--max-overruns: a percentage up to 100%, got "${text}"`);
    return { share };
  }
  if (!/^\d+$/.test(text.trim())) throw earshotError('ERR_USAGE', `--max-overruns: expected a count like 2 or a percentage like 0.1%, got "${text}"`);
  return { count: Number(text) };
}

function positive(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= min || v > max || text.trim() === '') throw earshotError('ERR_USAGE', `${flag}: expected a number in (${min}, ${max}], got "${text}"`);
  return v;
}

/** Progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise. */
function progressReporter(io: RigIo) {
  const tty = io.stderrIsTty ?? false;
  let drawn = false;
  return {
    update(done: number, total: number, label: string) {
      if (tty) {
        const width = 24;
        const full = Math.round((width * done) / Math.max(1, total));
        const finished = label === 'done' || label === 'stopped';
        io.stderr(`\r\x1b[K[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${finished ? done : done + 1}/${total} ${label}`);
        drawn = true;
      } else if (label !== 'done' && label !== 'stopped') {
        io.stderr(`earshot rig: ${done + 1}/${total} ${label}\n`);
      }
    },
    end() {
      if (tty && drawn) io.stderr('\r\x1b[K');
    },
  };
}

export async function runRig(args: string[], io: RigIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      processor: { type: 'string' },
      name: { type: 'string' },
      options: { type: 'string' },
      'option-file': { type: 'string', multiple: true },
      'option-wasm': { type: 'string', multiple: true },
      setup: { type: 'string' },
      clean: { type: 'string' },
      noise: { type: 'string' },
      noisy: { type: 'string' },
      snr: { type: 'string' },
      'clean-dir': { type: 'string' },
      'noise-dir': { type: 'string' },
      rate: { type: 'string' },
      'quantum-budget': { type: 'string' },
      'max-overruns': { type: 'string' },
      'fail-below': { type: 'string', multiple: true },
      'fail-above': { type: 'string', multiple: true },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(RIG_USAGE);
    return 0;
  }
  if (positionals.length) throw earshotError('ERR_USAGE', `unexpected argument "${positionals[0]}"; give files with --processor, --clean, --noise`);
  if (values.processor === undefined) throw earshotError('ERR_USAGE', 'expected --processor FILE.js');
  const batch = values['clean-dir'] !== undefined || values['noise-dir'] !== undefined;
  if (batch) {
    if (values['clean-dir'] === undefined || values['noise-dir'] === undefined) throw earshotError('ERR_USAGE', 'batch mode needs both --clean-dir and --noise-dir');
    if (values.clean !== undefined || values.noise !== undefined || values.noisy !== undefined) {
      throw earshotError('ERR_USAGE', '--clean-dir/--noise-dir replace --clean, --noise and --noisy');
    }
  } else {
    if (values.clean === undefined) throw earshotError('ERR_USAGE', 'expected --clean CLEAN.wav (or --clean-dir and --noise-dir)');
    if ((values.noise === undefined) === (values.noisy === undefined)) throw earshotError('ERR_USAGE', 'expected one of --noise NOISE.wav (with --snr) or --noisy NOISY.wav');
    if (values.noisy !== undefined && values.snr !== undefined) throw earshotError('ERR_USAGE', '--snr applies to --noise; a given --noisy file has its own SNR');
  }
  const snrs = parseSnrs(values.snr);
  const rateText = values.rate;
  if (rateText !== undefined && !(/^\d+$/.test(rateText) && Number(rateText) >= 8000 && Number(rateText) <= 48000)) {
    throw earshotError('ERR_USAGE', `--rate: expected an integer sample rate in 8000..48000 Hz, got "${rateText}"`);
  }
  const rate = rateText === undefined ? undefined : Number(rateText);
  const optionFiles = [...parseOptionFiles(values['option-file'], 'bytes'), ...parseOptionFiles(values['option-wasm'], 'wasm')];
  const dup = optionFiles.find((f, i) => optionFiles.findIndex((g) => g.key === f.key) !== i);
  if (dup) throw earshotError('ERR_USAGE', `--option-file/--option-wasm: key "${dup.key}" given twice`);
  let setupPath: string | undefined;
  if (values.setup !== undefined) {
    setupPath = resolve(values.setup);
    if (!existsSync(setupPath)) throw earshotError('ERR_FILE_NOT_FOUND', `--setup ${values.setup}: no such file`);
  }
  const setup: RigSetup = {
    processorPath: resolve(values.processor),
    processor: values.processor,
    name: values.name,
    options: parseOptionsJson(values.options),
    optionFiles,
    setupPath,
    quantumBudget: positive('--quantum-budget', values['quantum-budget'], 0, 10) ?? DEFAULT_QUANTUM_BUDGET,
    maxOverruns: parseOverruns(values['max-overruns']),
    thresholds: [...parseThresholds(values['fail-below'], '--fail-below'), ...parseThresholds(values['fail-above'], '--fail-above')],
    timeoutSec: positive('--timeout', values.timeout, 0, 86400),
    timeline: values.report !== undefined && !batch,
  };
  if (values.report !== undefined && !/\.html?$/i.test(values.report)) throw earshotError('ERR_USAGE', `--report: expected a .html file name, got "${values.report}"`);
  if (!existsSync(setup.processorPath)) throw earshotError('ERR_FILE_NOT_FOUND', `${values.processor}: no such file`);
  if (!statSync(setup.processorPath).isFile()) throw earshotError('ERR_FILE_UNREADABLE', `${values.processor}: not a file`);

  const notes: string[] = [];
  const renderer = new Renderer((text) => io.stderr(markLines(text)));
  try {
    if (batch) {
      const cleanFiles = wavFiles(values['clean-dir']!, '--clean-dir');
      const noiseFiles = wavFiles(values['noise-dir']!, '--noise-dir');
      const progress = progressReporter(io);
      let result: BatchResult;
      try {
        result = await runBatch(renderer, setup, { cleanFiles, noiseFiles, snrs, rate }, notes, progress.update);
      } finally {
        progress.end();
      }
      return finish(io, values.json, values.report, batchOutput(result, notes, optionFiles));
    }
    const scenario = buildScenario({ clean: values.clean!, noise: values.noise, noisy: values.noisy }, snrs, rate, notes);
    const run = await runConditions(renderer, setup, scenario);
    const result = summarize(setup, scenario.sampleRate, run.name, run.conditions);
    const inputs = values.noise !== undefined ? `clean ${values.clean}, noise ${values.noise} at SNR ${snrs.join(', ')} dB` : `clean ${values.clean}, noisy ${values.noisy}`;
    return finish(io, values.json, values.report, singleOutput(result, inputs, notes, optionFiles));
  } finally {
    await renderer.close();
  }
}

interface Output {
  text: string;
  json: Record<string, unknown>;
  report: ReportInput;
  problems: string[];
  exitCode: number;
}

function finish(io: RigIo, json: boolean | undefined, reportPath: string | undefined, out: Output): number {
  if (reportPath !== undefined) {
    try {
      writeFileSync(reportPath, renderReportHtml(out.report));
    } catch (e) {
      throw earshotError('ERR_FILE_UNREADABLE', `--report ${reportPath}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  if (json) {
    io.stdout(`${JSON.stringify(out.json)}\n`);
    // The JSON is for machines; the problems also go where a CI log shows them.
    for (const p of out.problems) io.stderr(`earshot rig: ${p}\n`);
  } else io.stdout(out.text);
  if (reportPath !== undefined) io.stderr(`earshot rig: report written to ${reportPath}\n`);
  return out.exitCode;
}

function singleOutput(r: RigResult, inputs: string, notes: string[], optionFiles: OptionFile[]): Output {
  const allNotes = [...notes, ...new Set(r.conditions.flatMap((c) => c.notes))];
  return {
    text: formatRig(r, inputs, notes, optionFiles),
    json: { ...rigJson(r), optionFiles: optionFiles.map(({ key, path, kind }) => ({ key, path, kind })) },
    problems: problemLines(r.problems),
    exitCode: r.exitCode,
    report: {
      processor: r.processor,
      name: r.name,
      options: r.options,
      sampleRate: r.sampleRate,
      inputs,
      notes: allNotes,
      verdict: r.verdict,
      exitCode: r.exitCode,
      problems: r.problems,
      warnings: r.warnings,
      checks: r.checks,
      delaySamples: r.delaySamples,
      delayMs: r.delayMs,
      delayConstant: r.delayConstant,
      quantum: r.quantum,
      durations: concatFloat64(r.conditions.map((c) => c.durations)),
      conditions: r.conditions,
      generatedAt: new Date().toISOString(),
    },
  };
}

function batchOutput(b: BatchResult, notes: string[], optionFiles: OptionFile[]): Output {
  const inputs = `${b.cleanFiles.length} clean × ${b.noiseFiles.length} noise files at SNR ${b.snrs.join(', ')} dB`;
  const lines: string[] = [];
  lines.push(`earshot rig batch: ${b.processor}${b.name ? ` (processor "${b.name}")` : ''}`);
  lines.push(`${inputs}; ${b.sampleRate} Hz${optionsText(b.options, optionFiles)}`);
  lines.push('');
  const rows: string[][] = [['clean', 'noise', 'SNR', 'ΔSI-SDR dB', 'ΔSTOI', 'delay', 'p99', 'status']];
  const items: NonNullable<ReportInput['items']> = [];
  for (const it of b.items) {
    for (const c of it.conditions) {
      const status = conditionStatus(c);
      rows.push([
        basename(it.clean),
        basename(it.noise),
        c.label,
        formatNumber(c.delta?.sisdr, 2, true),
        formatNumber(c.delta?.stoi, 4, true),
        c.delaySamples === null ? '—' : String(c.delaySamples),
        c.quantum?.p99 == null ? '—' : `${(100 * c.quantum.p99).toFixed(2)} %`,
        status,
      ]);
      items.push({ clean: basename(it.clean), noise: basename(it.noise), label: c.label, delta: c.delta, delaySamples: c.delaySamples, status });
    }
  }
  lines.push(...table(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l']));
  for (const s of b.summary) {
    lines.push('');
    lines.push(`Mean over ${s.n} file pair${s.n === 1 ? '' : 's'} at input SNR ${s.label}`);
    lines.push(...qualityLines(s.noisy, s.processed, s.delta));
  }
  lines.push('');
  lines.push(`Latency   ${delayLine({ delaySamples: b.delaySamples, delayMs: b.delayMs, delayConstant: b.delayConstant })}`);
  lines.push(`Budget    ${budgetLine(b.quantum)}`);
  if (b.problems.length) {
    lines.push('', 'Problems', ...problemLines(b.problems).map((l) => `  ${l}`));
  }
  if (b.warnings.length) lines.push('', ...warningLines(b.warnings));
  const allNotes = [...new Set([...notes, ...b.items.flatMap((it) => it.conditions.flatMap((c) => c.notes))])];
  if (allNotes.length) lines.push('', ...allNotes.map((n) => `note: ${n}`));
  if (b.checks.length) lines.push('', 'Gates (metric gates on the per-SNR means)', ...b.checks.map((c) => `  ${checkLine(c)}`));
  lines.push('', verdictLine(b.verdict, b.exitCode, b.sampleRate));
  return {
    text: lines.join('\n') + '\n',
    json: { ...batchJson(b), optionFiles: optionFiles.map(({ key, path, kind }) => ({ key, path, kind })) },
    problems: problemLines(b.problems),
    exitCode: b.exitCode,
    report: {
      processor: b.processor,
      name: b.name,
      options: b.options,
      sampleRate: b.sampleRate,
      inputs,
      notes: allNotes,
      verdict: b.verdict,
      exitCode: b.exitCode,
      problems: b.problems,
      warnings: b.warnings,
      checks: b.checks,
      delaySamples: b.delaySamples,
      delayMs: b.delayMs,
      delayConstant: b.delayConstant,
      quantum: b.quantum,
      durations: b.durations,
      conditions: b.summary.map((s) => ({ ...s, delaySamples: null })),
      items,
      generatedAt: new Date().toISOString(),
    },
  };
}


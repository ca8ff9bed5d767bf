/**
 * `earshot analyze`: score a degraded file against its clean reference (or the reference-free
 * measures of a file alone) and print a table or one JSON object.
 */
import { parseArgs } from 'node:util';
import type { AlignMode } from '../analysis/analyze.js';
import { analyzeFilesParallel } from '../analysis/parallel.js';
import { earshotError } from '../errors.js';
import { formatReport, reportJson } from './format.js';
import type { CliIo } from './main.js';
import { metricsTable } from './metrics-command.js';
import { selectMetrics } from '../metrics/registry.js';

export const ANALYZE_USAGE = `Usage:
  earshot analyze REF DEG [--noisy NOISY] [--align auto|integer|off] [--max-delay S] [--channel N] [--pesq-mode nb|wb] [--metrics LIST] [--threads N] [--json]
  earshot analyze --ref R0 --ref R1 --deg D0 --deg D1 [--align auto|off] [--json]
  earshot analyze --deg DEG [--noisy NOISY] [--json]        (reference-free measures only)
  earshot analyze --list-metrics                             (the keys --metrics takes; also: earshot metrics)

Scores DEG (the processed output) against REF (the clean reference) with every reference-based metric.
  --noisy FILE     the input the processor saw (enables wSDR)
  --align MODE     auto (default): find deg's delay over every lag the files allow, to a fraction
                   of a sample, with clock drift and delay steps, and compensate it (docs/alignment.md);
                   a delay that cannot be trusted is not applied (delayMs null, reasons.delay, warning);
                   integer: the same search, one whole-sample delay; off: score the files as they are
  --max-delay S    search delays up to S seconds either way only
  --channel N      channel to read from multichannel files (default 0)
  --pesq-mode M    PESQ-like estimate: wb (default at 16 kHz and above) or nb (default at 8 kHz)
  --threads N|auto spread one file's metrics over N threads (auto: every core for files of 20 s or
                   more, else one); the values do not depend on it
  --metrics LIST   only these metrics, e.g. stoi,estoi,sisdr (default all); only the front-end stages
                   they need run, and the other keys are null with the reason "not requested"
  --json           print one JSON object instead of the table
Exit codes: 0 success, 1 unreadable or invalid input, 2 usage error.
`;

export async function runAnalyze(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ref: { type: 'string', multiple: true },
      deg: { type: 'string', multiple: true },
      noisy: { type: 'string' },
      align: { type: 'string', default: 'auto' },
      'max-delay': { type: 'string' },
      channel: { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
      'pesq-mode': { type: 'string' },
      metrics: { type: 'string' },
      threads: { type: 'string', default: 'auto' },
      'list-metrics': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(ANALYZE_USAGE);
    return 0;
  }
  if (values['list-metrics']) {
    io.stdout(metricsTable());
    return 0;
  }
  // Resolve the list before reading any file, so a typo is a usage error at once.
  const metrics = values.metrics;
  if (metrics !== undefined) selectMetrics(metrics);
  const pesqMode = values['pesq-mode'];
  if (pesqMode !== undefined && pesqMode !== 'nb' && pesqMode !== 'wb') throw earshotError('ERR_USAGE', `--pesq-mode must be nb or wb, got "${pesqMode}"`);
  let refs = values.ref ?? [];
  let degs = values.deg ?? [];
  if (positionals.length > 0) {
    if (refs.length || degs.length) throw earshotError('ERR_USAGE', 'give REF DEG as positional arguments or with --ref/--deg, not both');
    if (positionals.length !== 2) throw earshotError('ERR_USAGE', `expected two files (REF DEG), got ${positionals.length}`);
    refs = [positionals[0]];
    degs = [positionals[1]];
  }
  if (degs.length === 0) throw earshotError('ERR_USAGE', 'expected REF and DEG files (or --deg DEG alone for reference-free measures)');
  if (refs.length === 0 && degs.length > 1) throw earshotError('ERR_USAGE', 'reference-free analysis takes one --deg');
  if (refs.length > 0 && refs.length !== degs.length) {
    throw earshotError('ERR_USAGE', `expected as many --deg as --ref, got ${refs.length} --ref and ${degs.length} --deg`);
  }
  const align = values.align as string;
  if (align !== 'auto' && align !== 'integer' && align !== 'off') throw earshotError('ERR_USAGE', `--align must be auto, integer or off, got "${align}"`);
  const maxDelayText = values['max-delay'];
  const maxDelaySec = maxDelayText === undefined ? undefined : Number(maxDelayText);
  if (maxDelaySec !== undefined && !(/^\d+(\.\d*)?$|^\.\d+$/.test(maxDelayText!) && Number.isFinite(maxDelaySec))) {
    throw earshotError('ERR_USAGE', `--max-delay must be a non-negative number of seconds, got "${maxDelayText}"`);
  }
  const channelText = values.channel as string;
  if (!/^\d+$/.test(channelText)) throw earshotError('ERR_USAGE', `--channel must be a non-negative integer, got "${channelText}"`);

  const threadsText = values.threads as string;
  if (threadsText !== 'auto' && !/^[1-9]\d*$/.test(threadsText)) throw earshotError('ERR_USAGE', `--threads must be auto or a positive integer, got "${threadsText}"`);
  const threads = threadsText === 'auto' ? undefined : Number(threadsText);
  const { report, warnings, notesIn } = await analyzeFilesParallel({ refs, degs, noisy: values.noisy }, Number(channelText), { align: align as AlignMode, maxDelaySec, pesqMode, metrics, threads });
  report.notes.unshift(...notesIn);
  for (const w of warnings) io.stderr(`earshot: warning: ${w}\n`);
  if (values.json) io.stdout(`${JSON.stringify(reportJson(report))}\n`);
  else io.stdout(formatReport(report, `earshot analyze: ${refs.join(', ')} vs ${degs.join(', ')}`));
  return 0;
}

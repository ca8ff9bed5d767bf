/**
 * Peak memory of the CLI on a long call: a 30-minute 16 kHz pair, built in a temp dir by looping the
 * 60 s corpus pair p40 (ref and deg) and written with the project's WAV writer, through
 * `earshot analyze --json` and `earshot monitor --speed max` as child processes. Reports each
 * child's peak resident set size (whole process, all threads) and wall time. The temp files are
 * removed afterwards.
 *
 * Peak RSS is read two ways where it can be: a preload module (`node --import`) that writes
 * process.resourceUsage().maxRSS when the child exits (works wherever Node does), and GNU
 * `/usr/bin/time -v` around the same run where that exists (its "Maximum resident set size").
 *
 *   npm run build && node dist/bench/memory.js        # this section alone
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeWavPcm16, readWav } from '../src/io/wav.js';
import { table } from './harness.js';

/** Length of the long pair, s. */
export const LONG_CALL_SEC = 30 * 60;
const SOURCE_CASE = 'p40_long60s_pink5db';
const GNU_TIME = '/usr/bin/time';
const EARSHOT = resolve('bin/earshot.js');

/** Written into the temp dir; loaded with `node --import` into each measured child. */
const RSS_HOOK = `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.EARSHOT_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));
`;

export interface PeakRss {
  /** process.resourceUsage().maxRSS at exit, KiB. */
  hookKiB: number;
  /** GNU time's maximum resident set size, KiB; null where /usr/bin/time -v is missing. */
  gnuTimeKiB: number | null;
  ms: number;
}

function haveGnuTime(): boolean {
  if (!existsSync(GNU_TIME)) return false;
  const r = spawnSync(GNU_TIME, ['-v', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /Maximum resident set size/.test(r.stderr);
}

/** Run `node [--import hook] args` once, stdout discarded, and read its peak RSS. */
export function peakRssOfNode(args: string[], dir: string, gnuTime = haveGnuTime()): PeakRss {
  const hook = join(dir, 'rss-hook.mjs');
  const out = join(dir, 'rss.txt');
  writeFileSync(hook, RSS_HOOK);
  rmSync(out, { force: true });
  const node = [process.execPath, '--import', pathToFileURL(hook).href, ...args];
  const [cmd, ...rest] = gnuTime ? [GNU_TIME, '-v', ...node] : node;
  const t0 = performance.now();
  const r = spawnSync(cmd, rest, { env: { ...process.env, EARSHOT_BENCH_RSS_FILE: out }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const gnu = gnuTime ? /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr) : null;
  return { hookKiB: Number(readFileSync(out, 'utf8')), gnuTimeKiB: gnu ? Number(gnu[1]) : null, ms };
}

/** `n` samples of `x` repeated end to end. */
function loop(x: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let p = 0; p < n; p += x.length) y.set(x.subarray(0, Math.min(x.length, n - p)), p);
  return y;
}

export interface MemoryResult {
  audioSec: number;
  wavBytes: number;
  analyze: PeakRss;
  monitor: PeakRss;
  method: string;
}

export async function benchMemory(corpus: string): Promise<MemoryResult | null> {
  const src = (role: string) => join(corpus, `${SOURCE_CASE}.${role}.wav`);
  if (!existsSync(src('ref'))) {
    console.log(`\n(memory benchmark skipped: no ${src('ref')}; set EARSHOT_CORPUS)`);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-mem-'));
  try {
    const files: Record<string, string> = {};
    let rate = 0;
    for (const role of ['ref', 'deg']) {
      const w = readWav(src(role));
      rate = w.sampleRate;
      files[role] = join(dir, `long.${role}.wav`);
      writeFileSync(files[role], encodeWavPcm16([loop(w.channels[0], LONG_CALL_SEC * rate)], rate));
    }
    const gnu = haveGnuTime();
    const analyze = peakRssOfNode([EARSHOT, 'analyze', files.ref, files.deg, '--json'], dir, gnu);
    const monitor = peakRssOfNode([EARSHOT, 'monitor', files.ref, files.deg, '--speed', 'max'], dir, gnu);
    const mib = (k: number | null) => (k === null ? '–' : (k / 1024).toFixed(0));
    const rows: (string | number)[][] = [['30 min, 16 kHz pair (looped p40)', 'peak RSS MiB', 'GNU time MiB', 'wall s', 'RTF']];
    for (const [name, m] of [['earshot analyze --json', analyze], ['earshot monitor --speed max', monitor]] as const) {
      rows.push([name, mib(m.hookKiB), mib(m.gnuTimeKiB), m.ms / 1000, m.ms / 1000 / LONG_CALL_SEC]);
    }
    const method = `process.resourceUsage().maxRSS at exit${gnu ? `; cross-checked with ${GNU_TIME} -v` : ` (${GNU_TIME} -v not available)`}`;
    console.log(`\nPeak memory on a ${LONG_CALL_SEC / 60}-minute call (one run each; ${method})\n`);
    console.log(table(rows));
    return { audioSec: LONG_CALL_SEC, wavBytes: statSync(files.ref).size, analyze, monitor, method };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await benchMemory(resolve(process.env.EARSHOT_CORPUS ?? '../shared/corpus'));
}

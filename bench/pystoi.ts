/**
 * pystoi (mpariente/pystoi) as the speed baseline for STOI + ESTOI, when this machine has it: an
 * importable `pystoi`, or its source tree named by PYSTOI_PATH (prepended to PYTHONPATH). It is
 * not pip-installable here; the bench runs without it and says so. Only the bench uses Python:
 * nothing in the product depends on it.
 *
 * Each timed run is one whole `python3` process: start-up, numpy/scipy/pystoi imports, reading
 * both WAVs (soundfile where installed, else scipy.io.wavfile), then stoi() and stoi(extended=True).
 * The script also reports its own split (imports, reading, each metric), so the ratio can be read
 * with and without Python's start-up.
 */
import { spawnSync } from 'node:child_process';
import { delimiter } from 'node:path';
import { median, runProcess } from './harness.js';

const PYTHON = process.env.PYTHON ?? 'python3';

/** The timed script: argv = pairs of paths; prints one JSON object per pair, then nothing else. */
const SCRIPT = String.raw`
import json, sys, time
t_start = time.perf_counter()
import numpy as np
try:
    import soundfile as sf
    reader = 'soundfile'
    def read(path):
        x, fs = sf.read(path, dtype='float64')
        return x, fs
except ImportError:
    from scipy.io import wavfile
    reader = 'scipy.io.wavfile'
    def read(path):
        fs, x = wavfile.read(path)
        if x.dtype.kind in 'iu':
            x = x / float(2 ** (8 * x.dtype.itemsize - 1))  # PCM to [-1, 1), as soundfile does
        return np.asarray(x, dtype=np.float64), fs
from pystoi import stoi
t_imported = time.perf_counter()
args = sys.argv[1:]
for ref_path, deg_path in zip(args[0::2], args[1::2]):
    t0 = time.perf_counter()
    x, fs = read(ref_path)
    y, fs_y = read(deg_path)
    n = min(len(x), len(y))
    t1 = time.perf_counter()
    s = stoi(x[:n], y[:n], fs, extended=False)
    t2 = time.perf_counter()
    e = stoi(x[:n], y[:n], fs, extended=True)
    t3 = time.perf_counter()
    print(json.dumps({'reader': reader, 'stoi': float(s), 'estoi': float(e), 'importMs': 1000 * (t_imported - t_start),
                      'readMs': 1000 * (t1 - t0), 'stoiMs': 1000 * (t2 - t1), 'estoiMs': 1000 * (t3 - t2)}))
`;

export interface PystoiFound {
  found: true;
  python: string;
  env: NodeJS.ProcessEnv;
  /** Where `pystoi` was imported from. */
  module: string;
}

export type PystoiLookup = PystoiFound | { found: false; reason: string };

/** Find python3 with numpy, scipy and pystoi (PYSTOI_PATH first on PYTHONPATH). */
export function findPystoi(): PystoiLookup {
  const extra = process.env.PYSTOI_PATH;
  const env = { ...process.env };
  if (extra) env.PYTHONPATH = [extra, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  const r = spawnSync(PYTHON, ['-c', 'import numpy, scipy, pystoi; print(pystoi.__file__)'], { env, encoding: 'utf8' });
  if (r.error) return { found: false, reason: `${PYTHON} not runnable (${r.error.message})` };
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`;
    return { found: false, reason: `${last}${extra ? ` (PYSTOI_PATH=${extra})` : ' (set PYSTOI_PATH to a pystoi source tree)'}` };
  }
  return { found: true, python: PYTHON, env, module: r.stdout.trim() };
}

export interface PystoiRun {
  reader: string;
  stoi: number;
  estoi: number;
  importMs: number;
  readMs: number;
  stoiMs: number;
  estoiMs: number;
}

export interface PystoiTiming {
  /** Whole python3 process for one pair, median, ms. */
  processMs: number;
  /** Medians of the script's own split, ms. */
  importMs: number;
  readMs: number;
  stoiMs: number;
  estoiMs: number;
  stoi: number;
  estoi: number;
  reader: string;
  runs: number;
}

/** Time pystoi on one pair: `warmup` untimed processes, then the median of `runs`. */
export function timePystoi(p: PystoiFound, ref: string, deg: string, { warmup = 1, runs = 5 } = {}): PystoiTiming {
  const once = () => {
    const r = runProcess(p.python, ['-c', SCRIPT, ref, deg], { env: p.env });
    return { ms: r.ms, out: JSON.parse(r.stdout.trim().split('\n').at(-1)!) as PystoiRun };
  };
  for (let i = 0; i < warmup; i++) once();
  const all = Array.from({ length: runs }, once);
  const med = (k: keyof Omit<PystoiRun, 'reader'>) => median(all.map((a) => a.out[k]));
  return {
    processMs: median(all.map((a) => a.ms)),
    importMs: med('importMs'),
    readMs: med('readMs'),
    stoiMs: med('stoiMs'),
    estoiMs: med('estoiMs'),
    stoi: all[0].out.stoi,
    estoi: all[0].out.estoi,
    reader: all[0].out.reader,
    runs,
  };
}

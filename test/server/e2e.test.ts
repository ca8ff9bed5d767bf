/**
 * End to end with the real live engine (src/live/engine.ts): corpus pairs pushed through ingest by
 * `earshot push --jsonl`; the feed's final summary must equal `earshot analyze --json --align auto` on
 * the same files. Runs when the engine and the corpus exist.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../src/cli/main.js';
import { runPush } from '../../src/cli/push-command.js';
import { startServer, type EarshotServer } from '../../src/server/server.js';
import { casePath, corpusAvailable, goldenCase } from '../helpers/corpus.js';

const here = dirname(fileURLToPath(import.meta.url));
const engineExists = existsSync(resolve(here, '../../src/live/engine.ts'));

function captureIo(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
  return io;
}

/**
 * Numbers: relative 1e-12 (plus 1e-12 absolute for values near 0): the engine runs the offline
 * accumulators over the same samples with the same alignment, and streaming accumulators agree with
 * one-shot ones to 1e-12 relative whatever the block cutting. Everything else must be identical.
 */
function differences(live: unknown, offline: unknown, path = 'summary', out: string[] = []): string[] {
  if (typeof offline === 'number' && typeof live === 'number') {
    if (!(Math.abs(live - offline) <= 1e-12 * Math.abs(offline) + 1e-12)) out.push(`${path}: live ${live}, offline ${offline}`);
  } else if (Array.isArray(offline) && Array.isArray(live) && live.length === offline.length) {
    offline.forEach((v, i) => differences(live[i], v, `${path}[${i}]`, out));
  } else if (offline !== null && typeof offline === 'object' && live !== null && typeof live === 'object' && !Array.isArray(offline)) {
    for (const k of new Set([...Object.keys(offline), ...Object.keys(live)])) {
      differences((live as Record<string, unknown>)[k], (offline as Record<string, unknown>)[k], `${path}.${k}`, out);
    }
  } else if (JSON.stringify(live) !== JSON.stringify(offline)) {
    out.push(`${path}: live ${JSON.stringify(live)}, offline ${JSON.stringify(offline)}`);
  }
  return out;
}

/** Computed over the whole stream only offline: live shows them over 10 s windows (docs/live.md). */
const OFFLINE_ONLY = ['pmsqe', 'csig', 'cbak', 'covl', 'llr', 'wss', 'fwsegsnr', 'featdist', 'mfccdist', 'qindex'];

describe.runIf(engineExists && corpusAvailable)('end to end: ingest with the real engine equals earshot analyze', () => {
  let server: EarshotServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, dashboardDir: null });
  });
  afterAll(async () => {
    await server?.close();
  });

  // Plain noise, a 37.5 ms delay to find, a denoiser with its noisy input, and an 8 kHz case.
  for (const name of ['p05_white_20db', 'p21_delay37p5ms', 'p24_specsub_white5db', 'p30_8k_white10db']) {
    it(name, async () => {
      const c = goldenCase(name);
      const files = [casePath(c, 'ref'), casePath(c, 'deg')];
      const noisy = c.files.noisy ? ['--noisy', casePath(c, 'noisy')] : [];
      const push = captureIo();
      const code = await runPush([...files, ...noisy, '--url', server.wsUrl, '--speed', 'max', '--jsonl', '--session', name.replace(/_/g, '-')], push);
      expect(push.err).toBe('');
      expect(code).toBe(0);
      const lines = push.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const summary = lines.at(-1)!;
      expect(summary.type).toBe('summary');
      expect(lines.some((l) => l.type === 'sample')).toBe(true);
      const analyzeIo = captureIo();
      expect(await main(['analyze', ...files, ...noisy, '--json', '--align', 'auto'], analyzeIo)).toBe(0);
      const { type: _t, session: _s, ...keys } = summary as Record<string, unknown> & { reasons: Record<string, string> };
      const offline = JSON.parse(analyzeIo.out) as Record<string, unknown> & { reasons: Record<string, string> };
      // Same keys; the metrics that need the whole signal at once (docs/live.md) are null live, with a reason.
      expect(Object.keys(keys).sort()).toEqual(Object.keys(offline).sort());
      // PESQ-like live covers the last 10 s: a session no longer than that has its total (float32 window).
      for (const k of ['pesq', 'pesqRaw']) {
        if ((offline.durationSec as number) <= 10) {
          expect(keys.reasons[k]).toBe('over the whole session (live, float32 audio)');
          expect(Math.abs((keys[k] as number) - (offline[k] as number))).toBeLessThan(1e-4);
        } else {
          expect(keys[k]).toBeNull();
          expect(typeof keys.reasons[k]).toBe('string');
        }
        for (const o of [keys, offline]) {
          delete o[k];
          delete o.reasons[k];
        }
      }
      for (const k of OFFLINE_ONLY) {
        expect(keys[k]).toBeNull();
        expect(typeof keys.reasons[k]).toBe('string');
        delete keys[k];
        delete keys.reasons[k];
        delete offline[k];
        delete offline.reasons[k];
      }
      expect(differences(keys, offline)).toEqual([]);
    });
  }
});

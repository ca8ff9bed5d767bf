/**
 * `earshot replay FILE`: serves a recording (made with `earshot serve --record DIR`) to the dashboard
 * and the live feed, paced by its stream times. Playback starts when the first viewer connects
 * (or at once with --now); the server stays up afterwards until Ctrl-C (or exits with --exit).
 */
import { parseArgs } from 'node:util';
import { earshotError } from '../errors.js';
import { DEFAULT_ALERT_RULES, loadAlertRules } from '../server/alerts.js';
import { readRecording, replayRecording } from '../server/replay.js';
import { generateToken, isLoopbackHost } from '../server/security.js';
import { DEFAULT_HOST, DEFAULT_PORT, startServer } from '../server/server.js';
import type { CliIo } from './main.js';

export const REPLAY_USAGE = `Usage:
  earshot replay FILE [--port 8080] [--host 127.0.0.1] [--speed 1|max|FACTOR] [--now] [--exit]
                      [--token T | --no-auth] [--alerts FILE]

Plays a recording (earshot serve --record DIR) back into the dashboard and the live feed. The file
is streamed (any size); lines that do not fit the recording schema are skipped and counted.
  --speed S        stream seconds per second: 1 (default, as recorded), a factor, or max
  --now            start at once instead of when the first viewer connects
  --exit           exit when the playback ends instead of serving until Ctrl-C
  --alerts FILE    alert rules to evaluate on the recorded samples (default: built-in)
  --host, --port, --token, --no-auth: as for earshot serve
Exit codes: 0 done or stopped, 1 unreadable recording or cannot start, 2 usage error.
`;

export async function runReplay(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      host: { type: 'string', default: DEFAULT_HOST },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      speed: { type: 'string', default: '1' },
      now: { type: 'boolean', default: false },
      exit: { type: 'boolean', default: false },
      token: { type: 'string' },
      'no-auth': { type: 'boolean', default: false },
      alerts: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(REPLAY_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw earshotError('ERR_USAGE', `replay: expected one recording file, got ${positionals.length}`);
  const speedText = values.speed as string;
  const speed = speedText === 'max' ? Infinity : Number(speedText);
  if (!(speed > 0)) throw earshotError('ERR_USAGE', `replay: --speed must be max or a positive factor, got "${speedText}"`);
  const host = values.host as string;
  const portText = values.port as string;
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw earshotError('ERR_USAGE', `replay: --port must be 0..65535, got "${portText}"`);
  if (values['no-auth'] && values.token !== undefined) throw earshotError('ERR_USAGE', 'replay: give --token or --no-auth, not both');
  if (values['no-auth'] && !isLoopbackHost(host)) throw earshotError('ERR_USAGE', `replay: --no-auth is allowed on loopback only`);
  const token = values['no-auth'] ? undefined : (values.token ?? process.env.EARSHOT_TOKEN ?? generateToken());
  const alertRules = values.alerts ? loadAlertRules(values.alerts) : DEFAULT_ALERT_RULES;

  const rec = await readRecording(positionals[0]);
  if (rec.skipped > 0) {
    io.stderr(`earshot replay: ${rec.path}: skipping ${rec.skipped} invalid line(s):\n${rec.warnings.map((w) => `  ${w}\n`).join('')}${rec.skipped > rec.warnings.length ? '  …\n' : ''}`);
  }
  const server = await startServer({ host, port: Number(portText), token, alertRules, ingest: false, log: (l) => io.stderr(`${l}\n`) });
  const auth = token === undefined ? '' : `#token=${encodeURIComponent(token)}`;
  io.stdout(
    `earshot replay: ${rec.path}: session ${rec.header.session.id}, ${rec.durationSec.toFixed(1)} s, ${rec.lineCount} lines\n` +
      `  dashboard  ${server.url}/${auth}\n` +
      `  feed       ${server.wsUrl}/feed\n`,
  );
  const stopped = new AbortController();
  const onSignal = () => stopped.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!values.now) {
      io.stdout('  waiting for a viewer to connect (--now starts at once)\n');
      while (server.hub.clientCount === 0 && !stopped.signal.aborted) await new Promise((r) => setTimeout(r, 100));
    }
    if (!stopped.signal.aborted) {
      await replayRecording(server.registry, rec, { speed, signal: stopped.signal });
      io.stdout(`earshot replay: playback ${stopped.signal.aborted ? 'stopped' : 'finished'}\n`);
    }
    if (!values.exit) await new Promise<void>((resolve) => (stopped.signal.aborted ? resolve() : stopped.signal.addEventListener('abort', () => resolve())));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server.close();
  }
  return 0;
}

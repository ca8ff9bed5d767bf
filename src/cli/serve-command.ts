/**
 * `earshot serve`: the live server (dashboard, /metrics, ingest and feed WebSockets) until Ctrl-C.
 * Without --token (or $EARSHOT_TOKEN) a random token is made and printed with the dashboard URL;
 * --no-auth turns the token off, on loopback only.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { selectMetrics } from '../metrics/registry.js';
import { earshotError } from '../errors.js';
import { DEFAULT_ALERT_RULES, loadAlertRules } from '../server/alerts.js';
import { isLoopbackHost, generateToken } from '../server/security.js';
import { DEFAULT_HOST, DEFAULT_PORT, startServer, type EarshotServer, type ServerOptions } from '../server/server.js';
import type { CliIo } from './main.js';

export const SERVE_USAGE = `Usage:
  earshot serve [--host 127.0.0.1] [--port 8080] [--token T | --no-auth] [--alerts FILE]
                [--record DIR] [--record-max-mb N] [--allow-origin ORIGIN]... [--workers auto|N]
                [--metrics LIST]

Runs the live server: the dashboard at /, Prometheus text at /metrics, PCM ingest at /ingest and the
live feed at /feed (see docs/server.md and docs/protocol.md). Stop it with Ctrl-C.
  --host H           address to listen on (default 127.0.0.1; anything else needs a token)
  --port N           port (default 8080; 0 picks a free one)
  --token T          token for ingest, feed and /metrics (default: $EARSHOT_TOKEN, else a random one)
  --no-auth          no token at all (loopback only)
  --alerts FILE      alert rules, JSON or YAML (default: built-in rules for speech)
  --record DIR       write every session's samples as JSON lines into DIR
  --record-max-mb N  rotate a session's recording to a new part file past N MB (default 512)
  --allow-origin O   also accept WebSockets from pages of origin O (repeatable)
  --workers auto|N   worker threads running the metric engines (auto: cores − 1, at least 1; 0: in
                     the server's own thread)
  --metrics LIST     metrics the sessions compute (see earshot metrics; default all); an ingest
                     client may narrow it per connection (/ingest?metrics=LIST, earshot push --metrics)
Exit codes: 0 stopped by a signal, 1 cannot start (e.g. port in use, bad alert file), 2 usage error.
`;

export interface ServeHandle {
  server: EarshotServer;
  /** Stop the server (what Ctrl-C does). */
  stop(): Promise<void>;
}

/** Parse arguments and start the server; prints where everything is. */
export async function startServe(args: string[], io: CliIo, extra: Partial<ServerOptions> = {}): Promise<ServeHandle | undefined> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: DEFAULT_HOST },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      token: { type: 'string' },
      'no-auth': { type: 'boolean', default: false },
      alerts: { type: 'string' },
      record: { type: 'string' },
      'record-max-mb': { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      workers: { type: 'string', default: 'auto' },
      metrics: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(SERVE_USAGE);
    return undefined;
  }
  const host = values.host as string;
  const portText = values.port as string;
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw earshotError('ERR_USAGE', `serve: --port must be 0..65535, got "${portText}"`);
  if (values['no-auth'] && values.token !== undefined) throw earshotError('ERR_USAGE', 'serve: give --token or --no-auth, not both');
  if (values['no-auth'] && !isLoopbackHost(host)) {
    throw earshotError('ERR_USAGE', `serve: --no-auth is allowed on loopback only; ${host} is reachable from other machines`);
  }
  const token = values['no-auth'] ? undefined : (values.token ?? process.env.EARSHOT_TOKEN ?? generateToken());
  if (token !== undefined && !/^[\x21-\x7e]{8,256}$/.test(token)) {
    throw earshotError('ERR_USAGE', 'serve: the token must be 8..256 printable ASCII characters without spaces');
  }
  if (values.metrics !== undefined) selectMetrics(values.metrics);
  const maxMbText = values['record-max-mb'];
  if (maxMbText !== undefined && !(/^\d+(\.\d+)?$/.test(maxMbText) && Number(maxMbText) >= 1)) {
    throw earshotError('ERR_USAGE', `serve: --record-max-mb must be a number of MB ≥ 1, got "${maxMbText}"`);
  }
  const alertRules = values.alerts ? loadAlertRules(values.alerts) : DEFAULT_ALERT_RULES;
  const workersText = values.workers as string;
  if (workersText !== 'auto' && !/^\d+$/.test(workersText)) throw earshotError('ERR_USAGE', `serve: --workers must be auto or a number, got "${workersText}"`);
  // auto: all cores but the one the event loop needs (at least one worker).
  const engineWorkers = workersText === 'auto' ? Math.max(1, availableParallelism() - 1) : Number(workersText);

  let server: EarshotServer;
  try {
    server = await startServer({
      host,
      port: Number(portText),
      token,
      metrics: values.metrics,
      alertRules,
      recordDir: values.record,
      recordMaxBytes: maxMbText === undefined ? undefined : Math.round(Number(maxMbText) * 1024 * 1024),
      allowedOrigins: values['allow-origin'] ?? [],
      engineWorkers,
      log: (line) => io.stderr(`${line}\n`),
      ...extra,
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw earshotError('ERR_INVALID_ARGUMENT', `serve: port ${portText} on ${host} is in use; pick another with --port`);
    if (code === 'EADDRNOTAVAIL') throw earshotError('ERR_INVALID_ARGUMENT', `serve: ${host} is not an address of this machine`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw earshotError('ERR_INVALID_ARGUMENT', `serve: cannot resolve host ${host}`);
    throw e;
  }
  const auth = token === undefined ? '' : `#token=${encodeURIComponent(token)}`;
  const tokenArg = token === undefined ? '' : ` --token ${token}`;
  io.stdout(
    [
      `earshot serve: listening on ${server.url}`,
      `  dashboard  ${server.url}/${auth}`,
      `  ingest     ${server.wsUrl}/ingest`,
      `  feed       ${server.wsUrl}/feed`,
      `  metrics    ${server.url}/metrics${token === undefined ? '' : ' (header Authorization: Bearer <token>)'}`,
      `  push       earshot push REF.wav DEG.wav --url ${server.wsUrl}${tokenArg}`,
      `  alerts     ${alertRules.length} rule(s)${values.alerts ? ` from ${values.alerts}` : ' (built-in)'}${values.record ? `; recording into ${values.record}` : ''}`,
      '',
    ].join('\n'),
  );
  return { server, stop: () => server.close() };
}

export async function runServe(args: string[], io: CliIo): Promise<number> {
  const handle = await startServe(args, io);
  if (!handle) return 0;
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.stderr('earshot serve: stopping\n');
  await handle.stop();
  return 0;
}

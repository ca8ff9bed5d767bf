/**
 * `earshot` command line. Exit codes: 0 success, 1 unreadable or invalid input, 2 usage error;
 * `earshot rig` also 3 when a --fail-below gate fails.
 * Errors print one line naming the file and the problem (set EARSHOT_DEBUG=1 for a stack trace).
 */
import { statSync } from 'node:fs';
import { EarshotError, earshotError } from '../errors.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stdout is an interactive terminal (enables the live-updating views). */
  isTty?: boolean;
  /** stderr is an interactive terminal (progress bars). */
  stderrIsTty?: boolean;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    // Each command's module is imported only when that command runs, so `earshot analyze` does not
    // load the server, the rig, Web Audio, RxJS, prom-client or ws.
    switch (command) {
      case 'analyze':
        return await ((await import(analyzeModule())) as typeof import('./analyze-command.js')).runAnalyze(rest, io);
      case 'monitor':
        return await (await import('./monitor-command.js')).runMonitor(rest, io, io.isTty ?? false);
      case 'demo':
        return await (await import('./demo-command.js')).runDemo(rest, io);
      case 'rig':
        return await (await import('./rig-command.js')).runRig(rest, io);
      case 'serve':
        return await (await import('./serve-command.js')).runServe(rest, io);
      case 'push':
        return await (await import('./push-command.js')).runPush(rest, io);
      case 'replay':
        return await (await import('./replay-command.js')).runReplay(rest, io);
      case 'metrics':
        return (await import('./metrics-command.js')).runMetrics(rest, io);
      case 'call':
        return await (await import('./call-command.js')).runCallCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout((await allUsages()).join('\n'));
        return command === undefined ? 2 : 0;
      default:
        throw earshotError('ERR_USAGE', `unknown command "${command}"; expected one of: analyze, metrics, monitor, demo, serve, push, replay, rig, call`);
    }
  } catch (e) {
    return reportError(e, io);
  }
}

/**
 * The analyze command's module: its bundle (tools/bundle-cli.mjs, written by `npm run build`: one
 * file to load instead of ~90, about 30 ms less start-up) when that is at least as new as the module
 * it was built from, else the module itself (from the sources, or after a `tsc` without the bundle
 * step, which rewrites every module and so makes an older bundle stale).
 */
export function analyzeModule(here: string = import.meta.url): string {
  const own = './analyze-command.js';
  try {
    const bundle = new URL('./bundle/analyze.js', here);
    if (statSync(bundle).mtimeMs >= statSync(new URL(own, here)).mtimeMs) return bundle.href;
  } catch {
    // no bundle, or no compiled module beside it (running from the sources)
  }
  return own;
}

function reportError(e: unknown, io: CliIo): number {
  if (process.env.EARSHOT_DEBUG) io.stderr(`${(e as Error).stack}\n`);
  if (e instanceof EarshotError) {
    io.stderr(`earshot: ${e.message}\n`);
    if (e.code === 'ERR_USAGE') {
      io.stderr(`Run "earshot help" for usage.\n`);
      return 2;
    }
    return 1;
  }
  const code = (e as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr(`earshot: ${(e as Error).message.split('\n')[0]}\nRun "earshot help" for usage.\n`);
    return 2;
  }
  io.stderr(`earshot: internal error: ${(e as Error).message ?? String(e)}\n`);
  return 1;
}

/** Every command's usage, in the order `earshot help` prints them (loads every command module). */
async function allUsages(): Promise<string[]> {
  const [analyze, metrics, monitor, demo, serve, push, replay, rig, call] = await Promise.all([
    import('./analyze-command.js'),
    import('./metrics-command.js'),
    import('./monitor-command.js'),
    import('./demo-command.js'),
    import('./serve-command.js'),
    import('./push-command.js'),
    import('./replay-command.js'),
    import('./rig-command.js'),
    import('./call-command.js'),
  ]);
  return [analyze.ANALYZE_USAGE, metrics.METRICS_USAGE, monitor.MONITOR_USAGE, demo.DEMO_USAGE, serve.SERVE_USAGE, push.PUSH_USAGE, replay.REPLAY_USAGE, rig.RIG_USAGE, call.CALL_USAGE];
}

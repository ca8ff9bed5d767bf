/**
 * `earshot demo [--port N] [--host H] [--token T | --no-auth]`: the live demo on bundled audio (see
 * src/demo/demo.ts). Prints the dashboard URL and runs until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { startDemoAudio } from '../demo/demo.js';
import { earshotError } from '../errors.js';
import type { CliIo } from './main.js';
import { startServe } from './serve-command.js';

export const DEMO_USAGE = `Usage: earshot demo [--port 8080] [--host 127.0.0.1] [--token T | --no-auth] [--seconds S]

Live demo: a bundled speech clip mixed with noise goes through a spectral-subtraction AudioWorklet
(examples/spectral-subtraction.worklet.js) in a realtime Web Audio graph; Earshot watches the
denoiser against the clean clip. Open the printed dashboard URL. Ctrl-C stops (or --seconds S).
`;

export async function runDemo(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      'no-auth': { type: 'boolean', default: false },
      seconds: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(DEMO_USAGE);
    return 0;
  }
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0)) throw earshotError('ERR_USAGE', `--seconds must be a positive number, got "${values.seconds}"`);
  const serveArgs = ['--port', values.port as string, '--host', values.host as string];
  if (values.token) serveArgs.push('--token', values.token);
  if (values['no-auth']) serveArgs.push('--no-auth');
  const handle = await startServe(serveArgs, io);
  if (!handle) return 0;
  const { server } = handle;
  let demo;
  try {
    demo = await startDemoAudio(server, server.token);
  } catch (e) {
    await handle.stop();
    throw e;
  }
  io.stdout(`earshot demo: streaming the denoiser demo into session "demo"; open the dashboard link above. Ctrl-C stops.\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      clearTimeout(timer);
      resolve();
    };
    const timer = seconds === undefined ? undefined : setTimeout(stop, seconds * 1000);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const stats = demo.stats();
  io.stderr(`earshot demo: stopping (${(stats.framesSent / 16000).toFixed(1)} s of audio streamed, ${stats.overruns} capture overruns)\n`);
  await demo.stop();
  await handle.stop();
  return 0;
}

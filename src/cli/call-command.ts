/**
 * `earshot call`: a live WebRTC loopback call in headless Chromium as the device under test
 * (src/call/, docs/call.md). Parses arguments, runs the call, prints the tables, `--json` or writes
 * `--report`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { callJson, formatCall, renderCallReport } from '../call/format.js';
import { CALL_RATE_HZ, runCall, sessionName, type CallResult } from '../call/run.js';
import { ConnectionClosedError } from '../server/client.js';
import { encodeWavPcm16 } from '../io/wav.js';
import { earshotError } from '../errors.js';
import type { CliIo } from './main.js';

export const CALL_USAGE = `Usage:
  earshot call --clean CLEAN.wav [--noise NOISE.wav --snr 5 | --noisy NOISY.wav]
               [--bitrate 6000,16000,32000] [--ns on|off] [--aec on|off] [--agc on|off]
               [--seconds S] [--chromium PATH] [--serve URL --token T] [--json] [--report OUT.html] [--save DIR]

Runs a WebRTC call in headless Chromium (two peer connections in one page, Opus over loopback):
the noisy speech goes through the browser's own processing (getUserMedia with NS / AEC / AGC as
asked) or straight in, over the call at each bitrate; the sent and received signals are recorded in
one worklet and scored: processing (clean vs sent), network + codec (sent vs received), end to end
(clean vs received), the delay track, and the call's getStats() figures.
  --clean FILE        clean speech (the reference)
  --noise FILE        noise mixed into the clean at --snr dB (whole-file energy; looped if short)
  --snr DB            input SNR for --noise
  --noisy FILE        a ready noisy input instead (time-aligned with --clean)
  --bitrate LIST      Opus bitrates in bit/s (default 6000,16000,32000)
  --ns, --aec, --agc  the browser's noise suppression, echo cancellation, auto gain: on, off or
                      on,off to sweep (default off); any on feeds the input through getUserMedia
  --seconds S         recorded per condition (default: the clean file's length, 3..20 s)
  --settle S          call time before recording, so the jitter buffer settles (default 3)
  --jitter-buffer MS  receiver.jitterBufferTarget (default 100)
  --metrics LIST      metric keys to score (see earshot metrics; default every metric)
  --chromium PATH     the browser (default $CHROME_PATH, else /usr/bin/chromium)
  --serve URL         also stream each condition live to a running "earshot serve"
                      (sessions call-<bitrate>: ref = sent, deg = received, 48 kHz)
  --token T           that server's token (default $EARSHOT_TOKEN)
  --json              print one JSON object instead of the tables
  --report FILE.html  also write a self-contained HTML report
  --save DIR          also write each condition's recordings, 48 kHz 16-bit WAV:
                      DIR/<session name>.sent.wav and .received.wav
Exit codes: 0 success, 1 unreadable input, browser or call failure, 2 usage error.
`;

function onOffList(flag: string, text: string | undefined): boolean[] {
  if (text === undefined) return [false];
  const out = text.split(',').map((s) => {
    const v = s.trim().toLowerCase();
    if (v === 'on') return true;
    if (v === 'off') return false;
    throw earshotError('ERR_USAGE', `--${flag}: expected on, off or on,off, got "${text}"`);
  });
  return [...new Set(out)];
}

function numberArg(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw earshotError('ERR_USAGE', `--${flag}: expected a number, got "${text}"`);
  return v;
}

export async function runCallCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      clean: { type: 'string' },
      noise: { type: 'string' },
      snr: { type: 'string' },
      noisy: { type: 'string' },
      bitrate: { type: 'string', default: '6000,16000,32000' },
      ns: { type: 'string' },
      aec: { type: 'string' },
      agc: { type: 'string' },
      seconds: { type: 'string' },
      settle: { type: 'string' },
      'jitter-buffer': { type: 'string' },
      metrics: { type: 'string' },
      chromium: { type: 'string' },
      serve: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
      report: { type: 'string' },
      save: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(CALL_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw earshotError('ERR_USAGE', `unexpected argument "${positionals[0]}"`);
  if (values.clean === undefined) throw earshotError('ERR_USAGE', 'earshot call needs --clean FILE');
  if (values.noise !== undefined && values.snr === undefined) throw earshotError('ERR_USAGE', '--noise needs --snr DB');
  if (values.snr !== undefined && values.noise === undefined) throw earshotError('ERR_USAGE', '--snr needs --noise FILE');
  if (values.noise !== undefined && values.noisy !== undefined) throw earshotError('ERR_USAGE', 'give --noise (with --snr) or --noisy, not both');
  if (values.token !== undefined && values.serve === undefined) throw earshotError('ERR_USAGE', '--token needs --serve URL');
  const bitrates = values.bitrate.split(',').map((s) => {
    const v = Number(s.trim());
    if (s.trim() === '' || !Number.isInteger(v)) throw earshotError('ERR_USAGE', `--bitrate: expected whole bit/s like 6000,16000,32000, got "${values.bitrate}"`);
    return v;
  });
  const settle = numberArg('settle', values.settle);
  if (settle !== undefined && !(settle >= 0 && settle <= 60)) throw earshotError('ERR_USAGE', `--settle: expected 0..60 s, got ${settle}`);
  const jitter = numberArg('jitter-buffer', values['jitter-buffer']);
  if (jitter !== undefined && !(jitter >= 0 && jitter <= 4000)) throw earshotError('ERR_USAGE', `--jitter-buffer: expected 0..4000 ms, got ${jitter}`);
  const token = values.token ?? process.env.EARSHOT_TOKEN;
  const save = values.save;
  if (save !== undefined) {
    try {
      mkdirSync(save, { recursive: true });
    } catch (e) {
      throw earshotError('ERR_FILE_UNREADABLE', `${save}: cannot create the folder: ${(e as Error).message}`);
    }
  }
  const ns = onOffList('ns', values.ns);
  const aec = onOffList('aec', values.aec);
  const agc = onOffList('agc', values.agc);
  const sweeps = ns.length * aec.length * agc.length > 1; // as runCall names the sessions
  let result: CallResult;
  try {
    result = await runCall({
      clean: values.clean,
      noise: values.noise,
      snr: numberArg('snr', values.snr),
      noisy: values.noisy,
      bitrates: [...new Set(bitrates)],
      ns,
      aec,
      agc,
      seconds: numberArg('seconds', values.seconds),
      settleSec: settle,
      jitterBufferTargetMs: jitter,
      metrics: values.metrics,
      chromium: values.chromium,
      serve: values.serve !== undefined ? { url: values.serve, token } : undefined,
      onProgress: values.json ? undefined : (line) => io.stderr(`${line}\n`),
      onRecording:
        save === undefined
          ? undefined
          : (c, sent, received) => {
              const base = join(save, sessionName(c, sweeps));
              writeFileSync(`${base}.sent.wav`, encodeWavPcm16([sent], CALL_RATE_HZ));
              writeFileSync(`${base}.received.wav`, encodeWavPcm16([received], CALL_RATE_HZ));
            },
    });
  } catch (e) {
    // The --serve server refused or went away: its message says so (as `earshot push` reports it).
    if (!(e instanceof ConnectionClosedError) && !/^ingest: /.test((e as Error).message ?? '')) throw e;
    io.stderr(`earshot: call: --serve: ${(e as Error).message}\n`);
    return 1;
  }
  if (values.report !== undefined) {
    try {
      writeFileSync(values.report, renderCallReport(result));
    } catch (e) {
      throw earshotError('ERR_FILE_UNREADABLE', `${values.report}: cannot write the report: ${(e as Error).message}`);
    }
  }
  io.stdout(values.json ? `${JSON.stringify(callJson(result), null, 2)}\n` : formatCall(result));
  return 0;
}

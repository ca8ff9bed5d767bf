/** `earshot call` arguments: usage errors exit 2 and bad inputs exit 1 before any browser starts. */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const CLEAN = 'examples/audio/hello.ref.wav';

async function run(args: string[]): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  let out = '';
  const code = await main(['call', ...args], { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, err, out };
}

describe('earshot call arguments', () => {
  it.each([
    [[], /needs --clean FILE/],
    [['--clean', CLEAN, '--noise', CLEAN], /--noise needs --snr/],
    [['--clean', CLEAN, '--snr', '5'], /--snr needs --noise/],
    [['--clean', CLEAN, '--noise', CLEAN, '--snr', '5', '--noisy', CLEAN], /not both/],
    [['--clean', CLEAN, '--ns', 'maybe'], /--ns: expected on, off or on,off, got "maybe"/],
    [['--clean', CLEAN, '--bitrate', '16k'], /--bitrate: expected whole bit\/s/],
    [['--clean', CLEAN, '--bitrate', '1000'], /expected whole bit\/s in 6000\.\.510000 \(Opus\), got 1000/],
    [['--clean', CLEAN, '--seconds', '0.5'], /--seconds: expected 1\.\.600, got 0\.5/],
    [['--clean', CLEAN, '--token', 'x'], /--token needs --serve URL/],
    [['--clean', CLEAN, 'extra'], /unexpected argument "extra"/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('a missing clean file or browser is exit 1, naming it', async () => {
    const a = await run(['--clean', 'no/such.wav']);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/no\/such\.wav/);
    const b = await run(['--clean', CLEAN, '--chromium', '/no/such/chromium']);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/\/no\/such\/chromium: no Chromium there \(--chromium\)/);
  });

  it('--help prints the usage', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage:\n {2}earshot call --clean CLEAN\.wav/);
  });
});

describe('earshot call --serve', () => {
  it('a server that is not there is exit 1 before any browser starts, saying so', async () => {
    // Port 9 (discard) on loopback: nothing listens there.
    const r = await run(['--clean', CLEAN, '--serve', 'ws://127.0.0.1:9', '--chromium', process.execPath]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^earshot: call: --serve: ingest: cannot connect to ws:\/\/127\.0\.0\.1:9\/ingest/);
  });
});

/**
 * Headless Chromium for `earshot call`, driven by playwright-core (an optional peer dependency: never
 * a downloaded browser). Which binary: `--chromium PATH`, else `$CHROME_PATH`, else Debian's
 * /usr/bin/chromium. A fresh profile per launch, deleted on close.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { earshotError } from '../errors.js';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Flags for a closed machine: no network beyond loopback, no GPU, no updates (the browser tests use them too). */
export const HEADLESS_CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** What a loopback call adds: without --allow-loopback-in-peer-connection no ICE candidates appear on 127.0.0.1. */
export const CALL_CHROMIUM_ARGS = [
  ...HEADLESS_CHROMIUM_ARGS,
  '--allow-loopback-in-peer-connection',
  // Host candidates as plain 127.0.0.1, not mDNS names (nothing resolves .local in a closed namespace).
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

/** The fake capture device playing `wavPath` (looped) to getUserMedia, permission granted. */
export function fakeCaptureArgs(wavPath: string): string[] {
  return ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${wavPath}`];
}

/** The binary to launch; throws ERR_FILE_NOT_FOUND naming where it looked. */
export function resolveChromium(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const path = flag ?? env.CHROME_PATH ?? DEFAULT_CHROMIUM;
  if (!existsSync(path)) {
    const from = flag !== undefined ? '--chromium' : env.CHROME_PATH !== undefined ? '$CHROME_PATH' : 'the default';
    throw earshotError('ERR_FILE_NOT_FOUND', `${path}: no Chromium there (${from}); install Debian's chromium or pass --chromium PATH`);
  }
  return path;
}

/** The parts of playwright-core's Page the call uses. */
export interface CallPage {
  goto(url: string): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  waitForFunction(fn: string, arg?: unknown, o?: { timeout?: number }): Promise<unknown>;
  on(event: 'pageerror' | 'console', listener: (e: { message?: string; text?: () => string }) => void): unknown;
}

export interface LaunchedBrowser {
  page: CallPage;
  close(): Promise<void>;
}

/** Launch `executablePath` headless with `extraArgs`; ERR_MISSING_DEPENDENCY without playwright-core. */
export async function launchCallBrowser(executablePath: string, extraArgs: string[]): Promise<LaunchedBrowser> {
  let pw: { chromium: { launchPersistentContext(dir: string, o: Record<string, unknown>): Promise<any> } };
  try {
    // A non-literal specifier: the package is optional and its types are not needed here.
    const name = 'playwright-core';
    pw = (await import(name)) as typeof pw;
  } catch {
    throw earshotError('ERR_MISSING_DEPENDENCY', 'install playwright-core to use earshot call (npm install playwright-core; it drives your own Chromium, it downloads none)');
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'earshot-call-'));
  let context: any;
  try {
    context = await pw.chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...CALL_CHROMIUM_ARGS, ...extraArgs],
    });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw earshotError('ERR_FILE_UNREADABLE', `${executablePath}: Chromium did not start: ${(e as Error).message.split('\n')[0]}`);
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page: page as CallPage,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

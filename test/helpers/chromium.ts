/**
 * Headless Debian Chromium for browser tests, driven by playwright-core (never a downloaded browser).
 * CI installs /usr/bin/chromium (.ci/run); elsewhere a machine without it skips, loudly.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { HEADLESS_CHROMIUM_ARGS } from '../../src/call/chromium.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags this machine's closed network needs (design.md §7 and the env notes). */
export const CHROMIUM_ARGS = HEADLESS_CHROMIUM_ARGS;

/** Whether Chromium is here; under CI its absence is an error, elsewhere a warning. */
export function haveChromium(what: string): boolean {
  const have = existsSync(CHROMIUM);
  if (!have && process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  if (!have) console.warn(`${what} skipped: ${CHROMIUM} missing (apt-get install -y chromium)`);
  return have;
}

export interface LaunchedChromium {
  context: BrowserContext;
  /** Close the browser and delete its fresh profile. */
  close(): Promise<void>;
}

/** A fresh profile (new --user-data-dir) every launch; `extraArgs` after the standard flags. */
export async function launchChromium(viewport: { width: number; height: number }, extraArgs: string[] = []): Promise<LaunchedChromium> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'earshot-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport,
    deviceScaleFactor: 1,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

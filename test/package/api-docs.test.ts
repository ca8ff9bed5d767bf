/**
 * docs/api.md cannot rot: every ```js block in it runs against the packed package installed into an
 * empty folder (./packed.ts), which holds ref.wav, deg.wav and noisy.wav. A block that imports
 * 'earshot/browser' runs with node-web-audio-api's classes (from the repository) as the Web Audio
 * globals a page has. Each block must exit 0 and print something. The error table must list exactly
 * the codes of src/errors.ts.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHILD_TIMEOUT_MS, PACK_TIMEOUT_MS, REPO, node, packedInstall, type Packed } from './packed.js';

const DOC = readFileSync(join(REPO, 'docs/api.md'), 'utf8');
const BLOCKS = [...DOC.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
/** Web Audio globals of a page, as the browser example uses them. */
const WEB_AUDIO_GLOBALS = ['AudioContext', 'OfflineAudioContext', 'AudioWorkletNode', 'AudioBuffer', 'AudioBufferSourceNode', 'GainNode', 'OscillatorNode', 'DelayNode'];
/** An offline render through the worklet has stalled for many seconds on a loaded machine (test/stream/web-audio-source.test.ts). */
const BROWSER_EXAMPLE_TIMEOUT_MS = 2 * CHILD_TIMEOUT_MS;

let packed: Packed;
let webAudioGlobals: string;
/** Files this run wrote into the shared app folder. */
const written: string[] = [];
afterAll(() => {
  for (const f of written) rmSync(f, { force: true });
});
beforeAll(async () => {
  packed = await packedInstall();
  webAudioGlobals = join(packed.appDir, `web-audio-globals-${process.pid}.mjs`);
  written.push(webAudioGlobals);
  writeFileSync(
    webAudioGlobals,
    `// node-web-audio-api 2.x needs Promise.withResolvers (Node 22); Node 20 lacks it.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}
const wa = await import(${JSON.stringify(pathToFileURL(join(REPO, 'node_modules/node-web-audio-api/index.js')).href)});
for (const name of ${JSON.stringify(WEB_AUDIO_GLOBALS)}) globalThis[name] = wa[name];
`,
  );
}, PACK_TIMEOUT_MS);

describe('docs/api.md', () => {
  it('has an example for each entry point', () => {
    for (const entry of ['earshot', 'earshot/browser', 'earshot/server']) {
      expect(BLOCKS.some((b) => b.includes(`from '${entry}'`))).toBe(true);
    }
  });

  for (const [i, block] of BLOCKS.entries()) {
    const browser = block.includes("from 'earshot/browser'");
    const title = `example ${i + 1} runs: ${block.split('\n')[0]}`;
    it(title, { timeout: browser ? BROWSER_EXAMPLE_TIMEOUT_MS : CHILD_TIMEOUT_MS }, () => {
      const file = `api-example-${i + 1}-${process.pid}.mjs`;
      written.push(join(packed.appDir, file));
      writeFileSync(join(packed.appDir, file), block);
      const r = node(packed.appDir, browser ? ['--import', pathToFileURL(webAudioGlobals).href, file] : [file]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout.trim()).not.toBe('');
    });
  }

  it('lists exactly the error codes of src/errors.ts', () => {
    const source = readFileSync(join(REPO, 'src/errors.ts'), 'utf8');
    const union = source.slice(source.indexOf('export type ErrorCode'), source.indexOf(';', source.indexOf('export type ErrorCode')));
    const codes = [...union.matchAll(/'(ERR_[A-Z_]+)'/g)].map((m) => m[1]).sort();
    const table = DOC.slice(DOC.indexOf('## Errors'));
    const documented = [...table.matchAll(/`(ERR_[A-Z_]+)`/g)].map((m) => m[1]).sort();
    expect(documented).toEqual(codes);
  });
});

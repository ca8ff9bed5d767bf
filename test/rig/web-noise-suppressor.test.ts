/**
 * `earshot rig` on real denoisers as shipped on npm: @sapphi-red/web-noise-suppressor's RNNoise,
 * Speex, GTCRN and noise-gate worklets (a devDependency), run from node_modules with their wasm given
 * as processorOptions bytes (--option-file), as the package's own worklet nodes pass them. The
 * expected delays are the packages' own construction: RNNoise 480 samples (its frame) + 512 (the
 * package's ring buffer) = 992; Speex 128 (one quantum of buffering), both at 48 kHz, the rate
 * RNNoise is built for. GTCRN at 16 kHz: 384 samples, the figure issue 13 reports for Chromium's
 * OfflineAudioContext (no construction to derive it from here: part of it is the model's own).
 *
 * The noisy input is synthesised here: 3 s of the bundled clip (16 kHz, resampled to 48 kHz by the
 * rig) with seeded white noise at 5 dB SNR. Rendering and scoring at 48 kHz takes a while on a
 * loaded machine, hence the doubled test timeout.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PASSTHROUGH_WARNING } from '../../src/rig/run.js';
import { json, rig, RIG_TIMEOUT_MS, speech, whiteNoise, writeWav } from './helpers.js';

const require = createRequire(import.meta.url);
/** The package's dist folder, found through an entry of its exports map (dist/rnnoise/workletProcessor.js). */
const DIST = dirname(dirname(require.resolve('@sapphi-red/web-noise-suppressor/rnnoiseWorklet.js')));
const ANY_OVERRUNS = ['--max-overruns', '100%'];
/** Rendering at 48 kHz and analysing both streams: give each test twice the rig's usual allowance. */
const TIMEOUT_MS = 2 * RIG_TIMEOUT_MS;
let clean: string;
let noise: string;

beforeAll(() => {
  clean = writeWav('speech-3s.wav', speech(0.3, 3));
  noise = writeWav('white-48k.wav', whiteNoise(2 * 48000, 23), 48000);
});

const denoise = (name: string, extra: string[], rate = 48000, options = '{"maxChannels":1}') =>
  rig([
    '--processor', join(DIST, name, 'workletProcessor.js'),
    '--options', options,
    '--clean', clean, '--noise', noise, '--snr', '5', '--rate', String(rate), '--json',
    ...ANY_OVERRUNS, ...extra,
  ]);

describe('earshot rig: @sapphi-red/web-noise-suppressor as installed', () => {
  it.each([
    { name: 'rnnoise', delay: 992, what: 'its 480-sample frame + the 512-sample ring' },
    { name: 'speex', delay: 128, what: 'one quantum of buffering' },
  ])(
    '$name at 48 kHz: delay exactly $delay samples ($what), SI-SDR up by more than 3 dB',
    async ({ name, delay }) => {
      const r = await denoise(name, ['--option-file', `wasmBinary=${join(DIST, `${name}.wasm`)}`]);
      const j = json(r);
      expect(j.problems).toEqual([]);
      expect(j.warnings).toEqual([]);
      expect(j.name).toBe(`@sapphi-red/web-noise-suppressor/${name}`);
      expect(j.sampleRate).toBe(48000);
      expect(j.delaySamples).toBe(delay);
      expect(j.delayConstant).toBe(true);
      expect(j.conditions[0].delta.sisdr).toBeGreaterThan(3);
      expect(r.code).toBe(0);
    },
    TIMEOUT_MS,
  );

  it(
    'RNNoise without its wasm bytes fails to start: broken (its loader rejects, the output is silent), never PASS',
    async () => {
      const r = await denoise('rnnoise', []);
      const j = json(r);
      expect(r.code).toBe(1);
      expect(j.verdict).toBe('broken');
      expect(j.problems.map((p: { kind: string }) => p.kind)).toEqual(['scope', 'silent']);
      expect(j.problems[0].message).toMatch(/--option-file KEY=FILE\.wasm/);
    },
    TIMEOUT_MS,
  );

  it(
    'GTCRN at 16 kHz: delay exactly 384 samples, SI-SDR up by more than 3 dB; at 22050 Hz it refuses to start: broken, with its reason',
    async () => {
      const wasm = ['--option-file', `wasmBinary=${join(DIST, 'gtcrn.wasm')}`];
      const j = json(await denoise('gtcrn', wasm, 16000));
      expect(j.problems).toEqual([]);
      expect(j.delaySamples).toBe(384);
      expect(j.delayConstant).toBe(true);
      expect(j.conditions[0].delta.sisdr).toBeGreaterThan(3);
      const wrong = json(await denoise('gtcrn', wasm, 22050));
      expect(wrong.verdict).toBe('broken');
      expect(wrong.problems[0]).toMatchObject({ kind: 'scope', message: expect.stringMatching(/GTCRN supports only 16000Hz and 48000Hz\. \(was 22050Hz\)/) });
    },
    TIMEOUT_MS,
  );

  it(
    'the noise gate without thresholds (NaN inside) outputs silence: broken; with thresholds below the noise it stays open: the pass-through warning',
    async () => {
      const nan = json(await denoise('noiseGate', [], 16000));
      expect(nan.verdict).toBe('broken');
      expect(nan.problems.map((p: { kind: string }) => p.kind)).toEqual(['silent']);
      const open = json(await denoise('noiseGate', [], 16000, '{"maxChannels":1,"openThreshold":-40,"closeThreshold":-45,"holdMs":90}'));
      expect(open.problems).toEqual([]);
      expect(open.warnings).toEqual([PASSTHROUGH_WARNING]);
      expect(open.verdict).toBe('pass');
    },
    TIMEOUT_MS,
  );
});

/**
 * Makes the small bundled example clips in examples/audio (committed; rerun only to change them):
 * synthesised speech (espeak-ng, resampled to 16 kHz by sox), a noisy mixture at 5 dB SNR, and a
 * "processed" output: the mixture with the noise attenuated by 10 dB, delayed by 12 ms, as a crude
 * stand-in for a denoiser with latency. Needs espeak-ng and sox (Debian packages); run with
 * `npx tsx tools/make-example-audio.ts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWav, encodeWavPcm16 } from '../src/io/wav.js';

const RATE = 16000;
const OUT = 'examples/audio';
const tmp = mkdtempSync(join(tmpdir(), 'earshot-'));
const raw = join(tmp, 'raw.wav');
const speech = join(tmp, 'speech.wav');
execFileSync('espeak-ng', ['-v', 'en-us', '-s', '160', '-a', '100', '-w', raw, 'Hello. This is Earshot, listening to how clean your speech sounds, live.']);
execFileSync('sox', ['-R', '-D', raw, '-r', String(RATE), '-b', '16', speech, 'gain', '-6', 'pad', '0.3', '0.3']);
const clean = decodeWav(readFileSync(speech), speech).channels[0];

// Deterministic pink-ish noise: white noise through a one-pole low-pass, seeded.
let seed = 12345;
const white = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2147483648 - 1;
};
const noise = new Float64Array(clean.length);
let lp = 0;
for (let i = 0; i < noise.length; i++) {
  lp = 0.9 * lp + 0.1 * white();
  noise[i] = lp + 0.2 * white();
}
const energy = (x: Float64Array) => x.reduce((a, v) => a + v * v, 0);
const gain = Math.sqrt(energy(clean) / energy(noise) / 10 ** (5 / 10)); // 5 dB SNR
const noisy = clean.map((v, i) => v + gain * noise[i]);
const delay = Math.round(0.012 * RATE);
const processed = new Float64Array(clean.length);
for (let i = delay; i < clean.length; i++) processed[i] = clean[i - delay] + gain * 10 ** (-10 / 20) * noise[i - delay];

writeFileSync(join(OUT, 'hello.ref.wav'), encodeWavPcm16([clean], RATE));
writeFileSync(join(OUT, 'hello.noisy.wav'), encodeWavPcm16([noisy], RATE));
writeFileSync(join(OUT, 'hello.deg.wav'), encodeWavPcm16([processed], RATE));
console.log(`wrote ${OUT}/hello.{ref,noisy,deg}.wav: ${(clean.length / RATE).toFixed(2)} s at ${RATE} Hz`);

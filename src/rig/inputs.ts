/**
 * Loading the rig's inputs: clean speech, a noise to mix at each SNR (or a ready noisy file), all at
 * one sample rate. Builds the scenario `runConditions` renders.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resampleOct } from '../dsp/resample.js';
import { earshotError } from '../errors.js';
import { readWav } from '../io/wav.js';
import { mixAtSnr } from './mix.js';
import type { ConditionSpec, Scenario } from './run.js';

export interface MonoAudio {
  path: string;
  sampleRate: number;
  samples: Float64Array;
}

/** Read a WAV file as mono (channel 0 of a multichannel file, with a note). */
export function readMono(path: string, notes: string[]): MonoAudio {
  const audio = readWav(path);
  if (audio.channels.length > 1) notes.push(`${path}: ${audio.channels.length} channels, using channel 0`);
  return { path, sampleRate: audio.sampleRate, samples: audio.channels[0] };
}

/** Resample to `rate` when needed (with a note). */
export function atRate(a: MonoAudio, rate: number, notes: string[]): Float64Array {
  if (a.sampleRate === rate) return a.samples;
  notes.push(`${a.path}: resampled from ${a.sampleRate} Hz to ${rate} Hz`);
  return resampleOct(a.samples, rate, a.sampleRate);
}

function isSilent(x: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) return false;
  return true;
}

/** A condition label: "5 dB", "-5 dB", or "given noisy". */
export function snrLabel(snr: number | null): string {
  return snr === null ? 'given noisy' : `${snr} dB`;
}

/** Clean + noise at each SNR, or clean + a given noisy file, at `rate` (default: the clean file's). */
export function buildScenario(
  files: { clean: string; noise?: string; noisy?: string },
  snrs: number[],
  rate: number | undefined,
  notes: string[],
): Scenario {
  const clean = readMono(files.clean, notes);
  const sampleRate = rate ?? clean.sampleRate;
  const cleanSamples = atRate(clean, sampleRate, notes);
  if (isSilent(cleanSamples)) throw earshotError('ERR_WAV_INVALID', `${files.clean}: the clean reference is silent (all zeros)`);
  let conditions: ConditionSpec[];
  let cleanUsed = cleanSamples;
  if (files.noise !== undefined) {
    const noise = atRate(readMono(files.noise, notes), sampleRate, notes);
    if (isSilent(noise)) throw earshotError('ERR_WAV_INVALID', `${files.noise}: the noise is silent (all zeros)`);
    if (noise.length < cleanSamples.length) notes.push(`${files.noise}: shorter than the clean speech, looped`);
    conditions = snrs.map((snr) => ({ snr, label: snrLabel(snr), noisy: mixAtSnr(cleanSamples, noise, snr).noisy }));
  } else if (files.noisy !== undefined) {
    let noisy = atRate(readMono(files.noisy, notes), sampleRate, notes);
    const n = Math.min(noisy.length, cleanSamples.length);
    if (noisy.length !== cleanSamples.length) {
      notes.push(`clean and noisy differ in length (${cleanSamples.length}, ${noisy.length} samples): using the common ${n}`);
      noisy = noisy.subarray(0, n);
      cleanUsed = cleanSamples.subarray(0, n);
    }
    conditions = [{ snr: null, label: snrLabel(null), noisy }];
  } else {
    throw earshotError('ERR_USAGE', 'expected --noise NOISE.wav (mixed at each --snr) or --noisy NOISY.wav');
  }
  return { sampleRate, clean: cleanUsed, conditions };
}

/** The .wav files of a folder, sorted by name. Throws when there are none. */
export function wavFiles(dir: string, flag: string): string[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw earshotError('ERR_USAGE', `${flag} ${dir}: not a folder`);
    entries = readdirSync(dir);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') throw earshotError('ERR_FILE_NOT_FOUND', `${flag} ${dir}: no such folder`);
    throw e;
  }
  const files = entries.filter((f) => /\.wav$/i.test(f)).sort().map((f) => join(dir, f));
  if (files.length === 0) throw earshotError('ERR_FILE_NOT_FOUND', `${flag} ${dir}: no .wav files in it`);
  return files;
}


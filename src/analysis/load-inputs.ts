/**
 * Loading the analysis inputs from WAV files: channel selection, silent-reference check, and sample
 * rate reconciliation (deg and noisy are resampled to ref's rate, and a note says so).
 */
import { earshotError } from '../errors.js';
import { openWav, readWav, selectChannel, type WavReader } from '../io/wav.js';
import { channelError } from '../io/wav-reader.js';
import { resampleOct } from '../dsp/resample.js';
import type { AnalyzeInput, SourceInput } from './analyze.js';
import { resampledSource, wavChannelSource, type SignalSource } from './sources.js';

export interface LoadedInput extends AnalyzeInput {
  notes: string[];
  warnings: string[];
}

export function loadInputs(files: { refs: string[]; degs: string[]; noisy?: string }, channel: number): LoadedInput {
  const notes: string[] = [];
  const warnings: string[] = [];
  const load = (path: string) => {
    const audio = readWav(path);
    // --channel picks from multichannel files; a mono file has only its one channel to give.
    const samples = audio.channels.length === 1 ? audio.channels[0] : selectChannel(audio, channel, path);
    return { path, sampleRate: audio.sampleRate, samples };
  };
  const refs = files.refs.map(load);
  const degs = files.degs.map(load);
  const noisy = files.noisy ? load(files.noisy) : undefined;
  // Without a reference (reference-free analysis) deg sets the rate.
  const sampleRate = (refs[0] ?? degs[0]).sampleRate;
  for (const r of refs) {
    if (r.sampleRate !== sampleRate) {
      throw earshotError('ERR_SAMPLE_RATE', `${r.path}: sample rate ${r.sampleRate} Hz differs from ${refs[0].path} (${sampleRate} Hz); references must share one rate`);
    }
    if (isSilent(r.samples)) {
      throw earshotError('ERR_WAV_INVALID', `${r.path}: reference is silent (all zeros); no reference-based metric is defined`);
    }
  }
  const toRefRate = (x: { path: string; sampleRate: number; samples: Float64Array }) => {
    if (x.sampleRate === sampleRate) return x.samples;
    notes.push(`${x.path}: resampled from ${x.sampleRate} Hz to the reference rate ${sampleRate} Hz`);
    return resampleOct(x.samples, sampleRate, x.sampleRate);
  };
  const degSamples = degs.map(toRefRate);
  for (const [i, d] of degSamples.entries()) {
    if (isSilent(d)) warnings.push(`${degs[i].path} is silent (all zeros): metrics that need a signal are null`);
  }
  const noisySamples = noisy ? toRefRate(noisy) : undefined;
  return { sampleRate, refs: refs.map((r) => r.samples), degs: degSamples, noisy: noisySamples, notes, warnings };
}

function isSilent(x: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) return false;
  return true;
}

/** The analysis inputs as streams over the files (constant memory; `close()` when done). */
export interface OpenedInput extends SourceInput {
  notes: string[];
  close(): void;
}

/**
 * Open the files as streams: channel selection, and sample-rate reconciliation (deg and noisy are
 * resampled to ref's rate on the fly, and a note says so). The silence checks run during the first
 * pass of `analyzeSources` (`silenceChecks`).
 */
export function openInputs(files: { refs: string[]; degs: string[]; noisy?: string }, channel: number): OpenedInput {
  const notes: string[] = [];
  const opened: WavReader[] = [];
  try {
    const open = (path: string) => {
      const reader = openWav(path);
      opened.push(reader);
      // --channel picks from multichannel files; a mono file has only its one channel to give.
      const c = reader.channelCount === 1 ? 0 : channel;
      if (!Number.isInteger(c) || c < 0 || c >= reader.channelCount) throw channelError(path, channel, reader.channelCount);
      return { path, sampleRate: reader.sampleRate, source: wavChannelSource(reader, c) };
    };
    const refs = files.refs.map(open);
    const degs = files.degs.map(open);
    const noisy = files.noisy ? open(files.noisy) : undefined;
    const sampleRate = (refs[0] ?? degs[0]).sampleRate;
    for (const r of refs) {
      if (r.sampleRate !== sampleRate) {
        throw earshotError('ERR_SAMPLE_RATE', `${r.path}: sample rate ${r.sampleRate} Hz differs from ${refs[0].path} (${sampleRate} Hz); references must share one rate`);
      }
    }
    const toRefRate = (x: { path: string; sampleRate: number; source: SignalSource }) => {
      if (x.sampleRate === sampleRate) return x.source;
      notes.push(`${x.path}: resampled from ${x.sampleRate} Hz to the reference rate ${sampleRate} Hz`);
      return resampledSource(x.source, x.sampleRate, sampleRate);
    };
    return {
      sampleRate,
      refs: refs.map((r) => r.source),
      degs: degs.map(toRefRate),
      noisy: noisy && toRefRate(noisy),
      names: { refs: files.refs, degs: files.degs, noisy: files.noisy },
      silenceChecks: true,
      notes,
      close: () => opened.forEach((r) => r.close()),
    };
  } catch (e) {
    opened.forEach((r) => r.close());
    throw e;
  }
}

/**
 * Loading the analysis inputs from WAV files: channel selection, silent-reference check, and sample
 * rate reconciliation (deg and noisy are resampled to ref's rate, and a note says so).
 */
import { earshotError } from '../errors.js';
import { openWav, type WavReader } from '../io/wav.js';
import { channelError } from '../io/wav-reader.js';
import type { AnalyzeInput, SourceInput } from './analyze.js';
import { SilenceCheck } from './silence.js';

export { SilenceCheck } from './silence.js';
import { resampledSource, wavChannelSource, type SignalSource } from '../io/sources.js';

export interface LoadedInput extends AnalyzeInput {
  notes: string[];
  warnings: string[];
}

/**
 * Whole-signal inputs (for `earshot push`, which sends the files whole): the streams of
 * `openInputs` read to the end, then the silence checks.
 */
export function loadInputs(files: { refs: string[]; degs: string[]; noisy?: string }, channel: number): LoadedInput {
  const input = openInputs(files, channel);
  try {
    const readAll = (src: SignalSource) => {
      const x = new Float64Array(src.length);
      src.read(x, x.length);
      return x;
    };
    const refs = input.refs.map(readAll);
    const degs = input.degs.map(readAll);
    const check = new SilenceCheck(input);
    check.update([...refs, ...degs]);
    return { sampleRate: input.sampleRate, refs, degs, noisy: input.noisy && readAll(input.noisy), notes: input.notes, warnings: check.finish() };
  } finally {
    input.close();
  }
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

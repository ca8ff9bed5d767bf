/**
 * Loading the analysis inputs from WAV files: channel selection, silent-reference check, and sample
 * rate reconciliation (deg and noisy are resampled to ref's rate, and a note says so).
 */
import { earshotError } from '../errors.js';
import { openWav, type WavReader } from '../io/wav.js';
import { channelError } from '../io/wav-reader.js';
import type { AnalyzeInput, SourceInput } from './analyze.js';
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

/**
 * Digital-silence checks over the refs then degs of an input, fed block by block: `finish` throws
 * ERR_WAV_INVALID for a silent reference (no reference-based metric is defined) and returns a warning
 * for each silent deg.
 */
export class SilenceCheck {
  private readonly nonZero: boolean[];
  constructor(private readonly input: Pick<SourceInput, 'refs' | 'degs' | 'names'>) {
    this.nonZero = [...input.refs, ...input.degs].map(() => false);
  }
  /** The next block of each stream, refs then degs. */
  update(views: Float64Array[]): void {
    for (let k = 0; k < views.length; k++) {
      if (this.nonZero[k]) continue;
      const v = views[k];
      for (let i = 0; i < v.length; i++) {
        if (v[i] !== 0) {
          this.nonZero[k] = true;
          break;
        }
      }
    }
  }
  finish(): string[] {
    const { refs, names } = this.input;
    refs.forEach((_, k) => {
      if (!this.nonZero[k]) throw earshotError('ERR_WAV_INVALID', `${names?.refs[k] ?? `ref ${k}`}: reference is silent (all zeros); no reference-based metric is defined`);
    });
    return this.input.degs.flatMap((_, k) => (this.nonZero[refs.length + k] ? [] : [`${names?.degs[k] ?? `deg ${k}`} is silent (all zeros): metrics that need a signal are null`]));
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

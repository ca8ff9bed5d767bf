/**
 * Plays whole signals (e.g. read from WAV files) as a stream of blocks: in real time (one block per
 * block duration of wall-clock time, drift-corrected) or as fast as possible.
 */
import { Observable } from 'rxjs';
import { arraySource, type SignalSource } from '../io/sources.js';
import type { StreamBlock } from './types.js';

export type PlaybackSpeed = 'realtime' | 'max';

export interface SignalSet {
  sampleRate: number;
  ref: Float64Array;
  deg: Float64Array;
  noisy?: Float64Array;
}

export interface PlaybackOptions {
  speed?: PlaybackSpeed;
  /** Samples per block (default 10 ms worth). */
  blockSize?: number;
}

export function playSignals(signals: SignalSet, options: PlaybackOptions = {}): Observable<StreamBlock> {
  const { sampleRate, ref, deg, noisy } = signals;
  return playSources({ sampleRate, ref: arraySource(ref), deg: arraySource(deg), noisy: noisy && arraySource(noisy) }, options);
}

/** Streams (e.g. WAV file channels) as sources of blocks. */
export interface SourceSet {
  sampleRate: number;
  ref: SignalSource;
  deg: SignalSource;
  noisy?: SignalSource;
}

/**
 * Plays streams read block by block (constant memory, whatever the files' length), over their
 * common length. Each block is a fresh array: a subscriber may keep it.
 */
export function playSources(signals: SourceSet, options: PlaybackOptions = {}): Observable<StreamBlock> {
  const { sampleRate, ref, deg, noisy } = signals;
  const length = Math.min(ref.length, deg.length, noisy?.length ?? Infinity);
  const block = options.blockSize ?? Math.round(sampleRate / 100);
  const take = (s: SignalSource, n: number) => {
    const out = new Float64Array(n);
    s.read(out, n);
    return out;
  };
  const blockAt = (t0: number): StreamBlock => {
    const n = Math.min(length, t0 + block) - t0;
    return { t0, sampleRate, ref: take(ref, n), deg: take(deg, n), noisy: noisy && take(noisy, n) };
  };
  return new Observable<StreamBlock>((subscriber) => {
    for (const s of [ref, deg, noisy]) s?.rewind();
    if (options.speed !== 'realtime') {
      // Yield to the event loop every ~second of audio so output can flush and signals are heard.
      let t0 = 0;
      let timer: NodeJS.Timeout | undefined;
      const run = () => {
        const stop = Math.min(length, t0 + sampleRate);
        while (t0 < stop && !subscriber.closed) {
          subscriber.next(blockAt(t0));
          t0 += block;
        }
        if (t0 >= length) subscriber.complete();
        else timer = setTimeout(run, 0);
      };
      run();
      return () => clearTimeout(timer);
    }
    const start = performance.now();
    let t0 = 0;
    let timer: NodeJS.Timeout | undefined;
    const tick = () => {
      // Emit every block whose end time has passed, then sleep until the next one is due.
      const due = ((performance.now() - start) / 1000) * sampleRate;
      while (t0 < length && t0 + block <= due + 1 && !subscriber.closed) {
        subscriber.next(blockAt(t0));
        t0 += block;
      }
      if (t0 >= length) {
        subscriber.complete();
        return;
      }
      const wait = ((t0 + block) / sampleRate) * 1000 - (performance.now() - start);
      timer = setTimeout(tick, Math.max(0, wait));
    };
    tick();
    return () => clearTimeout(timer);
  });
}

/**
 * Plays whole signals (e.g. read from WAV files) as a stream of blocks: in real time (one block per
 * block duration of wall-clock time, drift-corrected) or as fast as possible.
 */
import { Observable } from 'rxjs';
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
  const length = Math.min(ref.length, deg.length, noisy?.length ?? Infinity);
  const block = options.blockSize ?? Math.round(sampleRate / 100);
  const blockAt = (t0: number): StreamBlock => {
    const end = Math.min(length, t0 + block);
    return { t0, sampleRate, ref: ref.subarray(t0, end), deg: deg.subarray(t0, end), noisy: noisy?.subarray(t0, end) };
  };
  return new Observable<StreamBlock>((subscriber) => {
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

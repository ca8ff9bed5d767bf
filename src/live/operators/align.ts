/**
 * `align(options)`: an RxJS operator from captured blocks to aligned chunks, with the delay tracked
 * continuously (DelayTracker + Aligner, see docs/live.md). Delay changes arrive through `onDelay`.
 *
 * @example
 * playSignals(signals).pipe(align({ sampleRate: 16000, withNoisy: false })).subscribe((c) => ...);
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { StreamBlock } from '../../stream/types.js';
import { Aligner, type AlignedChunk, type AlignerEvents, type AlignerOptions } from '../aligner.js';

export function align(options: AlignerOptions & { onDelay?: AlignerEvents['onDelay'] }): OperatorFunction<StreamBlock, AlignedChunk> {
  return (source) =>
    new Observable<AlignedChunk>((subscriber) => {
      const aligner = new Aligner(options, {
        // The aligner reuses its output buffers: hand on copies, subscribers may keep them.
        onChunk: (c) =>
          subscriber.next({ ref: c.ref.slice(), deg: c.deg.slice(), noisy: c.noisy?.slice(), degEnd: c.degEnd }),
        onDelay: (u) => options.onDelay?.(u),
      });
      return source.subscribe({
        next: (b) => aligner.push(b),
        error: (e) => subscriber.error(e),
        complete: () => {
          aligner.end();
          subscriber.complete();
        },
      });
    });
}

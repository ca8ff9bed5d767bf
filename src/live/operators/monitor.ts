/**
 * `monitor(options)`: an RxJS operator from captured blocks to the live engine's metric samples
 * (windows frame/1s/3s/10s/total at the report rate, delay included as metric `delay`). The summary
 * (the keys of `earshot analyze --json`) and delay events go to the optional callbacks when the
 * source completes / as they happen.
 *
 * @example
 * playSignals(signals, { speed: 'max' })
 *   .pipe(monitor({ id: 'call-1', sampleRate: 16000, withNoisy: false }))
 *   .subscribe((s) => console.log(s.metric, s.window, s.value));
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { StreamBlock } from '../../stream/types.js';
import { createLiveEngineSession } from '../engine.js';
import type { DelayEvent, LiveEngineOptions, MetricSample, SummaryRecord } from '../types.js';

export interface MonitorOperatorOptions extends LiveEngineOptions {
  onSummary?: (summary: SummaryRecord) => void;
  onDelay?: (event: DelayEvent) => void;
}

export function monitor(options: MonitorOperatorOptions): OperatorFunction<StreamBlock, MetricSample> {
  return (source) =>
    new Observable<MetricSample>((subscriber) => {
      const session = createLiveEngineSession(options);
      const subs = [
        session.samples$.subscribe((s) => subscriber.next(s)),
        session.delays$.subscribe((d) => options.onDelay?.(d)),
        session.summary$.subscribe((s) => options.onSummary?.(s)),
      ];
      const input = source.subscribe({
        next: (b) => {
          try {
            session.push(b);
          } catch (e) {
            subscriber.error(e);
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          session.end();
          subscriber.complete();
        },
      });
      return () => {
        input.unsubscribe();
        for (const s of subs) s.unsubscribe();
      };
    });
}

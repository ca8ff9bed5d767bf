/**
 * A small stand-in for the live engine, for server tests that must not depend on it: per report hop it
 * emits SNR (src/metrics/snr.ts) for the hop (`frame`) and since the start (`total`), plus a `level`
 * sample (RMS of deg in dBFS); one delay event; spectrogram columns of what it got (the real front
 * end and Spectrogram, when `spectrumRateHz` > 0); and on `end()` a summary from the offline analysis
 * (src/analysis/analyze.ts) of everything pushed. It records the blocks it received so tests can check
 * the reassembly. It keeps the whole signal (tests only).
 */
import { Subject } from 'rxjs';
import { analyze } from '../../src/analysis/analyze.js';
import { reportJson } from '../../src/cli/format.js';
import type { DelayEvent, LiveEngineFactory, LiveEngineOptions, LiveEngineSession, MetricSample, SummaryRecord } from '../../src/live/types.js';
import { FrontEnd } from '../../src/features/front-end.js';
import { Spectrogram, type SpectrumColumn } from '../../src/features/spectrogram.js';
import { SnrAccumulator } from '../../src/metrics/snr.js';
import type { StreamBlock } from '../../src/stream/types.js';

export interface FakeEngine extends LiveEngineSession {
  readonly options: LiveEngineOptions;
  readonly blocks: StreamBlock[];
  ended: boolean;
}

export interface FakeEngineControls {
  factory: LiveEngineFactory;
  engines: FakeEngine[];
}

export function fakeEngineFactory(): FakeEngineControls {
  const controls: FakeEngineControls = {
    engines: [],
    factory: (options) => {
      const e = createFake(options);
      controls.engines.push(e);
      return e;
    },
  };
  return controls;
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function createFake(options: LiveEngineOptions): FakeEngine {
  const samples$ = new Subject<MetricSample>();
  const delays$ = new Subject<DelayEvent>();
  const summary$ = new Subject<SummaryRecord>();
  const spectra$ = new Subject<SpectrumColumn>();
  const fe = new FrontEnd(options.sampleRate);
  if ((options.spectrumRateHz ?? 0) > 0) new Spectrogram(fe, (c) => spectra$.next(c), options.spectrumRateHz);
  const hop = Math.round(options.sampleRate / (options.reportRateHz ?? 10));
  const hopSnr = new SnrAccumulator();
  const totalSnr = new SnrAccumulator();
  const blocks: StreamBlock[] = [];
  let inHop = 0;
  let hopDegEnergy = 0;
  let position = 0;
  let expectedT0 = 0;
  const emit = (metric: string, window: MetricSample['window'], v: { value: number | null; reason?: string }) => {
    const s: MetricSample = { session: options.id, t: position / options.sampleRate, metric, window, value: v.value, uncertainty: v.value === null ? null : 0.01 };
    if (v.reason) s.reason = v.reason;
    samples$.next(s);
  };
  const engine: FakeEngine = {
    id: options.id,
    sampleRate: options.sampleRate,
    options,
    blocks,
    ended: false,
    samples$,
    delays$,
    summary$,
    spectra$,
    push(block: StreamBlock) {
      if (block.t0 !== expectedT0) throw new Error(`fake engine: t0 ${block.t0}, expected ${expectedT0} (blocks must be continuous)`);
      expectedT0 += block.ref.length;
      blocks.push(block);
      fe.push({ ref: block.ref, deg: block.deg });
      if (position === 0 && block.ref.length > 0) {
        delays$.next({ session: options.id, t: 0, delayMs: 0, delaySamples: 0, confidence: 0.9, kind: 'initial' });
      }
      for (let i = 0; i < block.ref.length; ) {
        const n = Math.min(block.ref.length - i, hop - inHop);
        const part = { ref: block.ref.subarray(i, i + n), deg: block.deg.subarray(i, i + n) };
        hopSnr.update(part);
        totalSnr.update(part);
        for (let k = 0; k < n; k++) hopDegEnergy += part.deg[k] ** 2;
        i += n;
        inHop += n;
        position += n;
        if (inHop === hop) {
          emit('snr', 'frame', hopSnr.compute());
          emit('snr', 'total', totalSnr.compute());
          const rms = Math.sqrt(hopDegEnergy / hop);
          emit('level', 'frame', rms > 0 ? { value: 20 * Math.log10(rms) } : { value: null, reason: 'digital silence' });
          hopSnr.reset();
          hopDegEnergy = 0;
          inHop = 0;
        }
      }
    },
    end() {
      if (engine.ended) return;
      engine.ended = true;
      const ref = concat(blocks.map((b) => b.ref));
      const deg = concat(blocks.map((b) => b.deg));
      const noisy = options.withNoisy ? concat(blocks.map((b) => b.noisy!)) : undefined;
      if (ref.length > 0) {
        const report = analyze({ sampleRate: options.sampleRate, refs: [ref], degs: [deg], noisy }, { align: 'auto' });
        summary$.next({ type: 'summary', session: options.id, ...reportJson(report) });
      }
      spectra$.complete();
      samples$.complete();
      delays$.complete();
      summary$.complete();
    },
  };
  return engine;
}

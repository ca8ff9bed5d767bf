/**
 * `earshot`: the Node entry point. Offline scoring of files or arrays, live sessions, WAV reading and
 * the metric table. Importing it loads no native module: node-web-audio-api (an optional dependency)
 * is loaded only by `loadNodeWebAudio()`. The browser entry is `earshot/browser`, the server and its
 * ingest client `earshot/server`. Examples: docs/api.md.
 *
 * @example
 * import { analyzeFiles } from 'earshot';
 * const r = await analyzeFiles('ref.wav', 'deg.wav');
 * console.log(r.stoi, r.pesq, r.delayMs);
 */
export { analyze, type AlignMode, type AnalysisReport, type AnalyzeInput, type AnalyzeOptions, type ReportValue } from './analysis/analyze.js';
export { analyzeFiles, type AnalyzeFilesOptions } from './analysis/analyze-files.js';
export { createMonitor, type Monitor, type MonitorOptions } from './live/create-monitor.js';
export { monitor, type MonitorOperatorOptions } from './live/operators/monitor.js';
export type { DelayEvent, MetricSample, SummaryRecord, WindowName } from './live/types.js';
export { WINDOWS } from './live/types.js';
export { playSignals, type PlaybackOptions, type PlaybackSpeed, type SignalSet } from './stream/wav-source.js';
export type { StreamBlock } from './stream/types.js';
export { loadNodeWebAudio, type NodeWebAudio } from './stream/node-web-audio.js';
export { decodeWav, encodeWavPcm16, readWav, selectChannel, type WavAudio } from './io/wav.js';
export { metricRegistry, type MetricDefinition } from './metrics/registry.js';
export type { MetricValue } from './metrics/types.js';
export { EarshotError, isEarshotError, type ErrorCode } from './errors.js';

/**
 * `earshot/browser`: the browser entry point. Capture any AudioNodes through the capture worklet
 * (`createWebAudioSource`), score them live in the page (`createMonitor`) or offline (`analyze` on
 * arrays). Nothing reachable from here imports a Node built-in (test/package/browser-entry.test.ts).
 *
 * The worklet file is `earshot/worklets/capture`; with a bundler, import its URL and pass it as
 * `workletUrl` (Vite: `import workletUrl from 'earshot/worklets/capture?url'`). Examples: docs/api.md.
 */
export {
  CAPTURE_PROCESSOR_NAME,
  createWebAudioSource,
  defaultCaptureWorkletUrl,
  type AudioContextLike,
  type AudioNodeLike,
  type CaptureStats,
  type OfflineAudioContextLike,
  type WebAudioSource,
  type WebAudioSourceOptions,
} from './stream/web-audio-source.js';
export type { StreamBlock } from './stream/types.js';
export { createMonitor, type Monitor, type MonitorOptions } from './live/create-monitor.js';
export { monitor, type MonitorOperatorOptions } from './live/operators/monitor.js';
export type { DelayEvent, MetricSample, SummaryRecord, WindowName } from './live/types.js';
export { WINDOWS } from './live/types.js';
export { analyze, type AlignMode, type AnalysisReport, type AnalyzeInput, type AnalyzeOptions, type ReportValue } from './analysis/analyze.js';
export { metricRegistry, type MetricDefinition } from './metrics/registry.js';
export type { MetricValue } from './metrics/types.js';
export { EarshotError, isEarshotError, type ErrorCode } from './errors.js';
export { monitorCall, MONITOR_CALL_RATE_HZ, type CallAudioContext, type CallMonitor, type MonitorCallOptions, type PeerConnectionLike } from './call/monitor-call.js';

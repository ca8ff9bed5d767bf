/**
 * The DSP test rig's public API (what `earshot rig` uses): render an AudioWorklet processor on noisy
 * speech and score it. See docs/rig.md.
 */
export { mixAtSnr, quantumStats, concatFloat64, type QuantumStats } from './mix.js';
export { Renderer, RenderWatchdog, type RenderOutcome } from './renderer.js';
export {
  DEFAULT_MAX_OVERRUNS,
  DEFAULT_QUANTUM_BUDGET,
  EXIT_BROKEN,
  EXIT_FAILED_GATES,
  EXIT_PASS,
  RENDER_QUANTUM,
  conditionJson,
  DEFAULT_STALL_TIMEOUT_SEC,
  PASSTHROUGH_WARNING,
  rigJson,
  runConditions,
  summarize,
  type ConditionResult,
  type ConditionSpec,
  type OptionFile,
  type OverrunAllowance,
  type Problem,
  type ProblemKind,
  type RigResult,
  type RigSetup,
  type Scenario,
} from './run.js';
export { runBatch, batchJson, type BatchResult } from './batch.js';
export { buildScenario } from './inputs.js';
export { parseThresholds, type Threshold, type CheckResult } from './thresholds.js';
export { renderReportHtml, type ReportInput } from './report-html.js';
export { computeTimeline, type Timeline } from './timeline.js';

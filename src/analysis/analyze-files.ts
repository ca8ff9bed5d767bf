/**
 * `analyzeFiles(refPath, degPath, options)`: the programmatic `earshot analyze --json`.
 *
 * ```js
 * import { analyzeFiles } from 'earshot';
 * const r = await analyzeFiles('ref.wav', 'deg.wav', { metrics: ['stoi', 'sisdr'] });
 * console.log(r.stoi, r.sisdr, r.delayMs);
 * ```
 */
import type { AnalyzeOptions } from './analyze.js';
import { analyzeFilesParallel } from './parallel.js';
import { toSummary } from './summary.js';

export interface AnalyzeFilesOptions extends AnalyzeOptions {
  /** The noisy input the device under test saw (enables wSDR and noise attenuation). */
  noisy?: string;
  /** Channel of multichannel files (default 0). */
  channel?: number;
  /** Threads for one file's metrics (default: every core for files of 20 s or more); values do not depend on it. */
  threads?: number;
}

/** Score `degPath` against `refPath` (streamed: any length in constant memory); resolves to the object `earshot analyze --json` prints. */
export async function analyzeFiles(refPath: string, degPath: string, options: AnalyzeFilesOptions = {}): Promise<Record<string, unknown>> {
  const { noisy, channel = 0, ...rest } = options;
  return toSummary((await analyzeFilesParallel({ refs: [refPath], degs: [degPath], noisy }, channel, rest)).report);
}

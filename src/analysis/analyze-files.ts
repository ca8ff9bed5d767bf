/**
 * `analyzeFiles(refPath, degPath, options)`: the programmatic `earshot analyze --json`.
 *
 * ```js
 * import { analyzeFiles } from 'earshot';
 * const r = await analyzeFiles('ref.wav', 'deg.wav', { metrics: ['stoi', 'sisdr'] });
 * console.log(r.stoi, r.sisdr, r.delayMs);
 * ```
 */
import { analyzeSources, type AnalyzeOptions } from './analyze.js';
import { openInputs } from './load-inputs.js';
import { toSummary } from './summary.js';

export interface AnalyzeFilesOptions extends AnalyzeOptions {
  /** The noisy input the device under test saw (enables wSDR and noise attenuation). */
  noisy?: string;
  /** Channel of multichannel files (default 0). */
  channel?: number;
}

/** Score `degPath` against `refPath` (streamed: any length in constant memory); resolves to the object `earshot analyze --json` prints. */
export async function analyzeFiles(refPath: string, degPath: string, options: AnalyzeFilesOptions = {}): Promise<Record<string, unknown>> {
  const { noisy, channel = 0, ...rest } = options;
  const input = openInputs({ refs: [refPath], degs: [degPath], noisy }, channel);
  try {
    return toSummary(analyzeSources(input, rest).report);
  } finally {
    input.close();
  }
}

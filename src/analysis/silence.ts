/** Digital-silence checks of the analysis inputs (no I/O: usable in browsers too). */
import { earshotError } from '../errors.js';
import type { SourceInput } from './analyze.js';

/**
 * Digital-silence checks over the refs then degs of an input, fed block by block: `finish` throws
 * ERR_WAV_INVALID for a silent reference (no reference-based metric is defined) and returns a warning
 * for each silent deg.
 */
export class SilenceCheck {
  private readonly nonZero: boolean[];
  constructor(private readonly input: Pick<SourceInput, 'refs' | 'degs' | 'names'>) {
    this.nonZero = [...input.refs, ...input.degs].map(() => false);
  }
  /** The next block of each stream, refs then degs. */
  update(views: Float64Array[]): void {
    for (let k = 0; k < views.length; k++) {
      if (this.nonZero[k]) continue;
      const v = views[k];
      for (let i = 0; i < v.length; i++) {
        if (v[i] !== 0) {
          this.nonZero[k] = true;
          break;
        }
      }
    }
  }
  finish(): string[] {
    const { refs, names } = this.input;
    refs.forEach((_, k) => {
      if (!this.nonZero[k]) throw earshotError('ERR_WAV_INVALID', `${names?.refs[k] ?? `ref ${k}`}: reference is silent (all zeros); no reference-based metric is defined`);
    });
    return this.input.degs.flatMap((_, k) => (this.nonZero[refs.length + k] ? [] : [`${names?.degs[k] ?? `deg ${k}`} is silent (all zeros): metrics that need a signal are null`]));
  }
}

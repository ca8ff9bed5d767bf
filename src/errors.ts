/**
 * One error type with stable codes. Throw these when configuring or reading input; hot paths return
 * a status instead. Messages say what was expected and what was found.
 */
export type ErrorCode =
  | 'ERR_USAGE' // bad command-line usage (exit code 2)
  | 'ERR_FILE_NOT_FOUND'
  | 'ERR_FILE_UNREADABLE'
  | 'ERR_WAV_INVALID' // not a WAV, truncated or corrupt header, no data
  | 'ERR_WAV_UNSUPPORTED' // a WAV encoding we do not read (e.g. ADPCM)
  | 'ERR_SAMPLE_RATE' // rate outside 8..48 kHz or mismatched where it must match
  | 'ERR_CHANNEL' // channel index out of range
  | 'ERR_NONFINITE' // NaN or Inf samples
  | 'ERR_MISSING_DEPENDENCY' // an optional dependency a feature needs is not installed (node-web-audio-api)
  | 'ERR_INVALID_ARGUMENT'; // programming errors: sizes, lengths, options

/** Marks an EarshotError from any copy of this module (the CLI's bundle has its own, src/cli/main.ts). */
const BRAND = Symbol.for('earshot.EarshotError');

export class EarshotError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'EarshotError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `e instanceof EarshotError` holds for errors of every copy of this class, by their brand. */
  static override [Symbol.hasInstance](e: unknown): boolean {
    return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
  }
}

export function earshotError(code: ErrorCode, message: string): EarshotError {
  return new EarshotError(code, message);
}

export function isEarshotError(e: unknown): e is EarshotError {
  return e instanceof EarshotError;
}

/** The coded error for a file that cannot be opened or read. */
import { type EarshotError, earshotError } from '../errors.js';

/** Map a Node file-system error on `path` to ERR_FILE_NOT_FOUND or ERR_FILE_UNREADABLE. */
export function fileError(path: string, e: unknown): EarshotError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return earshotError('ERR_FILE_NOT_FOUND', `${path}: no such file`);
  if (code === 'EISDIR') return earshotError('ERR_FILE_UNREADABLE', `${path}: is a directory, expected a WAV file`);
  return earshotError('ERR_FILE_UNREADABLE', `${path}: cannot read (${code ?? (e as Error).message})`);
}

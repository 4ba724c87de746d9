/**
 * The lock file of `pin --lock`: read when it is there (a lock that does not parse is an error
 * with its file and line, never overwritten), written again only when an entry changed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { ImageLock } from '../../lock/image-lock.js';
import { parseImageLock } from '../../lock/lock-parser.js';
import { formatImageLock, mergeIntoLock, type ResolvedImage } from '../../lock/lock-writer.js';

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

/** The lock at `path`; undefined when there is no file yet. Throws ImageLockError. */
export async function readLockIfAny(path: string): Promise<ImageLock | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  return parseImageLock(text, path);
}

/** Puts `resolved` into the lock at `path`; whether the file's bytes changed. */
export async function updateLockFile(
  path: string,
  existing: ImageLock | undefined,
  resolved: readonly ResolvedImage[],
): Promise<boolean> {
  const before = existing === undefined ? undefined : formatImageLock(existing);
  const after = formatImageLock(mergeIntoLock(existing, resolved));
  if (after === before) return false;
  await writeFile(path, after);
  return true;
}

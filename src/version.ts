/**
 * The version of digest-pinner that is running: package.json's, which sits one directory above
 * this module both in src/ and in the built dist/ (and in the container image).
 */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    const { version } = JSON.parse(text) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The files `pin` reads: each operand a file (read whatever its name), a directory (walked for
 * `.yaml`, `.yml` and `.json` files and Dockerfiles, in name order, skipping hidden entries and
 * symbolic links), or `-` for standard input.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { readAllText } from '../cli/environment.js';
import { DigestPinnerError, ErrorCodes } from '../errors.js';
import { isDockerfileName } from './file-types.js';

export const STDIN_OPERAND = '-';
const MANIFEST_EXTENSIONS: ReadonlySet<string> = new Set(['.yaml', '.yml', '.json']);

export interface ManifestFile {
  /** The path as the user would write it, or `-`. */
  readonly path: string;
  readonly text: string;
  /** Named by an operand (or standard input), not found in a directory. */
  readonly named: boolean;
}

/** A named file or directory that cannot be read. */
export class ManifestFileError extends DigestPinnerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.inputUnreadable, message, options);
  }
}

export async function readManifestFiles(
  operands: readonly string[],
  stdin: AsyncIterable<string | Uint8Array>,
): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  for (const operand of operands) {
    if (operand === STDIN_OPERAND) {
      files.push({ path: STDIN_OPERAND, text: await readAllText(stdin), named: true });
      continue;
    }
    const { paths, named } = await expand(operand);
    for (const path of paths) files.push({ path, text: await read(path), named });
  }
  return files;
}

async function expand(operand: string): Promise<{ paths: string[]; named: boolean }> {
  const info = await stat(operand).catch((error: unknown) => {
    throw new ManifestFileError(`cannot read ${operand}: ${describe(error)}`, { cause: error });
  });
  return info.isDirectory()
    ? { paths: await walk(operand), named: false }
    : { paths: [operand], named: true };
}

/** Named `.yaml`, `.yml` or `.json`: what a directory walk reads. */
export function hasManifestExtension(path: string): boolean {
  return MANIFEST_EXTENSIONS.has(extname(path).toLowerCase());
}

async function walk(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const paths: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) paths.push(...(await walk(path)));
    else if (entry.isFile() && (hasManifestExtension(entry.name) || isDockerfileName(entry.name))) {
      paths.push(path);
    }
  }
  return paths;
}

async function read(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error: unknown) {
    throw new ManifestFileError(`cannot read ${path}: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : String(error);
}

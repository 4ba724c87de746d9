/**
 * What the files options name must hold, checked at start so that a typo or a wrong file is a
 * configuration error naming its flag rather than a later "unauthorized" or OpenSSL message.
 * Each check throws an Error saying what is wrong, never quoting the file (it may hold secrets).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { parseCredentialProviderConfig } from '../credentials/plugins/provider-config.js';
import { ImageLockError } from '../errors.js';
import { parseImageLock } from '../lock/lock-parser.js';
import { parsePemCertificates } from '../tls/certificate-set.js';

/** Whether reading a file failed in a way worth its own words. */
export function unreadableFileProblem(path: string, error: unknown): string {
  const code = errorCode(error);
  if (code === 'ENOENT') return `${path} does not exist`;
  if (code === 'EISDIR') return `${path} is a directory, not a file`;
  if (code === 'EACCES') return `${path} cannot be read (permission denied)`;
  return `${path} cannot be read`;
}

/** Why a directory an option names cannot be listed, from the error reading it gave. */
export function unreadableDirectoryProblem(path: string, error: unknown): string {
  const code = errorCode(error);
  if (code === 'ENOENT') return `${path} does not exist`;
  if (code === 'ENOTDIR') return `${path} is a file, not a directory`;
  if (code === 'EACCES') return `${path} cannot be read (permission denied)`;
  return `${path} cannot be read`;
}

/**
 * Whether a directory option names a directory. Reading a directory as a file fails with
 * EISDIR, so the file reader the file options use tells it without a reader of its own.
 */
export function directoryProblem(
  path: string,
  readFile: (path: string) => string,
): string | undefined {
  try {
    readFile(path);
  } catch (error: unknown) {
    if (errorCode(error) === 'EISDIR') return undefined;
    return unreadableDirectoryProblem(path, error);
  }
  return `${path} is a file, not a directory`;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

/** A docker `config.json`: a JSON object (its entries are read, and warned about, later). */
export function checkDockerConfig(text: string): void {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text it choked on, which may be a credential.
    throw new Error('is not JSON (a docker config.json is expected)');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new Error('is not a JSON object (a docker config.json is expected)');
  }
}

/** PEM text holding at least one certificate, and only certificates that parse. */
export function checkCertificates(text: string): void {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (blocks === 0) throw new Error('holds no PEM certificate');
  if (parsePemCertificates(text).length < blocks) {
    throw new Error('holds a PEM certificate that does not parse');
  }
}

/** A PEM private key. */
export function checkPrivateKey(text: string): void {
  try {
    createPrivateKey(text);
  } catch {
    throw new Error('is not a PEM private key (or it is encrypted)');
  }
}

/** Whether the key is the certificate's: both already checked on their own. */
export function keyMatchesCertificate(certificatePem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certificatePem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** A kubeconfig: a YAML mapping with a list of clusters. */
export function checkKubeconfig(text: string): void {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch {
    throw new Error('is not YAML (a kubeconfig is expected)');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new Error('is not a kubeconfig (not a YAML mapping)');
  }
  if (!('clusters' in document) || !Array.isArray(document.clusters)) {
    throw new Error('is not a kubeconfig (no list of clusters)');
  }
}

/** The kubelet's CredentialProviderConfig; its executables are checked once the bin dir is known. */
export function checkCredentialProviderConfig(text: string): void {
  const { problems } = parseCredentialProviderConfig(text, '.');
  if (problems.length > 0) throw new Error(problems.join('; '));
}

/** An image lock: every problem with its file and line (a lock holds no secret to hide). */
export function checkImageLock(text: string, path: string): void {
  try {
    parseImageLock(text, path);
  } catch (error: unknown) {
    if (!(error instanceof ImageLockError)) throw error;
    throw new Error(`is not a valid image lock: ${error.problems.join('; ')}`, { cause: error });
  }
}

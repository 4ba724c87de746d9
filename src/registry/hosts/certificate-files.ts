/**
 * A host folder without hosts.toml, read as containerd reads it then: the docker-style files
 * (`/etc/docker/certs.d` layout) give the registry's own server its TLS. Every `*.crt` is a CA;
 * each `NAME.cert` with its `NAME.key` is a client certificate pair. A `.cert` without its `.key`,
 * or the reverse, is a problem (docker's rule), not a silently dropped file.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { unreadableDirectoryProblem } from '../../config/file-checks.js';
import { SERVER_CAPABILITIES, type HostSettings } from './hosts-file.js';

/** The server settings the folder's certificate files give, or the problems found in it. */
export async function readCertificateFiles(
  directory: string,
): Promise<{ settings?: Omit<HostSettings, 'url'>; problems: string[] }> {
  let names: string[];
  try {
    names = (await readdir(directory, { withFileTypes: true }))
      .filter((entry) => !entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error: unknown) {
    return { problems: [unreadableDirectoryProblem(directory, error)] };
  }
  const present = new Set(names);
  const stems = (suffix: string): string[] =>
    names.filter((name) => name.endsWith(suffix)).map((name) => name.slice(0, -suffix.length));
  const problems = [
    ...stems('.cert')
      .filter((stem) => !present.has(`${stem}.key`))
      .map((stem) => `client certificate ${stem}.cert has no ${stem}.key beside it`),
    ...stems('.key')
      .filter((stem) => !present.has(`${stem}.cert`))
      .map((stem) => `client key ${stem}.key has no ${stem}.cert beside it`),
  ];
  if (problems.length > 0) return { problems };
  const settings = {
    capabilities: SERVER_CAPABILITIES,
    caFiles: names.filter((name) => name.endsWith('.crt')).map((name) => join(directory, name)),
    clientPairs: stems('.cert').map((stem) => ({
      certFile: join(directory, `${stem}.cert`),
      keyFile: join(directory, `${stem}.key`),
    })),
    skipVerify: false,
    overridePath: false,
    headers: {},
  };
  return { settings, problems };
}

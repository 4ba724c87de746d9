/**
 * Runs the real helm binary on charts/digest-pinner (`helm template`, `helm lint`) and parses what
 * it renders into the same objects the kustomize tests read (test/manifests/kustomize.ts).
 * `make system-deps` installs helm into .tools/bin when the machine has none.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifests, type ManifestObject } from '../manifests/kustomize.js';

export const CHART_DIRECTORY = fileURLToPath(
  new URL('../../charts/digest-pinner/', import.meta.url),
);

/** The release that renders the same names as manifests/base. */
export const RELEASE = { name: 'digest-pinner', namespace: 'digest-pinner-system' } as const;

const TOOLS_HELM = fileURLToPath(new URL('../../.tools/bin/helm', import.meta.url));

/** `HELM=/path/to/helm`, else the one `make system-deps` installed, else helm on PATH. */
export const HELM = process.env.HELM ?? (existsSync(TOOLS_HELM) ? TOOLS_HELM : 'helm');

export interface HelmRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runHelm(args: readonly string[], stdin?: string): HelmRun {
  const result = spawnSync(HELM, args, { encoding: 'utf8', input: stdin, maxBuffer: 64 << 20 });
  if (result.error !== undefined) {
    const missing = (result.error as { code?: string }).code === 'ENOENT';
    throw new Error(
      missing
        ? `"${HELM}" was not found: the chart tests need helm (make system-deps installs it)`
        : `helm ${args.join(' ')}: ${result.error.message}`,
      { cause: result.error },
    );
  }
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Chart values as a YAML (JSON) file of its own, so that no --set quoting is involved. */
export function withValuesFile<T>(values: object, use: (path: string) => T): T {
  const directory = mkdtempSync(join(tmpdir(), 'digest-pinner-values-'));
  try {
    const path = join(directory, 'values.yaml');
    writeFileSync(path, JSON.stringify(values));
    return use(path);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

export interface TemplateOptions {
  readonly release?: string;
  readonly namespace?: string;
  readonly chart?: string;
  readonly extraArgs?: readonly string[];
}

/** `helm template` with these values; the run as it ended, failed or not. */
export function templateRun(values: object = {}, options: TemplateOptions = {}): HelmRun {
  return withValuesFile(values, (path) =>
    runHelm([
      'template',
      options.release ?? RELEASE.name,
      options.chart ?? CHART_DIRECTORY,
      '--namespace',
      options.namespace ?? RELEASE.namespace,
      '--values',
      path,
      ...(options.extraArgs ?? []),
    ]),
  );
}

/** The objects `helm template` renders with these values; throws with helm's message otherwise. */
export function helmTemplate(values: object = {}, options: TemplateOptions = {}): ManifestObject[] {
  const run = templateRun(values, options);
  if (run.status !== 0) {
    throw new Error(`helm template failed (${run.status}): ${run.stderr}`);
  }
  return parseManifests(run.stdout, `helm template ${JSON.stringify(values)}`);
}

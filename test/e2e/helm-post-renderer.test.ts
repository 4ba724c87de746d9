/**
 * `digest-pinner pin -` as Helm's post-renderer: the real helm binary renders a chart, runs the
 * built CLI (dist/main.js, as `--post-renderer`) with the manifests on standard input, and
 * prints what it wrote back. The output must be what plain `helm template` prints, byte for
 * byte, but for each container image, now pinned to the digest pushed to a real registry. Two
 * charts: the one `helm create` makes, and test/fixtures/helm/widgets (a CRD, a custom resource,
 * hooks and a test, a ConfigMap holding an image name as data).
 */
import { accessSync, constants } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHelm, type HelmRun } from '../charts/helm.js';
import { assertBuilt, BUILT_MAIN } from '../support/built-cli.js';
import { pushImage, pushIndex } from '../support/image-push.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const WIDGETS_CHART = fileURLToPath(new URL('../fixtures/helm/widgets/', import.meta.url));
const PLACEHOLDER_HOST = 'registry.example:5000';

let registry: TestRegistry;
let work: string;
const digests: Record<string, string> = {};

beforeAll(async () => {
  assertBuilt();
  try {
    accessSync(BUILT_MAIN, constants.X_OK);
  } catch (error: unknown) {
    throw new Error(`${BUILT_MAIN} is not executable: Helm runs it itself; make build marks it`, {
      cause: error,
    });
  }
  registry = await startRegistry({ auth: 'none' });
  const target = registry.pushTarget;
  digests['team/web:1.0'] = (
    await pushIndex(target, { repository: 'team/web', tag: '1.0' })
  ).digest;
  digests['widgets/controller:2'] = (
    await pushImage(target, { repository: 'widgets/controller', tag: '2', seed: 'controller' })
  ).digest;
  digests['widgets/migrate:2'] = (
    await pushImage(target, { repository: 'widgets/migrate', tag: '2', seed: 'migrate' })
  ).digest;
  work = await mkdtemp(join(tmpdir(), 'digest-pinner-helm-'));
});

afterAll(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

/** `--post-renderer dist/main.js` and its arguments: `pin --insecure-registry HOST -`. */
function postRendererFlags(pinArgs: readonly string[] = []): string[] {
  const args = ['pin', '--insecure-registry', registry.host, ...pinArgs, '-'];
  return ['--post-renderer', BUILT_MAIN, ...args.flatMap((arg) => ['--post-renderer-args', arg])];
}

function succeeded(run: HelmRun): string {
  if (run.status !== 0) throw new Error(`helm failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}

const image = (reference: string) => `${registry.host}/${reference}`;
const pinned = (reference: string) => `${image(reference)}@${digests[reference]!}`;

/** `text` with the image value on each given line (1-based) pinned, every other byte the same. */
function withPinnedLines(text: string, lines: Readonly<Record<number, string>>): string {
  return text
    .split('\n')
    .map((line, index) => {
      const reference = lines[index + 1];
      if (reference === undefined) return line;
      if (!line.includes(image(reference))) throw new Error(`line ${index + 1} is "${line}"`);
      return line.replace(image(reference), pinned(reference));
    })
    .join('\n');
}

function lineOf(text: string, needle: string, occurrence = 1): number {
  const lines = text.split('\n');
  const found = lines.flatMap((line, index) => (line.includes(needle) ? [index + 1] : []));
  if (found.length < occurrence) throw new Error(`"${needle}" occurs ${found.length} times`);
  return found[occurrence - 1]!;
}

describe('pin - as helm --post-renderer', () => {
  describe('on the chart helm create makes', () => {
    let chart: string;
    let values: string[];
    beforeAll(() => {
      chart = join(work, 'web');
      succeeded(runHelm(['create', chart]));
      values = ['--set', `image.repository=${image('team/web')}`, '--set', 'image.tag=1.0'];
    });

    it('pins the Deployment image and changes nothing else, the test hook included', () => {
      const plain = succeeded(runHelm(['template', 'web', chart, ...values]));

      const rendered = succeeded(
        runHelm(['template', 'web', chart, ...values, ...postRendererFlags()]),
      );

      expect(plain).toContain(`image: "${image('team/web')}:1.0"`);
      expect(rendered).toBe(
        withPinnedLines(plain, { [lineOf(plain, image('team/web'))]: 'team/web:1.0' }),
      );
      // The test Pod is a hook, which Helm 3 does not post-render: busybox stays as it is.
      expect(rendered).toContain('image: busybox');
    });

    it('applies pin flags given as further post-renderer arguments', () => {
      const rendered = succeeded(
        runHelm(['template', 'web', chart, ...values, ...postRendererFlags(['--no-tag'])]),
      );

      expect(rendered).toContain(`image: "${image('team/web')}@${digests['team/web:1.0']!}"`);
    });

    it('renders a release that is nothing but hooks, when the post-renderer reads nothing', async () => {
      const hooksOnly = join(work, 'hooks-only');
      await cp(chart, hooksOnly, { recursive: true });
      await rm(join(hooksOnly, 'templates'), { recursive: true });
      await cp(join(chart, 'templates/tests'), join(hooksOnly, 'templates/tests'), {
        recursive: true,
      });
      await cp(join(chart, 'templates/_helpers.tpl'), join(hooksOnly, 'templates/_helpers.tpl'));
      const plain = succeeded(runHelm(['template', 'web', hooksOnly]));

      const rendered = succeeded(runHelm(['template', 'web', hooksOnly, ...postRendererFlags()]));

      expect(plain).toContain('helm.sh/hook');
      expect(rendered).toBe(plain);
    });

    it('fails the render, naming the image, when an image cannot be resolved', () => {
      const missing = [
        '--set',
        `image.repository=${image('team/nothing')}`,
        '--set',
        'image.tag=1.0',
      ];

      const run = runHelm(['template', 'web', chart, ...missing, ...postRendererFlags()]);

      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('error while running post render');
      expect(run.stderr).toContain(`${image('team/nothing')}:1.0`);
    });
  });

  describe('on a chart with a CRD, hooks and a test', () => {
    let chart: string;
    beforeAll(async () => {
      chart = join(work, 'widgets');
      await cp(WIDGETS_CHART, chart, { recursive: true });
      const valuesFile = join(chart, 'values.yaml');
      await writeFile(
        valuesFile,
        (await readFile(valuesFile, 'utf8')).replaceAll(PLACEHOLDER_HOST, registry.host),
      );
    });

    it('pins every container image of the manifests, CRDs and custom resources passing through', () => {
      const args = ['template', 'widgets', chart, '--include-crds'];
      const plain = succeeded(runHelm(args));

      const rendered = succeeded(runHelm([...args, ...postRendererFlags()]));

      const controller = `${image('widgets/controller')}:2`;
      expect(rendered).toBe(
        withPinnedLines(plain, {
          [lineOf(plain, '# schema migrations')]: 'widgets/migrate:2',
          [lineOf(plain, `image: "${controller}"`)]: 'widgets/controller:2',
          [lineOf(plain, `image: '${controller}'`)]: 'widgets/controller:2',
        }),
      );
    });

    it('leaves the hooks, which Helm 3 does not post-render, and data as the chart has them', () => {
      const rendered = succeeded(
        runHelm(['template', 'widgets', chart, '--include-crds', ...postRendererFlags()]),
      );
      const hooks = rendered.slice(rendered.indexOf('# Source: widgets/templates/tests/'));

      expect(hooks).toContain(`image: ${image('widgets/controller')}:2\n`);
      expect(hooks).toContain(`image: ${image('widgets/migrate')}:2\n`);
      expect(hooks).not.toContain('@sha256:');
      expect(rendered).toContain(`default-image: ${image('widgets/controller')}:2\n`);
    });
  });
});

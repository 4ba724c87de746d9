import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { defaultConfig } from '../../src/config/options.js';
import { argumentsOf, execForm, isIgnored, parseDockerfile, type Stage } from './dockerfile.js';
import { findObject, kustomizeBuild } from './kustomize.js';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(REPOSITORY + path, 'utf8');

const stages = parseDockerfile(read('Dockerfile'));
const runtime = stages.at(-1)!;
const stageNamed = (name: string): Stage => {
  const stage = stages.find((candidate) => candidate.name === name);
  if (stage === undefined) throw new Error(`no stage named ${name}`);
  return stage;
};
/** COPY --from=STAGE SOURCE… DESTINATION of the runtime stage, as [stage, sources]. */
const copiesFromStages = () =>
  argumentsOf(runtime, 'COPY').flatMap((text) => {
    const from = /--from=(\S+)/.exec(text)?.[1];
    const paths = text.split(/\s+/).filter((word) => !word.startsWith('--'));
    return from === undefined ? [] : [{ stage: stageNamed(from), sources: paths.slice(0, -1) }];
  });

describe('Dockerfile', () => {
  it('builds in separate stages and runs nothing in the final one, which needs no shell', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(argumentsOf(runtime, 'RUN')).toEqual([]);
  });

  it('pins every base image to a digest or an exact release', () => {
    const stageNames = new Set(stages.map((stage) => stage.name));
    const bases = stages
      .map((stage) => stage.base)
      .filter((base) => base !== 'scratch' && !stageNames.has(base));

    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) {
      expect(base).toMatch(/@sha256:[0-9a-f]{64}$|:\d+\.\d+\.\d+(-[\w.-]+)?$/);
    }
  });

  it('builds on a Node release that package.json supports', () => {
    const { engines } = JSON.parse(read('package.json')) as { engines: { node: string } };
    const minimum = /^>=(\d+)\.(\d+)/.exec(engines.node)!.slice(1).map(Number);
    const nodeImages = stages.map((stage) => /^node:(\d+)\.(\d+)\.\d+/.exec(stage.base));
    const [major, minor] = nodeImages
      .find((match) => match !== null)!
      .slice(1)
      .map(Number);

    expect(major! * 1000 + minor!).toBeGreaterThanOrEqual(minimum[0]! * 1000 + minimum[1]!);
  });

  it('compiles TypeScript with npm run build after installing from the lock file', () => {
    const commands = argumentsOf(stageNamed('build'), 'RUN').join(' && ');

    expect(commands).toMatch(/npm ci\b.*npm run build/);
  });

  it('ships only production dependencies, dist/ and package.json in the runtime', () => {
    const copies = copiesFromStages();
    const nodeModules = copies.find(({ sources }) =>
      sources.some((path) => /node_modules/.test(path)),
    );
    const contextCopies = argumentsOf(runtime, 'COPY').filter((text) => !text.includes('--from='));

    expect(argumentsOf(nodeModules!.stage, 'RUN').join(' ')).toMatch(/npm ci [^&;]*--omit=dev/);
    expect(copies.map(({ sources }) => sources).flat()).toEqual(
      expect.arrayContaining(['/app/dist']),
    );
    expect(contextCopies).toEqual(['package.json ./']);
  });

  it('runs as the numeric non-root user and group the Deployment sets', () => {
    const [user] = argumentsOf(runtime, 'USER').slice(-1);
    const securityContext = findObject(kustomizeBuild('base'), Deployment, 'digest-pinner').spec!
      .template.spec!.securityContext!;

    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(user).toBe(`${securityContext.runAsUser}:${securityContext.runAsGroup}`);
  });

  it('starts node on the compiled entry point with the serve command by default', () => {
    const entrypoint = execForm(runtime, 'ENTRYPOINT');
    const { compilerOptions } = JSON.parse(read('tsconfig.build.json')) as {
      compilerOptions: { outDir: string };
    };

    expect(entrypoint[0]).toMatch(/^\/.*\/node$/);
    expect(entrypoint.at(-1)).toBe(`${compilerOptions.outDir}/main.js`);
    expect(execForm(runtime, 'CMD')).toEqual(['serve']);
  });

  it('runs in production mode and exposes the ports the server listens on by default', () => {
    const environment = argumentsOf(runtime, 'ENV').join(' ').split(/\s+/);
    const exposed = argumentsOf(runtime, 'EXPOSE').join(' ').split(/\s+/).map(Number);

    expect(environment).toContain('NODE_ENV=production');
    expect(exposed.sort()).toEqual([defaultConfig().port, defaultConfig().metricsPort].sort());
  });

  it('keeps dependencies, build output, tests and git out of the build context', () => {
    const dockerignore = read('.dockerignore');

    for (const path of ['node_modules', 'node_modules/express/index.js', 'dist', '.git', 'test']) {
      expect({ path, ignored: isIgnored(dockerignore, path) }).toEqual({ path, ignored: true });
    }
  });

  it('lets into the build context everything the Dockerfile copies from it', () => {
    const dockerignore = read('.dockerignore');
    const sources = stages.flatMap((stage) =>
      argumentsOf(stage, 'COPY')
        .filter((text) => !text.includes('--from='))
        .flatMap((text) => text.split(/\s+/).slice(0, -1)),
    );

    expect(sources).toEqual(expect.arrayContaining(['package-lock.json', 'src']));
    for (const path of [...sources, 'src/main.ts']) {
      expect({ path, ignored: isIgnored(dockerignore, path) }).toEqual({ path, ignored: false });
    }
  });
});

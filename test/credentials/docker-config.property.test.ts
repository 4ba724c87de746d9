import { fc, it } from '@fast-check/jest';
import {
  DockerSecretTypes,
  parseDockerConfigJson,
  parseDockerConfigSecret,
  type DockerConfigEntries,
  type DockerConfigSecret,
} from '../../src/credentials/docker-config.js';
import {
  hostileJson,
  hostileString,
  PROTOTYPE_KEYS,
  registryDomain,
} from '../support/arbitraries.js';
import { base64 } from '../support/docker-secrets.js';
import { LINEAR_GROWTH_LIMIT, timeGrowth } from '../support/linear-time.js';

const DATA_KEY_OF_TYPE = {
  [DockerSecretTypes.dockerConfigJson]: '.dockerconfigjson',
  [DockerSecretTypes.dockercfg]: '.dockercfg',
} as const;

const secretType = fc.oneof(
  fc.constantFrom(DockerSecretTypes.dockerConfigJson, DockerSecretTypes.dockercfg),
  fc.constantFrom('Opaque', 'kubernetes.io/tls', ...PROTOTYPE_KEYS),
  hostileString('kubernetes.io/dockerconfigjson'),
);

/** Base64 as `base64` prints it (76 characters a line) or as Go writes it (one line, padded or
 * not): the kubelet reads all three. */
const base64Spelling = fc.constantFrom('one line', 'wrapped', 'unpadded');

function encode(text: string, spelling: string): string {
  const encoded = base64(text);
  if (spelling === 'unpadded') return encoded.replace(/=+$/, '');
  if (spelling === 'wrapped') return encoded.replace(/.{1,76}/g, '$&\n');
  return encoded;
}

/** A docker config entry's fields as anyone might write them: strings, auth, or nonsense. */
const hostileEntry = fc.oneof(
  hostileJson,
  fc.record(
    {
      username: fc.oneof(fc.string(), hostileJson),
      password: fc.oneof(fc.string(), hostileJson),
      auth: fc.oneof(
        fc.tuple(fc.string(), fc.string()).map(([user, password]) => base64(`${user}:${password}`)),
        hostileString('QUJD=+/\n'),
        hostileJson,
      ),
      identitytoken: fc.oneof(fc.string(), hostileJson),
    },
    { requiredKeys: [] },
  ),
);

const configKey = fc.oneof(registryDomain, hostileString('https://a.b:5000/v2/'));

/** A config document: the `auths` layout, the legacy one, or any JSON at all. */
const hostileDocument = fc.oneof(
  fc.record({ auths: fc.dictionary(configKey, hostileEntry, { maxKeys: 5 }) }),
  fc.dictionary(configKey, hostileEntry, { maxKeys: 5 }),
  hostileJson,
);

const hostileSecret: fc.Arbitrary<DockerConfigSecret> = fc.record(
  {
    metadata: fc.record(
      { name: hostileString('a-b.'), namespace: hostileString('a-b.') },
      { requiredKeys: [] },
    ),
    type: secretType,
    data: fc.dictionary(
      fc.oneof(
        fc.constantFrom('.dockerconfigjson', '.dockercfg', ...PROTOTYPE_KEYS),
        fc.string({ maxLength: 12 }),
      ),
      fc.oneof(
        fc
          .tuple(hostileDocument, base64Spelling)
          .map(([document, spelling]) => encode(JSON.stringify(document), spelling)),
        hostileString('QUJD=+/\n\r '),
      ),
      { maxKeys: 3 },
    ),
  },
  { requiredKeys: [] },
);

function expectWellFormed(parsed: DockerConfigEntries): void {
  expect(Array.isArray(parsed.entries)).toBe(true);
  for (const problem of parsed.problems) expect(typeof problem).toBe('string');
  for (const { key, credential } of parsed.entries) {
    expect(typeof key).toBe('string');
    expect(typeof credential.source).toBe('string');
  }
}

/** A secret value no key, name or problem text can hold by chance. */
const MARKER = '\u2603SECRET';

interface PlainEntry {
  readonly key: string;
  readonly username: string;
  readonly password: string;
}

const plainEntries: fc.Arbitrary<PlainEntry[]> = fc.uniqueArray(
  fc.record({
    key: registryDomain,
    username: fc.string({ unit: 'grapheme', minLength: 1 }).filter((name) => !name.includes(':')),
    password: fc.string({ unit: 'grapheme', minLength: 1 }),
  }),
  { selector: ({ key }) => key, maxLength: 6 },
);

function authsOf(entries: readonly PlainEntry[], withAuth: boolean): Record<string, unknown> {
  return Object.fromEntries(
    entries.map(({ key, username, password }) => [
      key,
      withAuth ? { auth: base64(`${username}:${password}`) } : { username, password },
    ]),
  );
}

describe('docker-config (properties)', () => {
  it.prop([hostileSecret], { numRuns: 1500 })(
    'reads any secret into entries and problem lines, and never throws',
    (secret) => {
      expectWellFormed(parseDockerConfigSecret(secret));
    },
  );

  it.prop(
    [
      fc.oneof(
        hostileDocument.map((document) => JSON.stringify(document)),
        fc.string(),
      ),
    ],
    {
      numRuns: 1000,
    },
  )('reads any config.json text into entries and problem lines, and never throws', (text) => {
    expectWellFormed(parseDockerConfigJson(text, 'config.json'));
  });

  it.prop([secretType, hostileDocument], { numRuns: 500 })(
    'ignores a secret of any other type with a problem that names the type',
    (type, document) => {
      fc.pre(type !== DockerSecretTypes.dockerConfigJson && type !== DockerSecretTypes.dockercfg);
      const data = { '.dockerconfigjson': base64(JSON.stringify(document)) };

      const parsed = parseDockerConfigSecret({ type, data });

      expect(parsed).toEqual({
        entries: [],
        problems: [expect.stringContaining(`has type ${type}, not`) as unknown],
      });
    },
  );

  it.prop(
    [
      fc.dictionary(
        configKey.filter((key) => !key.includes(MARKER)),
        fc.record(
          {
            username: hostileJson,
            password: fc.oneof(
              fc.string().map((text) => `${MARKER}${text}`),
              hostileJson,
            ),
            auth: fc.oneof(
              fc.string().map((text) => `${MARKER}${text}`),
              fc.string().map((text) => base64(`${MARKER}${text}`)),
              fc.string().map((text) => base64(`user:${MARKER}${text}`)),
            ),
            identitytoken: fc.string().map((text) => `${MARKER}${text}`),
          },
          { requiredKeys: [] },
        ),
        { maxKeys: 5 },
      ),
      fc.constantFrom(DockerSecretTypes.dockerConfigJson, DockerSecretTypes.dockercfg),
    ],
    { numRuns: 1000 },
  )('never quotes a password, token or auth value in a problem line', (entries, type) => {
    const document = type === DockerSecretTypes.dockercfg ? entries : { auths: entries };
    const auths = Object.values(entries).map((entry) => entry.auth);

    const parsed = parseDockerConfigSecret({
      type,
      data: { [DATA_KEY_OF_TYPE[type]]: base64(JSON.stringify(document)) },
    });

    const problems = parsed.problems.join('\n');
    expect(problems).not.toContain(MARKER);
    for (const auth of auths) if (auth !== undefined) expect(problems).not.toContain(auth);
  });

  it.prop(
    [
      plainEntries,
      fc.boolean(),
      fc.constantFrom(DockerSecretTypes.dockerConfigJson, DockerSecretTypes.dockercfg),
      base64Spelling,
    ],
    { numRuns: 1000 },
  )(
    'reads back every entry a config was made of, in order, from a secret and from a file',
    (entries, withAuth, type, spelling) => {
      const auths = authsOf(entries, withAuth);
      const document = type === DockerSecretTypes.dockercfg ? auths : { auths };
      const secret = {
        metadata: { namespace: 'team-a', name: 'regcred' },
        type,
        data: { [DATA_KEY_OF_TYPE[type]]: encode(JSON.stringify(document), spelling) },
      };
      const expected = entries.map(({ key, username, password }) => ({
        key,
        credential: { source: 'secret team-a/regcred', username, password },
      }));

      expect(parseDockerConfigSecret(secret)).toEqual({ entries: expected, problems: [] });
      expect(parseDockerConfigJson(JSON.stringify({ auths }), 'config.json').entries).toEqual(
        expected.map(({ key, credential }) => ({
          key,
          credential: { ...credential, source: 'config.json' },
        })),
      );
    },
  );

  const secretOf = (document: unknown): DockerConfigSecret => ({
    type: DockerSecretTypes.dockerConfigJson,
    data: { '.dockerconfigjson': encode(JSON.stringify(document), 'wrapped') },
  });
  const entriesFor = (count: number, key: (index: number) => string): Record<string, unknown> =>
    Object.fromEntries(
      Array.from({ length: count }, (_, index) => [key(index), { auth: base64(`u${index}:p`) }]),
    );

  it.each([
    [
      'many entries',
      (size: number) => secretOf({ auths: entriesFor(size / 20, (i) => `r${i}.io`) }),
    ],
    [
      'many entries that are no registry',
      (size: number) => secretOf({ auths: entriesFor(size / 20, (i) => `bad host ${i}`) }),
    ],
    [
      'a long key of separators',
      (size: number) =>
        secretOf({ auths: { [`https://${':/'.repeat(size / 2)}`]: { auth: 'dTpw' } } }),
    ],
    [
      'a long auth of padding',
      (size: number) =>
        secretOf({ auths: { 'r.io': { auth: `${'A'.repeat(size)}${'='.repeat(size)}` } } }),
    ],
    [
      'base64 of line breaks',
      (size: number): DockerConfigSecret => ({
        type: DockerSecretTypes.dockerConfigJson,
        data: { '.dockerconfigjson': `e30${'\r\n'.repeat(size / 2)}=` },
      }),
    ],
  ])('reads a secret of %s in time linear in its size', (_shape, secret) => {
    expect(timeGrowth(secret, parseDockerConfigSecret, 20_000)).toBeLessThanOrEqual(
      LINEAR_GROWTH_LIMIT,
    );
  });
});

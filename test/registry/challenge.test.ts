import { parseChallenges } from '../../src/registry/challenge.js';

function plain(
  header: string | string[] | undefined,
): { scheme: string; params: Record<string, string> }[] {
  return parseChallenges(header).map((c) => ({
    scheme: c.scheme,
    params: Object.fromEntries(c.params),
  }));
}

describe('challenge', () => {
  it.each([
    [
      'a distribution bearer challenge on a manifest',
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/app:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.example.com/token',
            service: 'registry.example.com',
            scope: 'repository:team/app:pull',
          },
        },
      ],
    ],
    [
      'a basic challenge',
      'Basic realm="Registry Realm"',
      [{ scheme: 'basic', params: { realm: 'Registry Realm' } }],
    ],
    [
      'case-insensitive scheme and parameter names',
      'BEARER Realm="https://a/token", SERVICE=reg',
      [{ scheme: 'bearer', params: { realm: 'https://a/token', service: 'reg' } }],
    ],
    [
      'a quoted value holding commas and an escaped quote',
      'Bearer realm="https://a/token",scope="repository:a:pull,push",error_description="say \\"hi\\", ok"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://a/token',
            scope: 'repository:a:pull,push',
            error_description: 'say "hi", ok',
          },
        },
      ],
    ],
    [
      'several challenges in one header',
      'Basic realm="x", Bearer realm="https://a/token",service="s"',
      [
        { scheme: 'basic', params: { realm: 'x' } },
        { scheme: 'bearer', params: { realm: 'https://a/token', service: 's' } },
      ],
    ],
    [
      'whitespace around equals signs and an insufficient_scope error',
      'Bearer realm = "https://a/token" , error="insufficient_scope"',
      [{ scheme: 'bearer', params: { realm: 'https://a/token', error: 'insufficient_scope' } }],
    ],
    ['a scheme without parameters', 'Negotiate', [{ scheme: 'negotiate', params: {} }]],
    ['an empty header', '', []],
    ['junk', '=,,"', []],
    [
      'an unterminated quoted string',
      'Bearer realm="https://a/tok',
      [{ scheme: 'bearer', params: { realm: 'https://a/tok' } }],
    ],
    [
      'a repeated parameter (the first wins)',
      'Basic realm="a", realm="b"',
      [{ scheme: 'basic', params: { realm: 'a' } }],
    ],
  ])('parses %s', (_name, header, expected) => {
    expect(plain(header)).toEqual(expected);
  });

  it('joins several header lines when given an array', () => {
    expect(plain(['Basic realm="x"', 'Bearer realm="y"']).map((c) => c.scheme)).toEqual([
      'basic',
      'bearer',
    ]);
  });

  it('returns nothing when there is no header', () => {
    expect(plain(undefined)).toEqual([]);
  });

  it('does not treat a parameter named __proto__ specially', () => {
    const [challenge] = parseChallenges('Bearer __proto__="x", realm="r"');
    expect(challenge?.params.get('__proto__')).toBe('x');
    expect(challenge?.params.get('realm')).toBe('r');
  });
});

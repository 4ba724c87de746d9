import { parseErrorCodes, parseRetryAfter } from '../../src/registry/error-response.js';

describe('error-response', () => {
  it.each([
    [
      'the codes of a registry error body',
      '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"x"},{"code":"NAME_UNKNOWN"}]}',
      ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN'],
    ],
    ['nothing from a body that is not JSON', '<html>bad gateway</html>', []],
    ['nothing from JSON without errors', '{"details":"x"}', []],
    ['nothing from errors that is not an array', '{"errors":"x"}', []],
    [
      'only codes that look like codes',
      '{"errors":[{"code":"secret value with spaces"},{"code":42},{"code":"DENIED"}]}',
      ['DENIED'],
    ],
    [
      'at most five codes',
      JSON.stringify({ errors: Array.from({ length: 9 }, () => ({ code: 'DENIED' })) }),
      Array(5).fill('DENIED'),
    ],
  ])('reads %s', (_name, body, expected) => {
    expect(parseErrorCodes(Buffer.from(body))).toEqual(expected);
  });

  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['delay-seconds', '120', 120],
    ['zero', '0', 0],
    ['an HTTP date', 'Wed, 01 Jan 2025 00:00:30 GMT', 30],
    ['an HTTP date in the past', 'Tue, 31 Dec 2024 23:00:00 GMT', 0],
    ['garbage', 'soon', undefined],
    ['a negative number', '-5', undefined],
    ['nothing', undefined, undefined],
  ])('reads Retry-After as %s', (_name, value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

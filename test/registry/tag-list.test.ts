import { nextPageLink, parseTagPage } from '../../src/registry/tag-list.js';

const BASE = new URL('http://127.0.0.1:5000/v2/team/app/tags/list');

describe('tag-list', () => {
  describe('parseTagPage', () => {
    it.each<[string, string, readonly string[] | undefined]>([
      ['a page', '{"name":"team/app","tags":["v1","v2"]}', ['v1', 'v2']],
      ['an empty repository', '{"name":"team/app","tags":null}', []],
      ['no tags field', '{"name":"team/app"}', undefined],
      ['tags that are not a list', '{"tags":"v1"}', undefined],
      ['not JSON', '<html>', undefined],
      [
        'entries that are not tags',
        '{"tags":["v1",7,"../x","-bad","ok_1.2-rc"]}',
        ['v1', 'ok_1.2-rc'],
      ],
    ])('reads %s', (_what, body, expected) => {
      expect(parseTagPage(Buffer.from(body))).toEqual(expected);
    });
  });

  describe('nextPageLink', () => {
    it.each<[string, string | string[] | undefined, string | undefined]>([
      ['no header', undefined, undefined],
      [
        'the registry’s own link',
        '</v2/team/app/tags/list?last=v2&n=2>; rel="next"',
        '/v2/team/app/tags/list?last=v2&n=2',
      ],
      [
        'an absolute link to the same registry',
        '<http://127.0.0.1:5000/v2/team/app/tags/list?n=2&last=b>; rel=next',
        '/v2/team/app/tags/list?n=2&last=b',
      ],
      [
        'the next link among others',
        '</v2/team/app/tags/list?n=2>; rel="first", </v2/team/app/tags/list?n=2&last=c>; rel="next"',
        '/v2/team/app/tags/list?n=2&last=c',
      ],
      ['a link that is not next', '</v2/team/app/tags/list?n=2>; rel="prev"', undefined],
    ])('finds %s', (_what, header, expected) => {
      expect(nextPageLink(header, BASE)).toEqual(expected);
    });

    it.each([
      ['another host', '<http://169.254.169.254/v2/team/app/tags/list?n=2>; rel="next"'],
      ['another repository', '</v2/other/tags/list?last=a>; rel="next"'],
      ['another scheme', '<https://127.0.0.1:5000/v2/team/app/tags/list?last=a>; rel="next"'],
    ])('refuses a next link to %s', (_what, header) => {
      expect(nextPageLink(header, BASE)).toBeInstanceOf(Error);
    });
  });
});

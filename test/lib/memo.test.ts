import { rememberAtMost } from '../../src/lib/memo.js';

describe('memo', () => {
  it('holds at most max entries, forgetting the one remembered first', () => {
    const memo = new Map<string, number>();
    for (const [index, key] of ['a', 'b', 'c', 'd'].entries()) rememberAtMost(memo, 3, key, index);

    expect([...memo]).toEqual([
      ['b', 1],
      ['c', 2],
      ['d', 3],
    ]);
  });

  it('makes a key remembered again the newest, without forgetting another', () => {
    const memo = new Map([
      ['a', 0],
      ['b', 1],
    ]);

    rememberAtMost(memo, 2, 'a', 5);
    rememberAtMost(memo, 2, 'c', 6);

    expect([...memo]).toEqual([
      ['a', 5],
      ['c', 6],
    ]);
  });
});

import { toWellFormed, toWellFormedDeep } from '../../../functions/src/shared/well-formed';

describe('toWellFormed', () => {
  it.each([
    ['plain ascii', 'plain ascii', 0],
    ['caf\udce9.py', 'caf\ufffd.py', 1],
    ['\ud800', '\ufffd', 1],
    ['\udc00', '\ufffd', 1],
    ['a\ud83d', 'a\ufffd', 1],
    ['\ude00b', '\ufffdb', 1],
    ['\ud83d\ude00 pair kept', '\ud83d\ude00 pair kept', 0],
    ['\ude00\ud83d reversed', '\ufffd\ufffd reversed', 2],
    ['\ud83d\ud83d\ude00', '\ufffd\ud83d\ude00', 1],
    ['\ud800\ud800', '\ufffd\ufffd', 2],
    ['é ü 漢字 \u{1F600}', 'é ü 漢字 \u{1F600}', 0],
  ])('%j becomes %j (%d replaced)', (input, output, count) => {
    const fixed = toWellFormed(input);
    expect(fixed).toEqual({ text: output, replaced: count });
    expect(Buffer.from(fixed.text, 'utf8').toString('utf8')).toBe(fixed.text);
  });
});

describe('toWellFormedDeep', () => {
  it('fixes strings and keys at any depth, counts them, and keeps other values', () => {
    const when = new Date(0);
    const input = JSON.parse(
      '{"message":"caf\\udce9","tags":{"k\\ud800":"v"},"list":["ok",["\\udfff"]],"n":3,"b":true,"z":null}',
    ) as Record<string, unknown>;
    const { value, replaced } = toWellFormedDeep({ ...input, when });
    expect(replaced).toBe(3);
    expect(value).toEqual({
      message: 'caf\ufffd',
      tags: { 'k\ufffd': 'v' },
      list: ['ok', ['\ufffd']],
      n: 3,
      b: true,
      z: null,
      when,
    });
    expect(value.when).toBe(when);
  });
  it('returns the very same objects when nothing needs fixing', () => {
    const input = { a: { b: ['c', 'd'] }, e: 'f' };
    const { value, replaced } = toWellFormedDeep(input);
    expect(replaced).toBe(0);
    expect(value).toBe(input);
  });
  it('leaves the input untouched when it fixes a copy', () => {
    const input = { a: ['\ud800'] };
    toWellFormedDeep(input);
    expect(input.a[0]).toBe('\ud800');
  });
});

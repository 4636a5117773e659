import { compareVersions, isAtOrAbove, parseVersion } from '../../../functions/src/grouping/version';

describe('parseVersion', () => {
  it.each([
    ['1.2.3', { core: [1, 2, 3], prerelease: [] }],
    ['v1.3', { core: [1, 3], prerelease: [] }],
    ['1.3.0-beta.2', { core: [1, 3, 0], prerelease: ['beta', 2] }],
    ['1.3rc1', { core: [1, 3], prerelease: ['rc', 1] }],
    ['2.0.dev3', { core: [2, 0], prerelease: ['dev', 3] }],
    ['1.2.3+build.7', { core: [1, 2, 3], prerelease: [] }],
    ['1.2.3 (45)', { core: [1, 2, 3], prerelease: [] }],
    ['2024.11.05', { core: [2024, 11, 5], prerelease: [] }],
  ])('reads %s', (text, parsed) => {
    expect(parseVersion(text)).toEqual(parsed);
  });

  it.each(['nightly', 'abc-1', '', '1..2', 'release 3'])('does not parse %j', (text) => {
    expect(parseVersion(text)).toBeNull();
  });
});

describe('compareVersions', () => {
  it('orders releases numerically, pre-releases before their release, build metadata ignored', () => {
    const shuffled = [
      '1.10.0',
      '1.2.0',
      '1.3.0-rc.1',
      '1.3.0',
      '1.3.0-beta.2',
      '1.3.0-beta.10',
      '1.3.0-alpha',
      '0.9',
      'nightly',
      '1.2.0+7',
    ];
    expect([...shuffled].sort(compareVersions)).toEqual([
      '0.9',
      '1.2.0',
      '1.2.0+7',
      '1.3.0-alpha',
      '1.3.0-beta.2',
      '1.3.0-beta.10',
      '1.3.0-rc.1',
      '1.3.0',
      '1.10.0',
      'nightly',
    ]);
  });

  it('treats missing components as zero and orders PEP 440 dev releases first', () => {
    expect(compareVersions('1.3', '1.3.0')).toBeLessThan(0); // equal versions, then text order keeps sorting total
    expect(compareVersions('2.0.dev1', '2.0a1')).toBeLessThan(0);
    expect(compareVersions('2.0a1', '2.0b1')).toBeLessThan(0);
    expect(compareVersions('2.0rc1', '2.0')).toBeLessThan(0);
  });
});

describe('isAtOrAbove', () => {
  it.each([
    ['1.3', '1.3', true],
    ['1.3.0', '1.3', true],
    ['1.4', '1.3', true],
    ['1.10', '1.9', true],
    ['1.2.9', '1.3', false],
    ['1.3.0-beta.1', '1.3.0', false],
    ['1.3.0+42', '1.3.0', true],
  ])('crash in %s vs resolved in %s: %s', (version, resolved, expected) => {
    expect(isAtOrAbove(version, resolved)).toBe(expected);
  });

  it('counts a recurrence when either version cannot be ordered', () => {
    expect(isAtOrAbove('nightly', '1.3')).toBe(true);
    expect(isAtOrAbove('1.0', 'nightly')).toBe(true);
  });
});

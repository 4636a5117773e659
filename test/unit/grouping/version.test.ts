import {
  compareVersions,
  isAtOrAbove,
  isNewerThan,
  newestSeenVersion,
  parseVersion,
} from '../../../functions/src/grouping/version';

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

describe('newestSeenVersion', () => {
  it('picks the highest version that parses, not the last or the text-greatest', () => {
    expect(newestSeenVersion(['1.10.0', 'nightly', '1.9.0', '1.10.0-rc.1'])).toBe('1.10.0');
  });

  it('falls back to the last version when none parses, and null when there is none', () => {
    expect(newestSeenVersion(['nightly', 'dev'])).toBe('dev');
    expect(newestSeenVersion([])).toBeNull();
  });
});

describe('isNewerThan', () => {
  it.each([
    ['1.2.0', '1.2.0', false],
    ['1.2', '1.2.0', false],
    ['1.2.0+build.7', '1.2.0', false],
    ['1.1.9', '1.2.0', false],
    ['1.3.0-beta.1', '1.2.0', true],
    ['1.2.1', '1.2.0', true],
  ])('%s after %s: %s', (version, newest, expected) => {
    expect(isNewerThan(version, newest)).toBe(expected);
  });

  it('never counts the same text as newer, and counts other unorderable versions as newer', () => {
    expect(isNewerThan('nightly', 'nightly')).toBe(false);
    expect(isNewerThan('nightly', '1.2.0')).toBe(true);
    expect(isNewerThan('1.0.0', 'nightly')).toBe(true);
  });
});

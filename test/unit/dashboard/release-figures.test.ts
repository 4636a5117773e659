import { SDK_VERSIONS } from '../../../dashboard/src/pages/sdk-setup';
import {
  affectsShare,
  FIRST_SDK_WITH_SESSIONS,
  hasRates,
  MIN_INSTALLS_FOR_RATE,
  shareOfRelease,
} from '../../../dashboard/src/release-figures';
import { compareVersions } from '../../../functions/src/grouping/version';

describe('hasRates', () => {
  it.each([
    [{ installs: MIN_INSTALLS_FOR_RATE, sessions: 12 }, true],
    [{ installs: MIN_INSTALLS_FOR_RATE - 1, sessions: 400 }, false],
    [{ installs: 0, sessions: 0 }, false],
    [{ installs: 50, sessions: 0 }, false],
  ])('answers %j with %p (10 installs with sessions are the floor)', (release, expected) => {
    expect(hasRates(release)).toBe(expected);
  });
});

describe('shareOfRelease', () => {
  it('gives a percentage of a release with 10 installs or more, rounded down', () => {
    expect(shareOfRelease(3, '2.3.0', 12)).toBe("25 % of 2.3.0's installs");
    expect(shareOfRelease(2, '2.3.0', 12)).toBe("16.66 % of 2.3.0's installs");
  });

  it('gives counts below the floor', () => {
    expect(shareOfRelease(1, '2.2.0', 5)).toBe("1 of 2.2.0's 5 installs");
  });

  it('never says more than 100 % when the issue counted installs the range did not', () => {
    expect(shareOfRelease(14, '2.3.0', 12)).toBe("100 % of 2.3.0's installs");
  });
});

describe('affectsShare', () => {
  it("says the share alone when all the issue's installs were on that version", () => {
    expect(affectsShare(3, '2.3.0', 3, 12)).toBe(" (25 % of 2.3.0's installs)");
  });

  it('says how many were on that version when the issue hit other versions too', () => {
    expect(affectsShare(5, '2.3.0', 3, 12)).toBe(", 3 of them on 2.3.0 (25 % of 2.3.0's installs)");
  });

  it.each([
    ['the issue has no installs counted on that version', undefined, 12],
    ['the version has no session in the range', 3, undefined],
    ['the version has no installs', 3, 0],
  ])('says nothing more when %s', (_case, inRelease, releaseInstalls) => {
    expect(affectsShare(3, '2.3.0', inRelease, releaseInstalls)).toBe('');
  });
});

describe('FIRST_SDK_WITH_SESSIONS', () => {
  it.each(Object.entries(SDK_VERSIONS))('is a version the %s SDK has reached (%s)', (_sdk, version) => {
    expect(compareVersions(version, FIRST_SDK_WITH_SESSIONS)).toBeGreaterThanOrEqual(0);
  });
});

import { computeFingerprint, listFingerprintComponents } from '../../../functions/src/rollup/fingerprint';
import { parseStacktrace } from '../../../functions/src/rollup/stacktrace';
import { loadFixtures, loadGroupings, RUNTIME_DIRS, type Fixture } from './fixtures';

const fixtures = loadFixtures();
const byKey = new Map(fixtures.map((fixture) => [`${fixture.dir}/${fixture.name}`, fixture]));

function fingerprintOf(fixture: Fixture): string {
  return computeFingerprint({
    type: fixture.report.type,
    message: fixture.report.message,
    stacktrace: fixture.text,
    runtime: fixture.report.runtime,
    inAppPatterns: fixture.inAppPatterns,
  }).fingerprint;
}

function fixtureNamed(dir: string, name: string): Fixture {
  const fixture = byKey.get(`${dir}/${name}`);
  if (fixture === undefined) throw new Error(`groupings.json in ${dir} names a missing fixture: ${name}`);
  return fixture;
}

describe('stack-trace fixtures', () => {
  it.each([
    ['python', 13],
    ['java', 11],
    ['node', 13],
    ['browser', 8],
  ])('has the %s fixtures', (dir, count) => {
    expect(fixtures.filter((fixture) => fixture.dir === dir)).toHaveLength(count);
  });
});

describe('parseStacktrace on real traces', () => {
  it.each(fixtures.map((fixture) => [`${fixture.dir}/${fixture.name}`, fixture] as const))(
    'parses %s into the expected exceptions and frames',
    (_key, fixture) => {
      const parsed = parseStacktrace(fixture.text, {
        runtime: fixture.report.runtime,
        inAppPatterns: fixture.inAppPatterns,
      });
      expect(parsed.format).toBe(fixture.format);
      expect(parsed.exceptions).toEqual(fixture.exceptions);
    },
  );

  it.each(fixtures.map((fixture) => [`${fixture.dir}/${fixture.name}`, fixture] as const))(
    'parses %s the same without a runtime hint',
    (_key, fixture) => {
      const parsed = parseStacktrace(fixture.text, { inAppPatterns: fixture.inAppPatterns });
      expect(parsed.format).toBe(fixture.format);
      expect(parsed.exceptions).toEqual(fixture.exceptions);
    },
  );
});

describe('computeFingerprint on real traces', () => {
  it.each(fixtures.map((fixture) => [`${fixture.dir}/${fixture.name}`, fixture] as const))(
    'groups %s by the expected components, title and culprit',
    (_key, fixture) => {
      const result = computeFingerprint({
        type: fixture.report.type,
        message: fixture.report.message,
        stacktrace: fixture.text,
        runtime: fixture.report.runtime,
        inAppPatterns: fixture.inAppPatterns,
      });
      const parsed = parseStacktrace(fixture.text, { inAppPatterns: fixture.inAppPatterns });
      expect(listFingerprintComponents(parsed, fixture.report.type)).toEqual(fixture.grouping.components);
      expect(result.source).toBe(fixture.grouping.source);
      expect(result.title).toBe(fixture.grouping.title);
      expect(result.culprit).toBe(fixture.grouping.culprit);
      expect(result.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    },
  );
});

describe.each(RUNTIME_DIRS)('groupings.json in %s', (dir) => {
  const groupings = loadGroupings(dir);

  it('lists at least one same-issue and one different-issue pair', () => {
    expect(groupings.same.length).toBeGreaterThan(0);
    expect(groupings.different.length).toBeGreaterThan(0);
  });

  it.each(groupings.same.map((pair) => [pair.a, pair.b, pair.why] as const))(
    'puts %s and %s in the same issue (%s)',
    (a, b) => {
      expect(fingerprintOf(fixtureNamed(dir, a))).toBe(fingerprintOf(fixtureNamed(dir, b)));
    },
  );

  it.each(groupings.different.map((pair) => [pair.a, pair.b, pair.why] as const))(
    'keeps %s and %s in different issues (%s)',
    (a, b) => {
      expect(fingerprintOf(fixtureNamed(dir, a))).not.toBe(fingerprintOf(fixtureNamed(dir, b)));
    },
  );
});

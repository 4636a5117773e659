import { computeFingerprint, listFingerprintComponents } from '../../../functions/src/grouping/fingerprint';
import { parseStacktrace } from '../../../functions/src/grouping/stacktrace';
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
    ['python', 14],
    ['java', 12],
    ['node', 14],
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

// Stored issues are keyed by these digests: a change here regroups every product's reports, so
// it must be deliberate (and come with a new `dumpcatcher-fingerprint-vN` prefix).
describe('fingerprint digests are stable', () => {
  it.each([
    ['python', 'checkout-1.2.0-checkout', '37abc5b3b54120ce900fc4a71ecd0034e00b367dd43276a9c9537e6067fa7b5c'],
    ['python', 'checkout-1.3.0-preview', 'cec80d46a6336e35972b8940c4df31f7c99e21c87437cb3b117426ad54d5533b'],
    ['java', 'pricing', 'ce565a0b6ff375e56a7ae8076628cc72683828e6899a1546c1de5457833843f2'],
    ['node', 'checkout-1.2.0-checkout', 'd876d53d8ce9f65a0bee4e043d7ea6ccc48189d2117c36e15c5ee714088046fe'],
    ['browser', 'firefox-checkout-1.3.0', 'a6aef3e3b3393b3998f795ada5827caa944ac672376653ab2dec01f9a8b7d88b'],
    ['browser', 'chrome-shipping-1.3.0', '299d9ec239840ef18bf7284af228168b91311d1774be9af940f9109116641f0a'],
  ])('%s/%s hashes to the digest quoted in docs/grouping.md', (dir, name, digest) => {
    expect(fingerprintOf(fixtureNamed(dir, name))).toBe(digest);
  });
});

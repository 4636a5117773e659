/**
 * How the release-health figures read everywhere they appear (Releases tab, release page,
 * overview, issue page), as plain functions (no DOM), so they are unit-tested.
 */
import { num, percent } from './format';

/** Below this many installs a release shows its counts, not rates (Crashlytics' floor: a handful of installs make a rate noise). */
export const MIN_INSTALLS_FOR_RATE = 10;

/**
 * The first version of all three SDKs that sends sessions: the one they had when sessions landed
 * (`SDK_VERSIONS` in pages/sdk-setup.ts; a unit test keeps it at or below each SDK's version).
 */
export const FIRST_SDK_WITH_SESSIONS = '0.1.0';

/** The words shown instead of a rate for a release with too few installs. */
export const TOO_FEW = 'too few installs for a rate';

/** Whether a release's rates are worth showing: it has sessions, from at least MIN_INSTALLS_FOR_RATE installs. */
export const hasRates = (r: { installs: number; sessions: number }): boolean =>
  r.sessions > 0 && r.installs >= MIN_INSTALLS_FOR_RATE;

/** "x % of 2.3.0's installs", or below the floor "2 of 2.3.0's 3 installs". */
export function shareOfRelease(affected: number, version: string, releaseInstalls: number): string {
  if (releaseInstalls < MIN_INSTALLS_FOR_RATE)
    return `${num(affected)} of ${version}'s ${num(releaseInstalls)} installs`;
  return `${percent(Math.min(1, affected / releaseInstalls))} of ${version}'s installs`;
}

/**
 * What follows "Affects N installs" on an issue page: the share of its latest version's installs
 * the issue affected (`inRelease`: its installs on that version; `releaseInstalls`: the version's
 * installs with a session), or nothing when either is unknown.
 */
export function affectsShare(
  total: number,
  version: string,
  inRelease: number | undefined,
  releaseInstalls: number | undefined,
): string {
  if (inRelease === undefined || releaseInstalls === undefined || releaseInstalls === 0) return '';
  const share = shareOfRelease(inRelease, version, releaseInstalls);
  return inRelease === total ? ` (${share})` : `, ${num(inRelease)} of them on ${version} (${share})`;
}

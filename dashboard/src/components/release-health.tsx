/** How the release-health figures read everywhere they appear (Releases tab, release page, overview). */
import { num, percent } from '../format';

/** Below this many installs a release shows its counts, not rates (Crashlytics' floor: a handful of installs make a rate noise). */
export const MIN_INSTALLS_FOR_RATE = 10;

/** The first SDK version (all three SDKs) that sends sessions. */
export const FIRST_SDK_WITH_SESSIONS = '0.2.0';

/** The words shown instead of a rate for a release with too few installs. */
export const TOO_FEW = 'too few installs for a rate';

/** Whether a release's rates are worth showing: it has sessions, from at least MIN_INSTALLS_FOR_RATE installs. */
export const hasRates = (r: { installs: number; sessions: number }): boolean =>
  r.sessions > 0 && r.installs >= MIN_INSTALLS_FOR_RATE;

/** A crash-free rate of a release: the percentage, "no sessions", or the floor's words. */
export function CrashFree(props: { release: { installs: number; sessions: number }; rate: number | null }) {
  if (props.release.sessions === 0) return <span class="muted">no sessions</span>;
  if (!hasRates(props.release)) return <span class="muted too-few">{TOO_FEW}</span>;
  return <span class={`rate ${rateClass(props.rate)}`}>{percent(props.rate)}</span>;
}

/** Colour band of a crash-free rate (text always says the number; colour only helps scanning). */
function rateClass(rate: number | null): string {
  if (rate === null) return '';
  if (rate >= 0.995) return 'rate-good';
  if (rate >= 0.98) return 'rate-fair';
  return 'rate-poor';
}

/** "x % of 2.3.0's installs", or below the floor "2 of 2.3.0's 3 installs". */
export function shareOfRelease(affected: number, version: string, releaseInstalls: number): string {
  if (releaseInstalls < MIN_INSTALLS_FOR_RATE)
    return `${num(affected)} of ${version}'s ${num(releaseInstalls)} installs`;
  return `${percent(Math.min(1, affected / releaseInstalls))} of ${version}'s installs`;
}

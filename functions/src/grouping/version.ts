/**
 * Ordering of app versions, for regressions and for listing the versions an issue was seen in.
 *
 * A version parses when it is a dotted numeric core with an optional leading `v`, then an
 * optional pre-release (`-beta.1` as in SemVer, or PEP 440's `a1`, `b2`, `rc1`, `.dev3`), then
 * optional build metadata (`+abc`, or anything after a space such as Android's `1.2.3 (45)`),
 * which never affects order. Cores of different lengths compare as if padded with zeros
 * (`1.3` = `1.3.0`), so `1.2.3.4` build numbers and `2024.11` calendar versions order too.
 * A pre-release sorts before its release; pre-release identifiers compare as in SemVer 2.0.
 * Anything else does not parse, and is ordered only against itself (see `isAtOrAbove`).
 */

/** A parsed version: numeric core and pre-release identifiers (empty for a release). */
export interface ParsedVersion {
  core: number[];
  prerelease: Array<string | number>;
}

const VERSION =
  /^[vV]?(\d{1,15}(?:\.\d{1,15})*)(?:-([0-9A-Za-z.-]+)|\.?((?:a|b|c|rc|alpha|beta|pre|preview|dev)\.?\d*))?(?:\+[0-9A-Za-z.-]*| .*)?$/;

/** Parses a version string, or returns null when it does not follow a known scheme. */
export function parseVersion(version: string): ParsedVersion | null {
  const match = VERSION.exec(version.trim());
  if (match === null) return null;
  const core = match[1]!.split('.').map(Number);
  const label = match[2] ?? match[3];
  const prerelease =
    label === undefined
      ? []
      : label
          .split(/\.|(?<=[A-Za-z])(?=\d)/)
          .filter((part) => part !== '')
          .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  return { core, prerelease };
}

function compareIdentifiers(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1; // SemVer: numeric identifiers sort before alphanumeric
  if (typeof b === 'number') return 1;
  // PEP 440's dev releases come before alphas; plain text order puts `alpha` < `beta` < `rc`.
  if (a === 'dev' || b === 'dev') return a === b ? 0 : a === 'dev' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two parsed versions: negative, zero or positive. */
export function compareParsedVersions(a: ParsedVersion, b: ParsedVersion): number {
  const length = Math.max(a.core.length, b.core.length);
  for (let i = 0; i < length; i++) {
    const diff = (a.core[i] ?? 0) - (b.core[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return Math.sign(b.prerelease.length - a.prerelease.length);
  }
  const n = Math.max(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < n; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const diff = compareIdentifiers(x, y);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/**
 * A total order for display and capping: parseable versions in version order, then
 * unparseable ones in plain string order after them.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (pa !== null && pb !== null) return compareParsedVersions(pa, pb) || (a < b ? -1 : a > b ? 1 : 0);
  if (pa !== null) return -1;
  if (pb !== null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether a crash in `version` counts as a recurrence of an issue resolved in `resolvedIn`.
 * Both parse: version order. Otherwise the versions cannot be ordered, and a recurrence
 * counts unless it is clearly older: missing a regression is worse than reopening once.
 * So an unparseable version regresses an issue resolved in any version, and an issue
 * resolved in an unparseable version is regressed by any later crash.
 */
export function isAtOrAbove(version: string, resolvedIn: string): boolean {
  const v = parseVersion(version);
  const r = parseVersion(resolvedIn);
  if (v === null || r === null) return true;
  return compareParsedVersions(v, r) >= 0;
}

/**
 * The newest version among `versions` for "resolved in the next release": the highest that
 * parses, or, when none parses, the last one given (an issue's latest version goes last).
 */
export function newestSeenVersion(versions: readonly string[]): string | null {
  let newest: { text: string; parsed: ParsedVersion } | null = null;
  for (const text of versions) {
    const parsed = parseVersion(text);
    if (parsed !== null && (newest === null || compareParsedVersions(parsed, newest.parsed) > 0)) {
      newest = { text, parsed };
    }
  }
  return newest?.text ?? versions[versions.length - 1] ?? null;
}

/**
 * Whether a crash in `version` is from a release after `newest` (an issue resolved in the next
 * release). The same version never is; otherwise, as in isAtOrAbove, versions that cannot be
 * ordered count as newer, so a regression is not missed.
 */
export function isNewerThan(version: string, newest: string): boolean {
  if (version === newest) return false;
  const v = parseVersion(version);
  const n = parseVersion(newest);
  if (v === null || n === null) return true;
  return compareParsedVersions(v, n) > 0;
}

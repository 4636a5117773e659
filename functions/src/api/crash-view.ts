import { fingerprintInputOf } from '../grouping/classify';
import { fingerprintParsed, selectGroupingExceptions } from '../grouping/fingerprint';
import { CrashDocSchema, type StoredFrame } from '../grouping/schemas';
import { CrashViewFieldsSchema, type CrashViewFields } from './schemas';
import { retraceInput, type MappingLookup, type RetraceOutcome } from '../grouping/retrace';
import { parseStacktrace, type ParsedStacktrace } from '../grouping/stacktrace';
import { crashPath } from '../shared/paths';

/** A stored crash as the issue page and the crash feed show it. */
export interface CrashView {
  /** The crash document id (`crashes/{id}`, what issues' `recentCrashIds` hold). */
  id: string;
  /** The client's own report id (a UUID). */
  reportId: string | null;
  /** The issue the rollup put this crash in; null until the rollup has applied it (or if it never groups). */
  issueId: string | null;
  receivedAt: string | null;
  occurredAt: string | null;
  app: CrashViewFields['app'];
  label: string | null;
  exception: CrashViewFields['exception'];
  runtime: CrashViewFields['runtime'];
  os: CrashViewFields['os'];
  tags: CrashViewFields['tags'];
  /** The report's `extra` (any JSON), or null. */
  extra: unknown;
  /**
   * The primary exception's frames as the rollup's parser reads them, with its in-app decisions,
   * innermost call (most recent) first for every runtime, Python's too, though Python prints it
   * last. Empty when the trace was not recognised.
   */
  frames: StoredFrame[];
  /** For an obfuscated Java trace: retraced with mapping `mapId`, or that mapping is missing; else null. */
  retrace: RetraceOutcome | null;
  /** The trace after retracing (`exception.stacktrace` stays the original); null when not retraced. */
  retracedStacktrace: string | null;
}

/** The rollup's progress through the crash stream: the last report it applied. */
export interface RollupPosition {
  receivedAt: Date;
  path: string;
}

/**
 * The frames a crash view shows: the first exception of the grouping chain that has frames,
 * innermost first whatever the runtime (the parser's one order), so that one view reads the same
 * for a Python crash as for a Java or Node one.
 */
export function framesInnermostFirst(parsed: ParsedStacktrace): StoredFrame[] {
  const located = selectGroupingExceptions(parsed).find((exception) => exception.frames.length > 0);
  return located === undefined ? [] : [...located.frames];
}

function comparePaths(a: string, b: string): number {
  // Firestore orders document names segment by segment, not as one string.
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

/** Whether the rollup has applied a report: it is at or before the rollup's cursor in (receivedAt, path) order. */
export function isRolledUp(receivedAt: Date, path: string, position: RollupPosition | null): boolean {
  if (position === null) return false;
  const dt = receivedAt.getTime() - position.receivedAt.getTime();
  return dt < 0 || (dt === 0 && comparePaths(path, position.path) <= 0);
}

/**
 * The view of one stored crash. `issueId` is given for crashes of a known issue; otherwise it
 * is the rollup's own fingerprint of the crash when `position` shows the rollup has applied it.
 * With `mappings` (loaded beforehand), an obfuscated Java trace is retraced as the rollup does.
 */
export function toCrashView(
  productKey: string,
  id: string,
  data: Record<string, unknown>,
  issue: { issueId: string } | { position: RollupPosition | null },
  mappings?: MappingLookup,
): CrashView {
  const crash = CrashViewFieldsSchema.parse(data);
  let extra: unknown = null;
  if (crash.extraJson !== null) {
    try {
      extra = JSON.parse(crash.extraJson);
    } catch {
      extra = null;
    }
  }
  const grouped = CrashDocSchema.safeParse(data);
  let parsed: ParsedStacktrace | null = null;
  let issueId: string | null = 'issueId' in issue ? issue.issueId : null;
  let retrace: RetraceOutcome | null = null;
  let retracedStacktrace: string | null = null;
  if (grouped.success) {
    // Exactly what the rollup parses and hashes, so frames and issue id match the issue's.
    const base = fingerprintInputOf(grouped.data);
    const retraced = mappings === undefined ? { input: base } : retraceInput(grouped.data, base, mappings);
    const input = retraced.input;
    if (retraced.outcome !== undefined) retrace = retraced.outcome;
    if (retraced.outcome?.status === 'retraced') retracedStacktrace = input.stacktrace;
    parsed = parseStacktrace(input.stacktrace, { runtime: input.runtime, inAppPatterns: input.inAppPatterns });
    const path = crashPath(productKey, id);
    if ('position' in issue && isRolledUp(grouped.data.receivedAt, path, issue.position))
      issueId = fingerprintParsed(parsed, input).fingerprint;
  } else if (crash.exception !== null) {
    parsed = parseStacktrace(crash.exception.stacktrace, { runtime: crash.runtime?.name });
  }
  return {
    id,
    reportId: crash.reportId,
    issueId,
    receivedAt: crash.receivedAt?.toISOString() ?? null,
    occurredAt: crash.occurredAt,
    app: crash.app,
    label: crash.label,
    exception: crash.exception,
    runtime: crash.runtime,
    os: crash.os,
    tags: crash.tags,
    extra,
    frames: parsed === null ? [] : framesInnermostFirst(parsed),
    retrace,
    retracedStacktrace,
  };
}

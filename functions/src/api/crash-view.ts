import { fingerprintInputOf } from '../grouping/classify';
import { fingerprintParsed, selectGroupingExceptions } from '../grouping/fingerprint';
import {
  BreadcrumbSchema,
  CrashDocSchema,
  type Breadcrumb,
  type SourceContext,
  type StoredFrame,
} from '../grouping/schemas';
import { CrashViewFieldsSchema, type CrashViewFields } from './schemas';
import { retraceInput, type MappingLookup, type RetraceOutcome } from '../grouping/retrace';
import {
  parseStacktrace,
  type ExceptionRelation,
  type ParsedException,
  type ParsedStacktrace,
} from '../grouping/stacktrace';
import { crashPath } from '../shared/paths';

/** A frame as the crash view shows it: the parser's frame, with the lines around it when the SDK sent them. */
export type CrashFrameView = StoredFrame & {
  /** The lines before (file order), the frame's own line and the lines after; absent when none were sent. */
  source?: Pick<SourceContext, 'pre' | 'context' | 'post'>;
};

/** One exception of the cause chain, as the crash view shows it. */
export interface CrashExceptionView {
  /** The report's own type and message for the primary (index 0), the trace's for the others. */
  type: string;
  message: string;
  /** How it relates to the exception `parent`; null for the primary. */
  relation: ExceptionRelation | null;
  /** Index in `exceptions` of the exception this one is the cause, context, suppressed or member of; null for the primary. */
  parent: number | null;
  /** The end of the primary's chain of causes and contexts; false everywhere when the primary has none. */
  rootCause: boolean;
  /** Innermost call (most recent) first, whatever the runtime. */
  frames: CrashFrameView[];
}

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
  exception: Omit<NonNullable<CrashViewFields['exception']>, 'sourceContext'> | null;
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
  frames: CrashFrameView[];
  /**
   * Every exception of the chain in the trace, the primary first and then in the trace's own
   * order (Python's too, which prints the root cause first), each with its frames innermost
   * first. Empty when the trace was not recognised.
   */
  exceptions: CrashExceptionView[];
  /** What the program did before the crash, oldest first; null when the report had none. */
  breadcrumbs: Breadcrumb[] | null;
  /** How many older breadcrumbs the ingest left out (protocol.md, Breadcrumbs); 0 when none. */
  breadcrumbsOmitted: number;
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

/**
 * The end of the primary exception's chain of causes and contexts (Java and Node `Caused by`,
 * Python `__cause__` and `__context__`), or null when the primary has none. Suppressed
 * exceptions and group members are not on that chain.
 */
export function rootCauseIndex(exceptions: readonly ParsedException[]): number | null {
  let root: number | null = null;
  let current = 0;
  for (;;) {
    const next = exceptions.findIndex(
      (e, i) => i > current && e.parent === current && (e.relation === 'cause' || e.relation === 'context'),
    );
    if (next === -1) return root;
    root = next;
    current = next;
  }
}

/** Frames with the source lines whose (file, line) they have, as the SDK named them in the trace. */
function withSource(frames: readonly StoredFrame[], sourceContext: readonly SourceContext[]): CrashFrameView[] {
  if (sourceContext.length === 0) return frames.map((frame) => ({ ...frame }));
  const lines = new Map(sourceContext.map((entry) => [lineKey(entry.file, entry.line), entry] as const));
  return frames.map((frame) => {
    const found =
      frame.file === undefined || frame.line === undefined ? undefined : lines.get(lineKey(frame.file, frame.line));
    return found === undefined
      ? { ...frame }
      : { ...frame, source: { pre: found.pre, context: found.context, post: found.post } };
  });
}

function lineKey(file: string, line: number): string {
  return `${line}\n${file}`;
}

/** The chain as the view shows it: the primary typed by the report, the root cause marked, lines attached. */
export function toExceptionViews(
  parsed: ParsedStacktrace,
  primary: { type: string; message: string | null | undefined },
  sourceContext: readonly SourceContext[] = [],
): CrashExceptionView[] {
  const root = rootCauseIndex(parsed.exceptions);
  return parsed.exceptions.map((exception, index) => ({
    type: index === 0 ? primary.type : exception.type,
    message: index === 0 ? (primary.message ?? exception.message) : exception.message,
    relation: exception.relation ?? null,
    parent: exception.parent ?? null,
    rootCause: index === root,
    frames: withSource(exception.frames, sourceContext),
  }));
}

function parseBreadcrumbs(json: string | null): Breadcrumb[] | null {
  if (json === null) return null;
  try {
    const parsed = BreadcrumbSchema.array().safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
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
  let primary: { type: string; message: string | null | undefined } | null = crash.exception;
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
    primary = { type: input.type, message: input.message };
    const path = crashPath(productKey, id);
    if ('position' in issue && isRolledUp(grouped.data.receivedAt, path, issue.position))
      issueId = fingerprintParsed(parsed, input).fingerprint;
  } else if (crash.exception !== null) {
    parsed = parseStacktrace(crash.exception.stacktrace, { runtime: crash.runtime?.name });
  }
  const sourceContext = crash.exception?.sourceContext ?? [];
  return {
    id,
    reportId: crash.reportId,
    issueId,
    receivedAt: crash.receivedAt?.toISOString() ?? null,
    occurredAt: crash.occurredAt,
    app: crash.app,
    label: crash.label,
    exception:
      crash.exception === null
        ? null
        : {
            type: crash.exception.type,
            message: crash.exception.message,
            stacktrace: crash.exception.stacktrace,
            stacktraceTruncated: crash.exception.stacktraceTruncated,
          },
    runtime: crash.runtime,
    os: crash.os,
    tags: crash.tags,
    extra,
    frames: parsed === null ? [] : withSource(framesInnermostFirst(parsed), sourceContext),
    exceptions: parsed === null || primary === null ? [] : toExceptionViews(parsed, primary, sourceContext),
    breadcrumbs: parseBreadcrumbs(crash.breadcrumbsJson),
    breadcrumbsOmitted: crash.breadcrumbsOmitted,
    retrace,
    retracedStacktrace,
  };
}

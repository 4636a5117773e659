/**
 * Batches of the rollup, pure: which listed reports one transaction applies (bounded by
 * documents touched), how many to list next (bounded by memory), and the plan that merges a
 * batch into the aggregate documents read inside the transaction.
 */

import { mergeCrashStats, mergeIssue, mergeUsageStats, reduceClassified, reduceUsage } from './aggregate';
import type { ClassifiedCrash, ReportRecord } from '../grouping/classify';
import {
  CrashStatsDocSchema,
  IssueDocSchema,
  ReleasesDayDocSchema,
  ReleasesIndexDocSchema,
  UsageStatsDocSchema,
  regressionActivityOf,
  type SessionDoc,
  type UsageDoc,
} from '../grouping/schemas';
import { activityPath, productKeyOf, productPath } from '../shared/paths';
import { mergeReleasesDay, mergeReleasesIndex, reduceSessions } from './sessions';
import { planEnvironments, reduceEnvironments } from './environments';

/** A report as listed by the store: where it is, when it arrived, and its raw fields. */
export interface RawReport {
  path: string;
  id: string;
  receivedAt: Date;
  /** receivedAt in epoch microseconds, as Firestore keeps it (a Date drops the microseconds). */
  receivedAtUs?: number;
  data: unknown;
}

/** The documents a batch writes, by path, computed from the current ones inside the transaction. */
export type BatchPlan = (
  current: ReadonlyMap<string, unknown>,
  liveProducts: ReadonlySet<string>,
) => Map<string, object>;

/** A zod-like schema (what the safeParse boundary needs). */
export type SafeParser<T> = {
  safeParse(
    v: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[] }> } };
};

function parseAggregate<T>(schema: SafeParser<T>, path: string, data: unknown): T | null {
  if (data === undefined) return null;
  const result = schema.safeParse(data);
  if (!result.success) {
    // Never overwrite counts we cannot read: the run fails, the cursor stays, an operator looks.
    throw new Error(`malformed aggregate ${path}: ${result.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
  return result.data;
}

/** Most documents one batch's transaction may touch (aggregates and products); Firestore allows 500 writes per commit. */
export const MAX_DOCS_PER_COMMIT = 400;

/** The reports of a listed batch that one transaction applies. */
export interface SelectedBatch<T> {
  /** How many listed reports it covers (the cursor moves past exactly these). */
  taken: number;
  items: T[];
  malformed: number;
}

/**
 * The longest prefix of a listed batch whose transaction touches at most `maxDocs` documents
 * (aggregates plus one read per product), and at least one report so every batch progresses.
 * Reports that fail their schema are covered without touching anything.
 */
export function selectBatch<T>(
  raw: readonly RawReport[],
  parse: (report: RawReport) => T | null,
  pathsOf: (item: T) => string[],
  maxDocs: number,
): SelectedBatch<T> {
  const docs = new Set<string>();
  const items: T[] = [];
  let malformed = 0;
  let taken = 0;
  for (const report of raw) {
    const item = parse(report);
    if (item === null) malformed++;
    else {
      const added = [productPath(productKeyOf(report.path)), ...pathsOf(item)].filter((p) => !docs.has(p));
      if (taken > 0 && docs.size + new Set(added).size > maxDocs) break;
      for (const path of added) docs.add(path);
      items.push(item);
    }
    taken++;
  }
  return { taken, items, malformed };
}

/** The documents a batch of crashes touches, and the plan that merges it into them. */
export function planCrashBatch(crashes: readonly ClassifiedCrash[], now: Date): { paths: string[]; plan: BatchPlan } {
  const delta = reduceClassified(crashes);
  const environments = reduceEnvironments(crashes.map((c) => c.record.doc));
  return {
    paths: [...delta.issues.keys(), ...delta.stats.keys(), ...environments.keys()],
    plan: (current, live) => {
      const writes = new Map<string, object>();
      const admits = planEnvironments(environments, current, live, writes, now);
      for (const [path, issue] of delta.issues) {
        if (!live.has(issue.productKey)) continue;
        const before = parseAggregate(IssueDocSchema, path, current.get(path));
        const after = mergeIssue(before, issue, now);
        writes.set(path, after);
        // A regression is recorded in the issue's activity by the transaction that reopens it,
        // under an id of its time: a retried transaction writes the same entry, never a second.
        const regression = before?.status === 'regressed' ? null : regressionActivityOf(after);
        if (regression !== null)
          writes.set(activityPath(issue.productKey, issue.fingerprint, regression.id), regression.entry);
      }
      for (const [path, stats] of delta.stats) {
        if (!live.has(stats.productKey) || !admits(stats.productKey, stats.environment)) continue;
        writes.set(path, mergeCrashStats(parseAggregate(CrashStatsDocSchema, path, current.get(path)), stats, now));
      }
      return writes;
    },
  };
}

/** The documents a batch of usage reports touches, and the plan that merges it into them. */
export function planUsageBatch(
  records: ReadonlyArray<ReportRecord<UsageDoc>>,
  now: Date,
): { paths: string[]; plan: BatchPlan } {
  const deltas = reduceUsage(records);
  const environments = reduceEnvironments(records.map((r) => r.doc));
  return {
    paths: [...deltas.keys(), ...environments.keys()],
    plan: (current, live) => {
      const writes = new Map<string, object>();
      const admits = planEnvironments(environments, current, live, writes, now);
      for (const [path, delta] of deltas) {
        if (!live.has(delta.productKey) || !admits(delta.productKey, delta.environment)) continue;
        writes.set(path, mergeUsageStats(parseAggregate(UsageStatsDocSchema, path, current.get(path)), delta, now));
      }
      return writes;
    },
  };
}

/** The documents a batch of sessions reports touches (each day's releases document, each product's index), and the plan. */
export function planSessionBatch(
  records: ReadonlyArray<ReportRecord<SessionDoc>>,
  now: Date,
): { paths: string[]; plan: BatchPlan } {
  const { days, index } = reduceSessions(records);
  const environments = reduceEnvironments(records.map((r) => r.doc));
  return {
    paths: [...index.keys(), ...days.keys(), ...environments.keys()],
    plan: (current, live) => {
      const writes = new Map<string, object>();
      const admits = planEnvironments(environments, current, live, writes, now);
      for (const [path, delta] of index) {
        if (!live.has(delta.productKey) || !admits(delta.productKey, delta.environment)) continue;
        writes.set(
          path,
          mergeReleasesIndex(parseAggregate(ReleasesIndexDocSchema, path, current.get(path)), delta, now),
        );
      }
      for (const [path, delta] of days) {
        if (!live.has(delta.productKey) || !admits(delta.productKey, delta.environment)) continue;
        writes.set(path, mergeReleasesDay(parseAggregate(ReleasesDayDocSchema, path, current.get(path)), delta, now));
      }
      return writes;
    },
  };
}

/** Bytes of report text one batch may hold in memory (stack traces may be 256 KiB each). */
export const BATCH_TEXT_BUDGET_BYTES = 32 * 1024 * 1024;
/** The first batch of a run lists at most this many reports, until their size is known. */
export const FIRST_BATCH_LIMIT = 100;

/** Rough size of a listed report: its stack trace and metrics dominate. */
function textSize(report: RawReport): number {
  const data = report.data as { exception?: { stacktrace?: unknown }; metrics?: unknown } | null;
  const trace = data?.exception?.stacktrace;
  return 512 + (typeof trace === 'string' ? trace.length : 0) + (data?.metrics === undefined ? 0 : 4096);
}

/** The next batch size: as many reports of the last batch's average size as fit the text budget, within [10, configured]. */
export function nextLimit(raw: readonly RawReport[], configured: number, budgetBytes: number): number {
  if (raw.length === 0) return configured;
  const average = raw.reduce((n, r) => n + textSize(r), 0) / raw.length;
  return Math.max(10, Math.min(configured, Math.floor(budgetBytes / average)));
}

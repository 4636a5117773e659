import {
  CrashStatsDocSchema,
  UsageStatsDocSchema,
  type CrashStatsDoc,
  type IssueDoc,
  type UsageStatsDoc,
} from '../grouping/schemas';
import { statsDocId } from '../shared/paths';

const DAY_MS = 86_400_000;

/** One day of a crash dimension's total: crashes and distinct clients that day. */
export interface CrashDayPoint {
  day: string;
  count: number;
  clients: number;
}

/** One day of usage: reports and distinct installations that day. */
export interface UsageDayPoint {
  day: string;
  reports: number;
  installs: number;
}

/** One day of one issue's crashes. */
export interface IssueDayPoint {
  day: string;
  count: number;
}

/** The last `n` UTC days ending with the day of `now`, oldest first (`YYYY-MM-DD`). */
export function lastDays(now: Date, n: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: n }, (_, i) => new Date(today - (n - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

/** Id of a stats document (`{day}_{by}`, or one environment's copy `{day}_{by}@{environment}`). */
export { statsDocId };

/** A stats document read back, checked; a malformed one is a server fault (500), not the caller's. */
export function parseCrashStats(id: string, data: unknown): CrashStatsDoc {
  const result = CrashStatsDocSchema.safeParse(data);
  if (!result.success) throw new Error(`malformed stats document ${id}`);
  return result.data;
}

/** A usage stats document read back, checked. */
export function parseUsageStats(id: string, data: unknown): UsageStatsDoc {
  const result = UsageStatsDocSchema.safeParse(data);
  if (!result.success) throw new Error(`malformed stats document ${id}`);
  return result.data;
}

/**
 * Per-day crash counts of the issues `ids` over `days`, from the `{day}_issue` documents
 * (`docs` by document id; a missing day counts 0). An issue past a day's 500-row bound is
 * counted in that day's `other` and shows 0 here.
 */
export function issueDailyCounts(
  days: readonly string[],
  docs: ReadonlyMap<string, unknown>,
  ids: readonly string[],
): Map<string, number[]> {
  const out = new Map(ids.map((id) => [id, days.map(() => 0)]));
  days.forEach((day, i) => {
    const id = statsDocId(day, 'issue');
    const data = docs.get(id);
    if (data === undefined) return;
    for (const row of parseCrashStats(id, data).rows) {
      const counts = out.get(row.value);
      if (counts !== undefined) counts[i] = row.count;
    }
  });
  return out;
}

/**
 * An issue's crashes on each of `days` (oldest first) from its own document, or null when the
 * document cannot tell and the `{day}_issue` documents must: it was stored before per-day counts
 * were kept, or started them (`dailySince`) within `days`. An issue last seen before `days` is 0
 * on every one.
 */
export function issueDailyFromDoc(
  issue: Pick<IssueDoc, 'lastSeen' | 'daily' | 'dailySince'>,
  days: readonly string[],
): number[] | null {
  const first = days[0];
  if (first === undefined) return [];
  if (issue.lastSeen.toISOString().slice(0, 10) < first) return days.map(() => 0);
  if (issue.daily === undefined || (issue.dailySince !== undefined && issue.dailySince >= first)) return null;
  const counts = new Map(issue.daily.map((p) => [p.day, p.count]));
  return days.map((day) => counts.get(day) ?? 0);
}

/** One point per day of `days` (oldest first) from that day's crash dimension document; 0 when absent. */
export function crashDaySeries(days: readonly string[], byDay: ReadonlyMap<string, CrashStatsDoc>): CrashDayPoint[] {
  return days.map((day) => {
    const doc = byDay.get(day);
    return { day, count: doc?.total.count ?? 0, clients: doc?.total.clients ?? 0 };
  });
}

/** One point per day of `days` from that day's usage document; 0 when absent. */
export function usageDaySeries(days: readonly string[], byDay: ReadonlyMap<string, UsageStatsDoc>): UsageDayPoint[] {
  return days.map((day) => {
    const doc = byDay.get(day);
    return { day, reports: doc?.reports ?? 0, installs: doc?.installs.clients ?? 0 };
  });
}

import { DumpcatcherError } from '../shared/errors';
import { type CrashStatsDoc, type MetricStats, type UsageStatsDoc } from '../grouping/schemas';
import { StatsQuerySchema } from './schemas';
import {
  createSketch,
  decodeSketch,
  estimateDistinct,
  mergeSketch,
  ISSUE_PRECISION,
  ROW_PRECISION,
  type Sketch,
} from '../grouping/sketch';
import { parseQuery } from './issues';
import {
  crashDaySeries,
  parseCrashStats,
  parseUsageStats,
  statsDocId,
  usageDaySeries,
  type CrashDayPoint,
  type UsageDayPoint,
} from './series';
import { loadProductFor, type Caller } from './access';
import type { InsightsStore } from './deps';

/** Longest range one stats call covers, in days (one document read per day). */
export const MAX_STATS_DAYS = 92;

const DAY_MS = 86_400_000;

/** One value of a crash dimension over the range; `clients` are distinct over the whole range. */
export interface StatsRowView {
  value: string;
  count: number;
  clients: number;
}

/** The answer for a crash dimension. */
export interface CrashStatsView {
  by: CrashStatsDoc['by'];
  from: string;
  to: string;
  total: { count: number; clients: number };
  rows: StatsRowView[];
  /** Crashes whose value did not fit a day's row bound; null when none. */
  other: { count: number; clients: number } | null;
}

/** One row of the usage answer: a numeric metric's figures, or one value's count. */
export type UsageRowView =
  | { metric: string; count: number; sum: number; min: number; max: number }
  | { metric: string; value: string; count: number };

/** The answer for `by=usage`. */
export interface UsageStatsView {
  by: 'usage';
  from: string;
  to: string;
  reports: number;
  installs: number;
  rows: UsageRowView[];
}

/** The UTC days from `from` to `to` inclusive, or a 400 when the range is reversed or too long. */
export function listDays(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (
    Number.isNaN(start) ||
    Number.isNaN(end) ||
    new Date(start).toISOString().slice(0, 10) !== from ||
    new Date(end).toISOString().slice(0, 10) !== to
  )
    throw new DumpcatcherError('invalid_argument', 'from and to must be real days, YYYY-MM-DD.', {
      details: { from, to },
    });
  const days = (end - start) / DAY_MS + 1;
  if (days < 1 || days > MAX_STATS_DAYS)
    throw new DumpcatcherError(
      'invalid_argument',
      `from must not be after to, and the range at most ${MAX_STATS_DAYS} days.`,
      {
        details: { from, to, maxDays: MAX_STATS_DAYS },
      },
    );
  return Array.from({ length: days }, (_, i) => new Date(start + i * DAY_MS).toISOString().slice(0, 10));
}

interface Accumulator {
  count: number;
  sketch: Sketch;
}

function add(acc: Accumulator, counted: { count: number; sketch: Uint8Array }): void {
  acc.count += counted.count;
  mergeSketch(acc.sketch, decodeSketch(counted.sketch));
}

/** Merges days of one crash dimension: counts add up, clients are a union across days. */
export function mergeCrashDays(
  days: readonly CrashStatsDoc[],
  by: CrashStatsDoc['by'],
  from: string,
  to: string,
): CrashStatsView {
  const total: Accumulator = { count: 0, sketch: createSketch(ISSUE_PRECISION) };
  let other: Accumulator | null = null;
  const rows = new Map<string, Accumulator>();
  for (const day of days) {
    add(total, day.total);
    if (day.other !== null) add((other ??= { count: 0, sketch: createSketch(ROW_PRECISION) }), day.other);
    for (const row of day.rows) {
      let acc = rows.get(row.value);
      if (acc === undefined) rows.set(row.value, (acc = { count: 0, sketch: createSketch(ROW_PRECISION) }));
      add(acc, row);
    }
  }
  const view = (acc: Accumulator) => ({ count: acc.count, clients: estimateDistinct(acc.sketch) });
  return {
    by,
    from,
    to,
    total: view(total),
    rows: [...rows]
      .map(([value, acc]) => ({ value, ...view(acc) }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1)),
    other: other === null ? null : view(other),
  };
}

/** Merges days of usage: report counts and metric figures add up, installations are a union. */
export function mergeUsageDays(days: readonly UsageStatsDoc[], from: string, to: string): UsageStatsView {
  const installs = createSketch(ISSUE_PRECISION);
  let reports = 0;
  const metrics = new Map<string, { number: MetricStats['number']; values: Map<string, number> }>();
  for (const day of days) {
    reports += day.reports;
    mergeSketch(installs, decodeSketch(day.installs.sketch));
    for (const m of day.metrics) {
      let acc = metrics.get(m.name);
      if (acc === undefined) metrics.set(m.name, (acc = { number: null, values: new Map() }));
      if (m.number !== null) {
        const n = acc.number;
        acc.number =
          n === null
            ? { ...m.number }
            : {
                count: n.count + m.number.count,
                sum: n.sum + m.number.sum,
                min: Math.min(n.min, m.number.min),
                max: Math.max(n.max, m.number.max),
              };
      }
      for (const v of m.values) acc.values.set(v.value, (acc.values.get(v.value) ?? 0) + v.count);
    }
  }
  const rows: UsageRowView[] = [];
  for (const name of [...metrics.keys()].sort()) {
    const m = metrics.get(name)!;
    if (m.number !== null) rows.push({ metric: name, ...m.number });
    const values = [...m.values].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    for (const [value, count] of values) rows.push({ metric: name, value, count });
  }
  return { by: 'usage', from, to, reports, installs: estimateDistinct(installs), rows };
}

/** The crash dimension answer with `series=day`. */
export interface CrashStatsSeriesView extends CrashStatsView {
  /** Every day of the range, oldest first: that day's crashes and distinct clients (0 when none). */
  series: CrashDayPoint[];
}

/** The usage answer with `series=day`. */
export interface UsageStatsSeriesView extends UsageStatsView {
  /** Every day of the range, oldest first: that day's usage reports and distinct installations. */
  series: UsageDayPoint[];
}

/** Any answer of the stats route. */
export type StatsView = CrashStatsView | UsageStatsView | CrashStatsSeriesView | UsageStatsSeriesView;

/**
 * `GET /v1/products/{key}/stats?by=type|label|line|version|issue|usage&from=YYYY-MM-DD&to=YYYY-MM-DD[&series=day][&environment=name]`:
 * any member. One stats document read per day of the range, with or without the series and the environment.
 */
export async function getStats(
  store: InsightsStore,
  params: { productKey: string; query: unknown },
  caller: Caller,
): Promise<StatsView> {
  const query = parseQuery(StatsQuerySchema, params.query);
  const days = listDays(query.from, query.to);
  await loadProductFor(store, caller, params.productKey, 'viewer');
  // One environment's figures come from its own copies of the day documents, as many reads as all of them.
  const docs = await store.getStats(
    params.productKey,
    days.map((day) => statsDocId(day, query.by, query.environment)),
  );
  if (query.by === 'usage') {
    const byDay = new Map([...docs].map(([id, data]) => [id.slice(0, 10), parseUsageStats(id, data)]));
    const view = mergeUsageDays([...byDay.values()], query.from, query.to);
    return query.series === undefined ? view : { ...view, series: usageDaySeries(days, byDay) };
  }
  const byDay = new Map([...docs].map(([id, data]) => [id.slice(0, 10), parseCrashStats(id, data)]));
  const view = mergeCrashDays([...byDay.values()], query.by, query.from, query.to);
  return query.series === undefined ? view : { ...view, series: crashDaySeries(days, byDay) };
}

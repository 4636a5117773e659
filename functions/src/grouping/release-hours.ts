/**
 * The hour counters of a release in the releases index: written by the rollup, read by the
 * `release.unhealthy` alert, so they stand here beside the document schema both use.
 */
import type { ReleaseIndexEntry } from './schemas';

const HOUR_MS = 3_600_000;

/** An index entry's hour counters moved to the clock hour of `now`. */
export function rollHours(entry: ReleaseIndexEntry, now: Date): ReleaseIndexEntry {
  const hour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  if (entry.hourStartMs === hour) return entry;
  const previous = entry.hourStartMs === hour - HOUR_MS ? entry.current : { sessions: 0, crashed: 0 };
  return { ...entry, hourStartMs: hour, current: { sessions: 0, crashed: 0 }, previous };
}

/**
 * A release's sessions and crashed sessions applied in the hour before `now`: this clock hour's
 * counts plus the previous hour's, weighted by how much of it the last 60 minutes still cover.
 */
export function lastHourOf(entry: ReleaseIndexEntry, now: Date): { sessions: number; crashed: number } {
  const rolled = rollHours(entry, now);
  const covered = 1 - (now.getTime() - rolled.hourStartMs) / HOUR_MS;
  return {
    sessions: rolled.current.sessions + rolled.previous.sessions * covered,
    crashed: rolled.current.crashed + rolled.previous.crashed * covered,
  };
}

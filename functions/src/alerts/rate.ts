/**
 * An issue's crashes in the last hour, for `issue.spike`: a sliding-window estimate from two
 * clock-hour counters (this hour's, and the previous one's weighted by how much of it the last
 * 60 minutes still cover). Pure.
 */
import { SPIKE_THRESHOLDS, type AlertRate } from './schemas';

const HOUR_MS = 3_600_000;

function hourOf(at: Date): number {
  return Math.floor(at.getTime() / HOUR_MS) * HOUR_MS;
}

/** The rate moved to the clock hour of `now` (counts of hours that ended are shifted or dropped). */
export function rollRate(rate: AlertRate | null, now: Date): AlertRate {
  const hour = hourOf(now);
  if (rate === null) return { hourStartMs: hour, current: 0, previous: 0 };
  const start = rate.hourStartMs;
  if (start === hour) return rate;
  if (start === hour - HOUR_MS) return { hourStartMs: hour, current: 0, previous: rate.current };
  return { hourStartMs: hour, current: 0, previous: 0 };
}

/** Crashes in the hour before `now`, estimated. */
export function estimateLastHour(rate: AlertRate, now: Date): number {
  const rolled = rollRate(rate, now);
  const covered = 1 - (now.getTime() - rolled.hourStartMs) / HOUR_MS;
  return rolled.current + rolled.previous * covered;
}

/** The rate after `added` crashes at `now`, and the spike levels that took it across. */
export function addToRate(rate: AlertRate | null, added: number, now: Date): { rate: AlertRate; crossed: number[] } {
  const rolled = rollRate(rate, now);
  const before = estimateLastHour(rolled, now);
  const next = { ...rolled, current: rolled.current + added };
  const after = estimateLastHour(next, now);
  return { rate: next, crossed: SPIKE_THRESHOLDS.filter((level) => before < level && level <= after) };
}

/** A release's session counters by clock hour (kept in the releases index, see rollup/sessions.ts). */
export interface ReleaseHours {
  hourStartMs: number;
  current: { sessions: number; crashed: number };
  previous: { sessions: number; crashed: number };
}

/** The counters moved to the clock hour of `now` (counts of hours that ended are shifted or dropped). */
export function rollReleaseHours<T extends ReleaseHours>(hours: T, now: Date): T {
  const hour = hourOf(now);
  if (hours.hourStartMs === hour) return hours;
  const previous = hours.hourStartMs === hour - HOUR_MS ? hours.current : { sessions: 0, crashed: 0 };
  return { ...hours, hourStartMs: hour, current: { sessions: 0, crashed: 0 }, previous };
}

/**
 * A release's sessions and crashed sessions in the hour before `now`, for `release.unhealthy`:
 * this clock hour's counts plus the previous hour's weighted by how much of it the last 60
 * minutes still cover (the same estimate as spikes).
 */
export function releaseLastHour(hours: ReleaseHours, now: Date): { sessions: number; crashed: number } {
  const rolled = rollReleaseHours(hours, now);
  const covered = 1 - (now.getTime() - rolled.hourStartMs) / HOUR_MS;
  return {
    sessions: rolled.current.sessions + rolled.previous.sessions * covered,
    crashed: rolled.current.crashed + rolled.previous.crashed * covered,
  };
}

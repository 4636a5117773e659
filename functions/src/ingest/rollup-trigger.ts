import { sha256Hex } from '../shared/sha256';
import type { Clock } from '../shared/clock';
import { ALL_SHARDS } from '../shared/paths';

/** How arrivals are gathered into rollup runs: one run per window and share of the index shards, due a delay after the window closes. */
export interface TriggerPolicy {
  /** Arrivals in one window of this many seconds share one run. */
  windowSeconds: number;
  /** Seconds after the window closes that its run is due: past the rollup's lag, so the run sees the window's reports. */
  delaySeconds: number;
  /**
   * Runs one window may ask for at once, each for its share of the index shards (shard s goes to
   * run s mod fanout), once this instance stored FANOUT_AFTER_REPORTS reports in its previous
   * window; below that, and with 1, one run over every shard. Absent: 1.
   */
  fanout?: number;
}

/** One rollup run asked for: the Cloud Tasks task id, when it is due, and the shards it works. */
export interface RollupTask {
  /**
   * Task id: a hash prefix (Cloud Tasks is slower with sequential ids), then
   * `rollup-<window start, epoch seconds>`, then `-<run>` when a window asks for several.
   */
  name: string;
  /** Epoch seconds at which the window starts. */
  windowStart: number;
  /** When the run should start. */
  scheduleAt: Date;
  /** The index shards the run works (`?shards=` on the rollup's URL); absent: every shard. */
  shards?: number[];
}

/**
 * The task for a report of index shard `shard` stored at `nowMs`: every arrival in the same
 * window and the same share of the shards gets the same name.
 */
export function rollupTaskFor(nowMs: number, policy: TriggerPolicy, shard = 0): RollupTask {
  const windowMs = policy.windowSeconds * 1000;
  const startMs = Math.floor(nowMs / windowMs) * windowMs;
  const windowStart = startMs / 1000;
  const scheduleAt = new Date(startMs + windowMs + policy.delaySeconds * 1000);
  const fanout = policy.fanout ?? 1;
  // Shards are always named, so a run that finds one held hands it over to the holder (or answers 409 and is asked again).
  if (fanout <= 1) {
    const name = `${sha256Hex(String(windowStart)).slice(0, 8)}-rollup-${windowStart}`;
    return { name, windowStart, scheduleAt, shards: [...ALL_SHARDS] };
  }
  const run = shard % fanout;
  return {
    name: `${sha256Hex(`${windowStart}-${run}`).slice(0, 8)}-rollup-${windowStart}-${run}`,
    windowStart,
    scheduleAt,
    shards: ALL_SHARDS.filter((s) => s % fanout === run),
  };
}

/** The URL a task POSTs to: the rollup's, with the task's shards. */
export function rollupTaskUrl(rollupUrl: string, task: RollupTask): string {
  return task.shards === undefined ? rollupUrl : `${rollupUrl}?shards=${task.shards.join(',')}`;
}

/** Creates the task named; a name already taken (another instance asked first) is the expected `exists`. */
export type EnqueueRollup = (task: RollupTask) => Promise<'created' | 'exists'>;

/** What the ingest calls after each stored report. */
export interface RollupTrigger {
  /**
   * Asks for the current window's run over the report's share of the index shards, at most
   * once per window and share per instance; never rejects.
   */
  notify(shard: number): Promise<void>;
}

/**
 * Reports one instance stores in a window (10 a second at 5 s windows) past which it asks for
 * parallel runs in the next: a trickle keeps costing one run per window, a flood is rolled up
 * by up to `fanout` runs at once.
 */
export const FANOUT_AFTER_REPORTS = 50;

/**
 * The debounce: the first stored report of a window (and share of the shards) asks for its
 * run, the others of this instance ask nothing (the name is cached) and the other instances'
 * one ask meets `exists`. A failed ask is logged and not repeated in that window: the
 * scheduled rollup is the backstop. Runs are fanned out only after a busy window.
 */
export function createRollupTrigger(options: {
  enqueue: EnqueueRollup;
  policy: TriggerPolicy;
  clock: Clock;
  onError: (err: unknown, task: RollupTask) => void;
}): RollupTrigger {
  const asked = new Map<string, number>(); // task name → its window
  const stored = { window: Number.NEGATIVE_INFINITY, count: 0, previous: 0 };
  return {
    async notify(shard) {
      const nowMs = options.clock().getTime();
      const window = rollupTaskFor(nowMs, { ...options.policy, fanout: 1 }).windowStart;
      if (window !== stored.window) {
        const consecutive = window - stored.window === options.policy.windowSeconds;
        Object.assign(stored, { window, count: 0, previous: consecutive ? stored.count : 0 });
        // Names are per window and never come back: only this window's are kept.
        for (const [name, at] of asked) if (at < window) asked.delete(name);
      }
      stored.count++;
      const fanout = stored.previous >= FANOUT_AFTER_REPORTS ? (options.policy.fanout ?? 1) : 1;
      const task = rollupTaskFor(nowMs, { ...options.policy, fanout }, shard);
      if (asked.has(task.name)) return;
      asked.set(task.name, window);
      try {
        await options.enqueue(task);
      } catch (err) {
        options.onError(err, task);
      }
    },
  };
}

/** Attempts the local queue makes per task, as the deployed queue's `--max-attempts`. */
const LOCAL_MAX_ATTEMPTS = 5;

/**
 * The local stand-in for Cloud Tasks (which has no emulator): when the task is due, one POST
 * to the task's URL, as the queue would send it; a name seen before is refused as Cloud Tasks
 * refuses it. Tasks are dispatched as they fall due, several at once, as the deployed queue
 * does (`--max-concurrent-dispatches`); a 409 (a shard another run held and kept) is sent
 * again after its Retry-After, as the queue retries a failed task after its backoff.
 */
export function createLocalRollupQueue(options: {
  rollupUrl: string;
  clock: Clock;
  onError: (err: unknown, task: RollupTask) => void;
}): EnqueueRollup {
  const pending = new Set<string>();
  const seen: string[] = [];
  const post = async (task: RollupTask, attempt: number): Promise<void> => {
    const res = await fetch(rollupTaskUrl(options.rollupUrl, task), { method: 'POST' });
    await res.arrayBuffer();
    if (res.status === 409 && attempt < LOCAL_MAX_ATTEMPTS) {
      const seconds = Number(res.headers.get('retry-after') ?? '5');
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      return post(task, attempt + 1);
    }
    if (!res.ok) throw new Error(`the rollup answered ${res.status}`);
  };
  const dispatch = (task: RollupTask): Promise<void> =>
    post(task, 1)
      .catch((err: unknown) => options.onError(err, task))
      .finally(() => {
        pending.delete(task.name);
        // Names are per window and never come back; a short memory is enough.
        seen.push(task.name);
        if (seen.length > 100) seen.shift();
      });
  return (task) => {
    if (pending.has(task.name) || seen.includes(task.name)) return Promise.resolve('exists');
    pending.add(task.name);
    const delay = Math.max(0, task.scheduleAt.getTime() - options.clock().getTime());
    setTimeout(() => void dispatch(task), delay);
    return Promise.resolve('created');
  };
}

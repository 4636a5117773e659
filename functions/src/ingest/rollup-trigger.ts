import { sha256Hex } from '../shared/sha256';
import type { Clock } from '../shared/clock';

/** How arrivals are gathered into rollup runs: one run per window, due a delay after it closes. */
export interface TriggerPolicy {
  /** Arrivals in one window of this many seconds share one run. */
  windowSeconds: number;
  /** Seconds after the window closes that its run is due: past the rollup's lag, so the run sees the window's reports. */
  delaySeconds: number;
}

/** One rollup run asked for: the Cloud Tasks task id and when it is due. */
export interface RollupTask {
  /** Task id: a hash prefix (Cloud Tasks is slower with sequential ids), then `rollup-<window start, epoch seconds>`. */
  name: string;
  /** Epoch seconds at which the window starts. */
  windowStart: number;
  /** When the run should start. */
  scheduleAt: Date;
}

/** The task for a report stored at `nowMs`: every arrival in the same window gets the same name. */
export function rollupTaskFor(nowMs: number, policy: TriggerPolicy): RollupTask {
  const windowMs = policy.windowSeconds * 1000;
  const startMs = Math.floor(nowMs / windowMs) * windowMs;
  const windowStart = startMs / 1000;
  return {
    name: `${sha256Hex(String(windowStart)).slice(0, 8)}-rollup-${windowStart}`,
    windowStart,
    scheduleAt: new Date(startMs + windowMs + policy.delaySeconds * 1000),
  };
}

/** Creates the task named; a name already taken (another instance asked first) is the expected `exists`. */
export type EnqueueRollup = (task: RollupTask) => Promise<'created' | 'exists'>;

/** What the ingest calls after each stored report. */
export interface RollupTrigger {
  /** Asks for the current window's run, at most once per window per instance; never rejects. */
  notify(): Promise<void>;
}

/**
 * The debounce: the first stored report of a window asks for its run, the others of this
 * instance ask nothing (the name is cached) and the other instances' one ask meets `exists`. A
 * failed ask is logged and not repeated in that window: the scheduled rollup is the backstop.
 */
export function createRollupTrigger(options: {
  enqueue: EnqueueRollup;
  policy: TriggerPolicy;
  clock: Clock;
  onError: (err: unknown, task: RollupTask) => void;
}): RollupTrigger {
  let lastWindow = Number.NEGATIVE_INFINITY;
  return {
    async notify() {
      const task = rollupTaskFor(options.clock().getTime(), options.policy);
      if (task.windowStart <= lastWindow) return;
      lastWindow = task.windowStart;
      try {
        await options.enqueue(task);
      } catch (err) {
        options.onError(err, task);
      }
    },
  };
}

/**
 * The local stand-in for Cloud Tasks (which has no emulator): when the task is due, one POST
 * to the rollup URL, as the queue would send it; a name seen before is refused as Cloud Tasks
 * refuses it, and a task due while another's POST is still going waits for it, as the deployed
 * queue dispatches one at a time (`--max-concurrent-dispatches=1`).
 */
export function createLocalRollupQueue(options: {
  rollupUrl: string;
  clock: Clock;
  onError: (err: unknown, task: RollupTask) => void;
}): EnqueueRollup {
  const pending = new Set<string>();
  const seen: string[] = [];
  let dispatching: Promise<void> = Promise.resolve();
  const dispatch = (task: RollupTask): Promise<void> =>
    fetch(options.rollupUrl, { method: 'POST' })
      .then(async (res) => {
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`the rollup answered ${res.status}`);
      })
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
    setTimeout(() => {
      dispatching = dispatching.then(() => dispatch(task));
    }, delay);
    return Promise.resolve('created');
  };
}

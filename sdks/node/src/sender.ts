import { performance } from 'node:perf_hooks';
import { backoffDelayMs, MAX_ATTEMPTS_PER_PROCESS } from './backoff.ts';
import type { DebugLog, Notice } from './log.ts';
import type { Queue, QueueEntry } from './queue.ts';
import { safeTimeout } from './timers.ts';
import { clockFixFor, refusalNotice } from './answers.ts';
import type { SendResult } from './answers.ts';
import type { Transport } from './transport.ts';

/** Requests one client keeps in flight at once (the transport opens as many sockets at most). */
export const SEND_WINDOW = 4;

/** Sends the queue in the background: oldest first, a few requests at a time, with retries. */
export interface Sender {
  /** A report this process has just written (sent from memory, no re-reading). */
  track(name: string, entry: QueueEntry, bodyJson: string): void;
  /** Reports the queue bounds removed before they were sent. */
  untrack(names: readonly string[]): void;
  /** Starts a send pass soon, off the caller's stack, unless a backoff is pending. */
  kick(): void;
  /**
   * Sends everything it can, earlier runs' files too; true when the queue is empty in time and
   * no report was dropped unsent (refused by the ingest, or removed by the queue's bounds)
   * since the previous flush.
   */
  flush(timeoutMs: number): Promise<boolean>;
  /** True when there may be something to send (own reports, or files of earlier runs). */
  hasWork(): boolean;
  /** True when a report this process wrote is still queued and no attempt to send it has started. */
  hasUntried(): boolean;
  /** Stops: no new attempts, no timers. */
  stop(): void;
}

/** What the sender needs from the client. */
export interface SenderDeps {
  queue: Queue;
  transport: Transport;
  now: () => number;
  random: () => number;
  log: DebugLog;
  /** Where refusals are said (log.ts createNotice). */
  notice?: Notice;
  /** The ingest answered 404 to `/v1/sessions` (an older server); called once. */
  onSessionsRefused?: () => void;
}

/** Creates the sender of one client. */
export function createSender({ queue, transport, now, random, log, notice, onSessionsRefused }: SenderDeps): Sender {
  // Reports dropped unsent since the last flush: that flush must not say all went well.
  let droppedSinceFlush = 0;
  const sayRefused = (result: SendResult): void => {
    droppedSinceFlush += 1;
    const reason = refusalNotice(result);
    if (!notice || reason === null) return;
    if (reason === 'unauthenticated')
      notice(reason, 'a report was dropped: the ingest answered 401, it does not know this productKey or secret');
    else if (reason === 'not-ingest')
      notice(
        reason,
        `a report was dropped: the endpoint answered ${result.kind === 'drop' ? `HTTP ${result.status}` : 'HTTP 401'}; is this the ingest URL?`,
      );
    else notice(reason, `a report was dropped: refused by the ingest (${result.kind === 'drop' ? result.reason : ''})`);
  };
  const attempts = new Map<string, number>();
  // Own reports whose first attempt has started (answered or not).
  const started = new Set<string>();
  // Reports this process wrote and has not yet delivered or dropped, oldest first, kept in
  // memory so that sending them needs no directory listing and no re-reading.
  const ownPending = new Map<string, { entry: QueueEntry; bodyJson: string }>();
  let pumping = false;
  let pumpAgain = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let retryDue = 0;
  let kickPending = false;
  let stopped = false;
  let clockOffsetMs = 0;
  let sessionsRefused = false;
  // Reports of other client ids (earlier runs, or other live processes of the app) are sent
  // at init and on flush; in between, a live process sends only its own, so two running
  // processes do not both send each new report.
  let othersPending = true;
  const waiters = new Set<() => void>();

  const notifyWaiters = (): void => {
    for (const waiter of [...waiters]) waiter();
  };

  const scheduleRetry = (delayMs: number): void => {
    const due = performance.now() + delayMs;
    // Several answers of one pass may ask to wait: the longest wait wins (Retry-After is a minimum).
    if (retryTimer) {
      if (retryDue >= due) return;
      clearTimeout(retryTimer);
    }
    retryDue = due;
    retryTimer = safeTimeout(() => {
      retryTimer = null;
      void pump();
    }, delayMs);
    retryTimer.unref();
  };

  const timestampNow = (): number => Math.floor((now() + clockOffsetMs) / 1000);

  const forgetFile = (name: string): void => {
    attempts.delete(name);
    started.delete(name);
    ownPending.delete(name);
    queue.remove(name);
  };

  /**
   * Sends one report (and resends it once if a 401 shows the clock it was signed with was
   * off); true when the pass must stop because this report has to wait for a retry.
   */
  const sendOne = async (name: string, entry: QueueEntry, bodyJson: string | undefined): Promise<boolean> => {
    const tried = attempts.get(name) ?? 0;
    started.add(name);
    const offsetUsed = clockOffsetMs;
    let result = await transport.send(entry, timestampNow(), bodyJson);
    if (result.kind === 'unauthorized' && result.serverDateMs !== undefined && !stopped) {
      const offset = clockFixFor(result.serverDateMs, now(), offsetUsed);
      if (offset !== null) {
        // With several requests in flight, another answer may have corrected the clock already.
        if (clockOffsetMs === offsetUsed) {
          log(
            `clock differs from the ingest's by ${Math.round(offset / 1000)} s; retrying ${name} once with the corrected time`,
          );
          clockOffsetMs = offset;
        }
        result = await transport.send(entry, timestampNow(), bodyJson);
      }
    }
    if (result.kind === 'drop' && result.status === 404 && entry.path === '/v1/sessions') {
      // An ingest older than sessions, not a wrong URL: said once by the client, and not a
      // refusal that makes flush() false (docs/sdks.md "Sessions").
      forgetFile(name);
      log(`dropped ${name}: the ingest has no /v1/sessions`);
      if (!sessionsRefused) {
        sessionsRefused = true;
        onSessionsRefused?.();
      }
      return false;
    }
    switch (result.kind) {
      case 'delivered':
        forgetFile(name);
        log(`sent ${name}: HTTP ${result.status}${result.duplicate ? ' (duplicate)' : ''}`);
        return false;
      case 'drop':
      case 'unauthorized':
        forgetFile(name);
        log(`dropped ${name}`);
        sayRefused(result);
        return false;
      case 'retry': {
        const n = tried + 1;
        attempts.set(name, n);
        const delay = backoffDelayMs(n, random, result.retryAfterMs);
        if (n >= MAX_ATTEMPTS_PER_PROCESS) {
          log(`will retry ${name} after the next start: ${result.reason} (attempt ${n})`);
        } else {
          log(`will retry ${name} in ${delay} ms: ${result.reason} (attempt ${n})`);
        }
        scheduleRetry(delay);
        return true;
      }
    }
  };

  /**
   * One pass over the queue, oldest first, with up to SEND_WINDOW requests in flight; starts
   * nothing new once a report must wait for a retry, and ends when the last answer is in.
   */
  const sendPass = async (): Promise<void> => {
    const includeOthers = othersPending;
    let names: string[];
    if (includeOthers) {
      const scanned = queue.scan();
      for (const dropped of scanned.dropped) ownPending.delete(dropped);
      droppedSinceFlush += scanned.dropped.length;
      names = scanned.names;
    } else {
      names = [...ownPending.keys()];
    }
    let mustWait = false;
    let inFlight = 0;
    let slotFreed: (() => void) | null = null;
    const settle = (): void => {
      inFlight -= 1;
      const wake = slotFreed;
      slotFreed = null;
      wake?.();
    };
    const settled = (wait: boolean): void => {
      if (wait) mustWait = true;
      settle();
    };
    const failed = (err: unknown): void => {
      log('send loop error:', err);
      mustWait = true;
      settle();
    };
    for (const name of names) {
      if (stopped || mustWait) break;
      const tried = attempts.get(name) ?? 0;
      if (tried >= MAX_ATTEMPTS_PER_PROCESS) continue;
      const own = ownPending.get(name);
      const entry = own?.entry ?? queue.read(name);
      if (!entry) continue;
      if (sessionsRefused && entry.path === '/v1/sessions') {
        forgetFile(name);
        continue;
      }
      inFlight += 1;
      sendOne(name, entry, own?.bodyJson).then(settled, failed);
      if (inFlight >= SEND_WINDOW) await new Promise<void>((resolve) => (slotFreed = resolve));
    }
    while (inFlight > 0) await new Promise<void>((resolve) => (slotFreed = resolve));
    if (includeOthers && !mustWait && !stopped) othersPending = false;
  };

  const pump = async (): Promise<void> => {
    if (stopped) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        await sendPass();
      } while (pumpAgain && retryTimer === null && !stopped);
    } catch (err) {
      log('send loop error:', err);
    } finally {
      pumping = false;
      notifyWaiters();
    }
  };

  return {
    track(name, entry, bodyJson) {
      ownPending.set(name, { entry, bodyJson });
    },
    untrack(names) {
      droppedSinceFlush += names.length;
      for (const name of names) {
        ownPending.delete(name);
        started.delete(name);
      }
    },
    kick() {
      if (stopped || kickPending || retryTimer !== null) return;
      kickPending = true;
      setImmediate(() => {
        kickPending = false;
        void pump();
      }).unref();
    },
    flush(timeoutMs) {
      return new Promise<boolean>((resolve) => {
        let timer: NodeJS.Timeout | null = null;
        const finish = (empty: boolean): void => {
          if (timer) clearTimeout(timer);
          waiters.delete(check);
          const dropped = droppedSinceFlush;
          droppedSinceFlush = 0;
          resolve(empty && dropped === 0);
        };
        function check(): void {
          if (queue.list().length === 0) return finish(true);
          // Nothing running and nothing scheduled: what is left waits for the next start.
          if (!pumping && !kickPending && retryTimer === null) finish(false);
        }
        timer = safeTimeout(() => finish(false), timeoutMs);
        timer.unref();
        waiters.add(check);
        othersPending = true;
        if (stopped) {
          check();
        } else if (retryTimer === null) {
          if (!pumping) void pump();
          else pumpAgain = true;
        } else {
          check();
        }
      });
    },
    hasWork() {
      return ownPending.size > 0 || (othersPending && queue.list().length > 0);
    },
    hasUntried() {
      for (const name of ownPending.keys()) if (!started.has(name)) return true;
      return false;
    },
    stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      notifyWaiters();
    },
  };
}

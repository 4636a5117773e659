/**
 * Delivery of alerts, after the rollup's transactions commit: queued transitions become one
 * message per destination and event type (its body frozen, its id the `webhook-id`), and due
 * messages are sent, retried with backoff for 24 hours, then given up. Firestore is behind the
 * `AlertDeliveryStore` interface (store.ts).
 */
import type { Clock } from '../shared/clock';
import { sha256Hex } from '../shared/sha256';
import type { IssueDoc } from '../grouping/schemas';
import { buildSlackBody, buildWebhookBody, releaseUrl, toAlertIssue, type AlertRelease } from './payload';
import type { AlertDoc, AlertEvent, DeliveryDoc, OutboxDoc, ReleaseMarkDoc, SpikeMarkDoc } from './schemas';
import { webhookHeaders } from './sign';
import { SEND_TIMEOUT_MS, type SendMessage, type SendOutcome } from './transport';

/** Wait before attempt n+1 after n failed attempts: 1, 5, 30 minutes, then hourly. */
export const RETRY_DELAYS_MS = [60_000, 300_000, 1_800_000];
/** Hourly once the delays above are used up. */
export const LATE_RETRY_DELAY_MS = 3_600_000;
/** A message still failing this long after it was queued is given up, and its destination marked failing. */
export const RETRY_WINDOW_MS = 24 * 3_600_000;
/** An attempt holds its message this long, more than a send can take, so no other run sends it meanwhile. */
export const LEASE_MS = 60_000;
/** Most messages one run attempts. */
export const MAX_SENDS_PER_RUN = 20;
/** Messages attempted at once. */
const SEND_CONCURRENCY = 4;

/** What expanding one product's outbox reads in its transaction. */
export interface ExpandInput {
  productKey: string;
  product: { name: string } | null;
  outbox: OutboxDoc[];
  alerts: Array<{ id: string; alert: AlertDoc }>;
  issues: ReadonlyMap<string, IssueDoc>;
  /** When each destination was last told of each issue's spike, by `spikeMarkKey`. */
  spikeMarks: ReadonlyMap<string, Date>;
  /** Whether each destination was told a release is unhealthy and it has not recovered since, by `releaseMarkKey`. */
  releaseMarks: ReadonlyMap<string, boolean>;
}

/** What expanding one product's outbox writes: the messages and the spike marks they set. */
export interface ExpandPlan {
  messages: Array<{ id: string; doc: DeliveryDoc }>;
  marks: SpikeMarkDoc[];
  /** Release marks whose state changed (told unhealthy, or recovered). */
  releaseMarks: ReleaseMarkDoc[];
}

/** The key of a release mark: one destination and one release. */
export function releaseMarkKey(alertId: string, version: string): string {
  return `${alertId}/${version}`;
}

/**
 * A release's last hour against one destination's settings: `unhealthy` below the threshold
 * with at least `minSessions` sessions; `healthy` at or above it (or with no session);
 * `unknown` below it on too few sessions to say, which changes nothing.
 */
export function releaseHealth(
  hour: { sessions: number; crashed: number },
  threshold: number,
  minSessions: number,
): 'unhealthy' | 'healthy' | 'unknown' {
  if (hour.sessions <= 0) return 'healthy';
  const crashFree = 1 - hour.crashed / hour.sessions;
  if (crashFree >= threshold) return 'healthy';
  return hour.sessions >= minSessions ? 'unhealthy' : 'unknown';
}

/** A destination is told of one issue's spike at most once in this long. */
export const SPIKE_QUIET_MS = 24 * 3_600_000;

/** The key of a spike mark: one destination and one issue. */
export function spikeMarkKey(alertId: string, issueId: string): string {
  return `${alertId}/${issueId}`;
}

/** A change to a destination's delivery status. */
export type AlertStatusChange = Partial<Pick<AlertDoc, 'lastSuccessAt' | 'lastFailureAt' | 'lastFailure' | 'failing'>>;

/** What delivery needs from Firestore. */
export interface AlertDeliveryStore {
  /** Products that have queued outbox documents (at most `limit`). */
  listOutboxProducts(limit: number): Promise<string[]>;
  /**
   * In one transaction: reads the product's outbox documents, the product, its destinations,
   * the issues the outbox names and the spike marks of those issues; writes the messages and
   * marks `plan` returns and deletes those outbox documents. Answers how many messages were written.
   */
  expandOutbox(productKey: string, plan: (input: ExpandInput) => ExpandPlan): Promise<number>;
  /** Ids of pending messages due at `now`, oldest due first. */
  listDue(now: Date, limit: number): Promise<string[]>;
  /** Takes the lease on a pending, due, unleased message; null when it is not (another run has it). */
  claim(id: string, now: Date, leaseUntil: Date): Promise<DeliveryDoc | null>;
  getAlert(productKey: string, alertId: string): Promise<AlertDoc | null>;
  getSecret(alertId: string): Promise<string | null>;
  /** Records an attempt: the message's new state, and the destination's status (if it still exists). */
  recordAttempt(
    id: string,
    delivery: Pick<DeliveryDoc, 'status' | 'attempts' | 'nextAttemptAt' | 'leaseUntil' | 'lastError' | 'sentAt'>,
    alert: { productKey: string; alertId: string; change: AlertStatusChange },
  ): Promise<void>;
}

/** What one delivery run did (part of the rollup's answer). */
export interface AlertRunSummary {
  /** Messages queued from the outbox. */
  queued: number;
  sent: number;
  /** Attempts that failed and will be retried. */
  retrying: number;
  /** Messages given up after the retry window. */
  gaveUp: number;
}

/** The id of the message of `events` of one type to one destination: the `webhook-id`, stable across retries. */
export function messageId(alertId: string, type: AlertEvent, eventIds: readonly string[]): string {
  return 'msg_' + sha256Hex(`${alertId}/${type}/${[...eventIds].sort().join(',')}`).slice(0, 40);
}

/** The body a destination of `kind` receives for a webhook body. */
export function bodyFor(kind: AlertDoc['kind'], webhookBody: ReturnType<typeof buildWebhookBody>): string {
  return JSON.stringify(kind === 'slack' ? buildSlackBody(webhookBody) : webhookBody);
}

/**
 * The messages for one product's queued events: for each destination, one per event type it
 * subscribes to, listing the issues of that type (events of a deleted issue are dropped). A
 * spike counts for a destination when the issue crossed its threshold and the destination was
 * not told of that issue's spike in the last 24 hours.
 */
export function planMessages(input: ExpandInput, now: Date, dashboardUrl: string | undefined): ExpandPlan {
  const plan: ExpandPlan = { messages: [], marks: [], releaseMarks: [] };
  if (input.product === null) return plan;
  const seen = new Set<string>();
  const byType = new Map<AlertEvent, Array<{ id: string; issueId: string; levels: number[] }>>();
  // Release figures in the order the batches committed them, so each crossing is seen in turn.
  const snapshots: Array<{ id: string; version: string; sessions: number; crashed: number }> = [];
  const ordered = [...input.outbox].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  for (const doc of ordered)
    for (const event of doc.events) {
      if (seen.has(event.id)) continue;
      if (event.release !== undefined) {
        seen.add(event.id);
        snapshots.push({ id: event.id, ...event.release });
        continue;
      }
      if (event.issueId === undefined || !input.issues.has(event.issueId)) continue;
      seen.add(event.id);
      const list = byType.get(event.event) ?? [];
      list.push({ id: event.id, issueId: event.issueId, levels: event.levels ?? [] });
      byType.set(event.event, list);
    }
  const out = plan.messages;
  const queue = (
    alertId: string,
    alert: AlertDoc,
    type: AlertEvent,
    eventIds: string[],
    body: Parameters<typeof buildWebhookBody>[0],
  ) => {
    out.push({
      id: body.id,
      doc: {
        productKey: input.productKey,
        alertId,
        kind: alert.kind,
        type,
        body: bodyFor(alert.kind, buildWebhookBody(body)),
        eventIds,
        status: 'pending',
        attempts: 0,
        createdAt: now,
        nextAttemptAt: now,
        leaseUntil: null,
        lastError: null,
        sentAt: null,
      },
    });
  };
  for (const { id: alertId, alert } of input.alerts) {
    if (!alert.events.includes('release.unhealthy') || snapshots.length === 0) continue;
    const fired: AlertRelease[] = [];
    const firedIds: string[] = [];
    for (const version of [...new Set(snapshots.map((s) => s.version))]) {
      const key = releaseMarkKey(alertId, version);
      const before = input.releaseMarks.get(key) ?? false;
      let told = before;
      for (const s of snapshots.filter((x) => x.version === version)) {
        const health = releaseHealth(s, alert.unhealthyThreshold, alert.unhealthyMinSessions);
        if (health === 'unhealthy' && !told) {
          told = true;
          firedIds.push(s.id);
          fired.push({
            version,
            sessions: Math.round(s.sessions),
            crashedSessions: Math.round(s.crashed),
            crashFreeSessions: 1 - s.crashed / s.sessions,
            threshold: alert.unhealthyThreshold,
            minSessions: alert.unhealthyMinSessions,
            url: releaseUrl(dashboardUrl, input.productKey, version),
          });
        } else if (health === 'healthy') told = false;
      }
      if (told !== before)
        plan.releaseMarks.push({ productKey: input.productKey, alertId, version, unhealthy: told, at: now });
    }
    if (fired.length === 0) continue;
    const id = messageId(alertId, 'release.unhealthy', firedIds);
    const product = { key: input.productKey, name: input.product.name };
    queue(alertId, alert, 'release.unhealthy', firedIds, {
      type: 'release.unhealthy',
      id,
      createdAt: now,
      product,
      issues: [],
      releases: fired,
    });
  }
  for (const { id: alertId, alert } of input.alerts)
    for (const type of alert.events) {
      if (type === 'release.unhealthy') continue;
      let events = byType.get(type);
      if (events !== undefined && type === 'issue.spike') {
        const told = new Set<string>();
        events = events.filter((e) => {
          const last = input.spikeMarks.get(spikeMarkKey(alertId, e.issueId));
          const quiet = last === undefined || now.getTime() - last.getTime() >= SPIKE_QUIET_MS;
          const fits = alert.spikeThreshold !== null && e.levels.includes(alert.spikeThreshold);
          if (!fits || !quiet || told.has(e.issueId)) return false;
          told.add(e.issueId);
          return true;
        });
        for (const issueId of told) plan.marks.push({ productKey: input.productKey, alertId, issueId, at: now });
      }
      if (events === undefined || events.length === 0) continue;
      const eventIds = events.map((e) => e.id);
      const id = messageId(alertId, type, eventIds);
      const issues = events.map((e) => toAlertIssue(e.issueId, input.issues.get(e.issueId)!, dashboardUrl));
      const product = { key: input.productKey, name: input.product.name };
      queue(alertId, alert, type, eventIds, { type, id, createdAt: now, product, issues });
    }
  return plan;
}

/** When to try again after `attempts` failed attempts. */
export function nextAttemptAfter(attempts: number, now: Date): Date {
  return new Date(now.getTime() + (RETRY_DELAYS_MS[attempts - 1] ?? LATE_RETRY_DELAY_MS));
}

/** The message's and destination's state after an attempt; `final` gives up whatever the window. */
export function afterAttempt(
  delivery: DeliveryDoc,
  outcome: SendOutcome,
  now: Date,
  final = false,
): {
  delivery: Pick<DeliveryDoc, 'status' | 'attempts' | 'nextAttemptAt' | 'leaseUntil' | 'lastError' | 'sentAt'>;
  change: AlertStatusChange;
  result: 'sent' | 'retrying' | 'gaveUp';
} {
  const attempts = delivery.attempts + 1;
  if (outcome.ok) {
    return {
      delivery: { status: 'sent', attempts, nextAttemptAt: null, leaseUntil: null, lastError: null, sentAt: now },
      change: { lastSuccessAt: now, failing: false },
      result: 'sent',
    };
  }
  const givingUp = final || now.getTime() - delivery.createdAt.getTime() >= RETRY_WINDOW_MS;
  return {
    delivery: {
      status: givingUp ? 'failed' : 'pending',
      attempts,
      nextAttemptAt: givingUp ? null : nextAttemptAfter(attempts, now),
      leaseUntil: null,
      lastError: outcome.reason,
      sentAt: null,
    },
    change: givingUp
      ? { lastFailureAt: now, lastFailure: outcome.reason, failing: true }
      : { lastFailureAt: now, lastFailure: outcome.reason },
    result: givingUp ? 'gaveUp' : 'retrying',
  };
}

/** Sends one claimed message to its destination (signed when it is a webhook). */
export async function sendDelivery(
  delivery: DeliveryDoc & { id: string },
  alert: AlertDoc | null,
  secret: string | null,
  send: SendMessage,
  now: Date,
): Promise<SendOutcome> {
  if (alert === null) return { ok: false, status: null, reason: 'the destination was deleted' };
  if (alert.kind === 'webhook' && secret === null)
    return { ok: false, status: null, reason: 'the destination has no signing secret' };
  const headers = alert.kind === 'webhook' ? webhookHeaders(secret!, delivery.id, now, delivery.body) : {};
  return send(alert.url, delivery.body, headers);
}

/** One delivery run: queues the outbox's events as messages, then attempts the due ones. */
export async function runAlertDelivery(deps: {
  store: AlertDeliveryStore;
  send: SendMessage;
  clock: Clock;
  dashboardUrl: string | undefined;
  /** No send starts unless it would end (timeout included) by then; the rest wait for the next run. */
  deadline?: Date;
}): Promise<AlertRunSummary> {
  const { store, clock } = deps;
  const summary: AlertRunSummary = { queued: 0, sent: 0, retrying: 0, gaveUp: 0 };
  for (const productKey of await store.listOutboxProducts(100)) {
    summary.queued += await store.expandOutbox(productKey, (input) => planMessages(input, clock(), deps.dashboardUrl));
  }
  const due = await store.listDue(clock(), MAX_SENDS_PER_RUN);
  const attempt = async (id: string) => {
    const now = clock();
    const delivery = await store.claim(id, now, new Date(now.getTime() + LEASE_MS));
    if (delivery === null) return;
    const alert = await store.getAlert(delivery.productKey, delivery.alertId);
    const secret = alert?.kind === 'webhook' ? await store.getSecret(delivery.alertId) : null;
    const outcome = await sendDelivery({ ...delivery, id }, alert, secret, deps.send, clock());
    // A deleted destination will never answer: give its messages up at once.
    const next = afterAttempt(delivery, outcome, clock(), alert === null);
    await store.recordAttempt(id, next.delivery, {
      productKey: delivery.productKey,
      alertId: delivery.alertId,
      change: next.change,
    });
    summary[next.result]++;
  };
  const deadline = deps.deadline?.getTime() ?? Infinity;
  for (let i = 0; i < due.length; i += SEND_CONCURRENCY) {
    if (clock().getTime() + SEND_TIMEOUT_MS > deadline) break;
    await Promise.all(due.slice(i, i + SEND_CONCURRENCY).map(attempt));
  }
  return summary;
}

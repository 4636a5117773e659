/**
 * The outbox side of alerts, pure: which issue transitions a rollup batch made, and the outbox
 * documents that record them in the batch's own transaction. A batch commits exactly once (its
 * cursor check), so each transition is queued exactly once; ids derived from the transitions
 * make any second write of the same document identical.
 */
import { sha256Hex } from '../shared/sha256';
import { COLLECTIONS } from '../shared/paths';
import { IssueDocSchema, ReleasesIndexDocSchema, type IssueDoc, type ReleasesIndexDoc } from '../grouping/schemas';
import { addToRate, releaseLastHour } from './rate';
import { AlertRateSchema, type OutboxDoc, type OutboxEvent } from './schemas';

/** The id of one transition of one issue: the same for every run that could see it. */
export function alertEventId(productKey: string, issueId: string, event: string, at: Date | null): string {
  return sha256Hex(`${productKey}/${issueId}/${event}/${at === null ? '' : at.toISOString()}`);
}

/** The alert events of one issue's change: created (`issue.new`) or reopened from resolved (`issue.regressed`). */
export function alertEventsOf(issueId: string, current: IssueDoc | null, next: IssueDoc): OutboxEvent[] {
  if (current === null) {
    return [{ id: alertEventId(next.productKey, issueId, 'issue.new', null), event: 'issue.new', issueId }];
  }
  if (current.status === 'resolved' && next.status === 'regressed') {
    const id = alertEventId(next.productKey, issueId, 'issue.regressed', next.statusChangedAt);
    return [{ id, event: 'issue.regressed', issueId }];
  }
  return [];
}

/** Path of the outbox document holding `events` of one product. */
export function outboxPath(productKey: string, events: readonly OutboxEvent[]): string {
  const ids = events.map((e) => e.id).sort();
  return `${COLLECTIONS.alertOutbox}/${sha256Hex(`${productKey}/${ids.join(',')}`)}`;
}

/**
 * A batch's writes plus one outbox document per product whose issues it created, regressed or
 * took across a spike level; each issue written also carries its hourly rate (`alertRate`).
 * `current` holds the issues as read in the transaction, `writes` what the batch writes.
 */
export function withAlertOutbox(
  current: ReadonlyMap<string, unknown>,
  writes: ReadonlyMap<string, object>,
  now: Date,
): Map<string, object> {
  const out = new Map(writes);
  const byProduct = new Map<string, OutboxEvent[]>();
  for (const [path, doc] of writes) {
    const parts = path.split('/');
    if (parts.length !== 4 || parts[2] !== COLLECTIONS.issues) continue;
    const before = current.get(path);
    const parsed = before === undefined ? null : IssueDocSchema.safeParse(before);
    // The batch already refused to merge into an unreadable issue, so a failed parse cannot reach here.
    const previous = parsed === null || !parsed.success ? null : parsed.data;
    const next = doc as IssueDoc;
    const issueId = parts[3]!;
    const events = alertEventsOf(issueId, previous, next);
    // The hourly rate rides in the issue document, outside its schema (readers drop it).
    const stored = AlertRateSchema.safeParse((before as { alertRate?: unknown } | undefined)?.alertRate);
    const added = next.count - (previous?.count ?? 0);
    const { rate, crossed } = addToRate(stored.success ? stored.data : null, added, now);
    out.set(path, { ...next, alertRate: rate });
    if (crossed.length > 0) {
      const id = sha256Hex(`${alertEventId(next.productKey, issueId, 'issue.spike', now)}/${crossed.join(',')}`);
      events.push({ id, event: 'issue.spike', issueId, levels: crossed });
    }
    if (events.length === 0) continue;
    const list = byProduct.get(next.productKey) ?? [];
    list.push(...events);
    byProduct.set(next.productKey, list);
  }
  for (const [productKey, events] of byProduct) {
    // In id order: the same transitions make the same document, however the batch was ordered.
    events.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const doc: OutboxDoc = { productKey, events, createdAt: now };
    out.set(outboxPath(productKey, events), doc);
  }
  return out;
}

/**
 * A sessions batch's writes plus, per product, one outbox document with the last-hour figures
 * (`release.unhealthy` events) of each release the batch added sessions to, when that hour had
 * a crashed session, or when the release's previous figures had one (so a recovery is seen).
 * Delivery compares them with each destination's threshold and minimum
 * (alerts/deliver.ts); a release's `watch` flag in the index remembers the second case.
 */
export function withReleaseOutbox(
  current: ReadonlyMap<string, unknown>,
  writes: ReadonlyMap<string, object>,
  now: Date,
): Map<string, object> {
  const out = new Map(writes);
  for (const [path, doc] of writes) {
    const parts = path.split('/');
    if (parts.length !== 4 || parts[2] !== COLLECTIONS.stats || parts[3] !== 'releases') continue;
    const next = doc as ReleasesIndexDoc;
    const before = current.get(path);
    const parsed = before === undefined ? null : ReleasesIndexDocSchema.safeParse(before);
    const previous = new Map(
      (parsed === null || !parsed.success ? [] : parsed.data.releases).map((r) => [r.version, r]),
    );
    const events: OutboxEvent[] = [];
    const releases = next.releases.map((entry) => {
      const old = previous.get(entry.version);
      const touched =
        old === undefined ||
        old.hourStartMs !== entry.hourStartMs ||
        old.current.sessions !== entry.current.sessions ||
        old.current.crashed !== entry.current.crashed;
      if (!touched) return entry;
      const hour = releaseLastHour(entry, now);
      const watch = hour.crashed > 0;
      if (!watch && old?.watch !== true) return entry;
      const id = sha256Hex(
        `${alertEventId(next.productKey, entry.version, 'release.unhealthy', now)}/${hour.sessions}/${hour.crashed}`,
      );
      events.push({ id, event: 'release.unhealthy', release: { version: entry.version, ...hour } });
      return { ...entry, watch };
    });
    if (events.length === 0) continue;
    out.set(path, { ...next, releases });
    events.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const outbox: OutboxDoc = { productKey: next.productKey, events, createdAt: now };
    out.set(outboxPath(next.productKey, events), outbox);
  }
  return out;
}

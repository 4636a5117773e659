/**
 * Environments, pure: which environment a report counts in, the product's list of environments
 * seen (the dashboard's picker), and which of a batch's environments get their own copies of the
 * day documents. The all-environments documents are written as before; each environment a batch
 * names adds its own copy of the same documents (`statsPath(…, environment)`), so a filtered
 * read costs what an unfiltered one does and a batch writes its environments' copies only.
 */

import {
  DEFAULT_ENVIRONMENT,
  EnvironmentsDocSchema,
  MAX_ENVIRONMENTS,
  type EnvironmentsDoc,
} from '../grouping/schemas';
import { environmentsPath } from '../shared/paths';

/** The environment a stored report counts in: the one it names, `production` when it names none. */
export function environmentOf(doc: { environment?: string | undefined }): string {
  return doc.environment ?? DEFAULT_ENVIRONMENT;
}

/**
 * The scopes a report is counted in: every environment together (undefined), then its own. Each
 * aggregate keyed by scope writes the all-environments document and the environment's copy.
 */
export function scopesOf(doc: { environment?: string | undefined }): Array<string | undefined> {
  return [undefined, environmentOf(doc)];
}

/** What a batch adds to one product's list: each environment it names, with its earliest report. */
export interface EnvironmentsDelta {
  productKey: string;
  seen: Map<string, Date>;
}

/** The environments of a batch's reports, one delta per product, keyed by the list's path. */
export function reduceEnvironments(
  docs: Iterable<{ productKey: string; receivedAt: Date; environment?: string | undefined }>,
): Map<string, EnvironmentsDelta> {
  const out = new Map<string, EnvironmentsDelta>();
  for (const doc of docs) {
    const path = environmentsPath(doc.productKey);
    let delta = out.get(path);
    if (delta === undefined) out.set(path, (delta = { productKey: doc.productKey, seen: new Map() }));
    const name = environmentOf(doc);
    const first = delta.seen.get(name);
    if (first === undefined || doc.receivedAt < first) delta.seen.set(name, doc.receivedAt);
  }
  return out;
}

/**
 * The product's list after a batch, and the environments whose copies the batch may write: those
 * already listed, and new ones while the list has room (MAX_ENVIRONMENTS). `doc` is null when the
 * batch named no new environment, so a steady stream costs no write here.
 */
export function mergeEnvironments(
  current: EnvironmentsDoc | null,
  delta: EnvironmentsDelta,
  now: Date,
): { doc: EnvironmentsDoc | null; admitted: Set<string> } {
  const listed = [...(current?.environments ?? [])];
  const admitted = new Set(listed.map((e) => e.name));
  const fresh = [...delta.seen]
    .filter(([name]) => !admitted.has(name))
    .sort(([a, at], [b, bt]) => at.getTime() - bt.getTime() || (a < b ? -1 : 1));
  for (const [name, firstSeen] of fresh) {
    if (listed.length >= MAX_ENVIRONMENTS) break;
    listed.push({ name, firstSeen });
    admitted.add(name);
  }
  const changed = listed.length !== (current?.environments.length ?? 0);
  const doc: EnvironmentsDoc | null = changed
    ? { productKey: delta.productKey, by: 'environments', environments: listed, updatedAt: now }
    : null;
  return { doc, admitted };
}

/**
 * Merges a batch's environment deltas into the lists read in the transaction (`current`, by
 * path) for the live products, adding a changed list to `writes`; answers whether an
 * environment's copy may be written for a product (the all-environments scope always may).
 */
export function planEnvironments(
  deltas: ReadonlyMap<string, EnvironmentsDelta>,
  current: ReadonlyMap<string, unknown>,
  live: ReadonlySet<string>,
  writes: Map<string, object>,
  now: Date,
): (productKey: string, environment: string | undefined) => boolean {
  const admitted = new Map<string, Set<string>>();
  for (const [path, delta] of deltas) {
    if (!live.has(delta.productKey)) continue;
    const data = current.get(path);
    let stored: EnvironmentsDoc | null = null;
    if (data !== undefined) {
      const parsed = EnvironmentsDocSchema.safeParse(data);
      // Never overwrite a list we cannot read: the run fails, the cursor stays, an operator looks.
      if (!parsed.success) throw new Error(`malformed aggregate ${path}`);
      stored = parsed.data;
    }
    const merged = mergeEnvironments(stored, delta, now);
    admitted.set(delta.productKey, merged.admitted);
    if (merged.doc !== null) writes.set(path, merged.doc);
  }
  return (productKey, environment) => environment === undefined || admitted.get(productKey)?.has(environment) === true;
}

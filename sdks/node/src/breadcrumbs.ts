/**
 * Breadcrumbs (docs/sdks.md#breadcrumbs): what the program did before a crash. Each one is
 * checked, cut and scrubbed when it is added (so a later change of the scrub rules never reaches
 * it) and kept in a ring; a crash report takes a copy of the ring. Pure; checked against
 * test/vectors/breadcrumbs-v1.json.
 */
import { truncateChars, uniqueKey } from './report.ts';
import type { Scrubber } from './scrub.ts';
import type { Breadcrumb, BreadcrumbLevel } from './types.ts';

const LEVELS: ReadonlySet<string> = new Set<BreadcrumbLevel>(['debug', 'info', 'warning', 'error', 'fatal']);
const MAX_CATEGORY_CHARS = 64;
const MAX_MESSAGE_CHARS = 1024;
const MAX_DATA_ENTRIES = 20;
const MAX_DATA_KEY_CHARS = 64;
const MAX_DATA_VALUE_CHARS = 256;

type DataValue = string | number | boolean | null;

function normalizeData(data: unknown, scrub: Scrubber): Record<string, DataValue> | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const out: Record<string, DataValue> = {};
  const nextNumber = new Map<string, number>();
  let count = 0;
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (count >= MAX_DATA_ENTRIES) break;
    let kept: DataValue;
    if (typeof value === 'string') kept = truncateChars(scrub(value), MAX_DATA_VALUE_CHARS);
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || value === null)
      kept = value;
    else continue;
    const name = uniqueKey(out, truncateChars(scrub(key), MAX_DATA_KEY_CHARS), nextNumber);
    // defineProperty: a key "__proto__" must stay a key (see toSafeJson).
    Object.defineProperty(out, name, { value: kept, enumerable: true, writable: true, configurable: true });
    count += 1;
  }
  return count > 0 ? out : undefined;
}

/**
 * A breadcrumb as the ring keeps it: its time as a number, written out (once) only when a
 * report takes it, since most breadcrumbs leave the ring without ever being sent.
 */
export interface KeptBreadcrumb {
  atMs: number;
  crumb: Omit<Breadcrumb, 'timestamp'>;
  /** The breadcrumb as reports carry it, made the first time one does (nothing in the SDK edits it). */
  sent?: Breadcrumb;
}

/**
 * The breadcrumb `input` stands for at `nowMs`, scrubbed and cut by the vector rules, or null
 * when `input` is not an object (the caller logs it). Fields of the wrong type are left out.
 */
export function normalizeBreadcrumb(input: unknown, scrub: Scrubber, nowMs: number): KeptBreadcrumb | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  const given = input as Record<string, unknown>;
  const crumb: Omit<Breadcrumb, 'timestamp'> = {
    category:
      typeof given.category === 'string' && given.category !== ''
        ? truncateChars(given.category, MAX_CATEGORY_CHARS)
        : 'default',
    level: typeof given.level === 'string' && LEVELS.has(given.level) ? (given.level as BreadcrumbLevel) : 'info',
  };
  if (typeof given.message === 'string' && given.message !== '') {
    const message = truncateChars(scrub(given.message), MAX_MESSAGE_CHARS);
    if (message !== '') crumb.message = message;
  }
  const data = normalizeData(given.data, scrub);
  if (data !== undefined) crumb.data = data;
  return { atMs: nowMs, crumb };
}

/** The last `capacity` breadcrumbs. */
export interface BreadcrumbRing {
  add(crumb: KeptBreadcrumb): void;
  /** The breadcrumbs kept, oldest first: the ring's own objects, or copies to hand to code that may edit them. */
  snapshot(copy: boolean): Breadcrumb[];
}

function toSent(kept: KeptBreadcrumb): Breadcrumb {
  const c = kept.crumb;
  const out: Breadcrumb = { timestamp: new Date(kept.atMs).toISOString(), category: c.category, level: c.level };
  if (c.message !== undefined) out.message = c.message;
  if (c.data !== undefined) out.data = c.data;
  return out;
}

/** A ring of `capacity` breadcrumbs (0: keeps none). */
export function createBreadcrumbRing(capacity: number): BreadcrumbRing {
  const items: KeptBreadcrumb[] = [];
  let next = 0;
  return {
    add(crumb) {
      if (capacity <= 0) return;
      if (items.length < capacity) items.push(crumb);
      else items[next] = crumb;
      next = (next + 1) % capacity;
    },
    snapshot(copy) {
      const ordered = items.length < capacity ? items : items.slice(next).concat(items.slice(0, next));
      return ordered.map((kept) => {
        const sent = (kept.sent ??= toSent(kept));
        if (!copy) return sent;
        return sent.data ? { ...sent, data: { ...sent.data } } : { ...sent };
      });
    },
  };
}

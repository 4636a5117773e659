import { getApps, initializeApp, type App } from 'firebase-admin/app';
import { FieldPath, FieldValue, getFirestore, Timestamp, type Firestore } from 'firebase-admin/firestore';

let app: App | undefined;

/** The process's firebase-admin app (created once; emulator hosts come from the environment). */
export function getAdminApp(): App {
  if (app === undefined) {
    app = getApps()[0] ?? initializeApp(process.env.GCLOUD_PROJECT ? { projectId: process.env.GCLOUD_PROJECT } : {});
  }
  return app;
}

let db: Firestore | undefined;

/** The process's Firestore client. */
export function getDb(): Firestore {
  if (db === undefined) {
    db = getFirestore(getAdminApp());
    db.settings({ ignoreUndefinedProperties: true });
  }
  return db;
}

/** Firestore's gRPC status for "a document with this id already exists". */
export const ALREADY_EXISTS = 6;

/** True when a Firestore error says the document already exists. */
export function isAlreadyExists(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === ALREADY_EXISTS || code === 'already-exists' || code === 'ALREADY_EXISTS';
}

/** A Timestamp in epoch microseconds: Firestore keeps microseconds, a Date only milliseconds (too coarse for a cursor on a commit time). */
export function toMicros(at: Timestamp): number {
  return at.seconds * 1_000_000 + Math.floor(at.nanoseconds / 1000);
}

/** The Timestamp of epoch microseconds. */
export function fromMicros(us: number): Timestamp {
  const seconds = Math.floor(us / 1_000_000);
  return new Timestamp(seconds, (us - seconds * 1_000_000) * 1000);
}

/** Timestamps at any depth of plain objects and arrays turned into Dates (bytes and other values kept), so documents can be checked with zod. */
export function withDates(value: unknown): unknown {
  if (value instanceof Timestamp) return value.toDate();
  if (Array.isArray(value)) return value.map(withDates);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withDates(v)]));
  return value;
}

/** A stored document checked with `schema` (Timestamps as Dates), or an error naming the document and its bad fields. */
export function parseStoredDoc<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[] }> } };
  },
  path: string,
  data: unknown,
): T {
  const result = schema.safeParse(withDates(data ?? {}));
  if (!result.success)
    throw new Error(`malformed document ${path}: ${result.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return result.data;
}

/** A document's fields with their Timestamps as Dates. */
export function fieldsWithDates(data: Record<string, unknown> | undefined): Record<string, unknown> {
  return withDates(data ?? {}) as Record<string, unknown>;
}

/**
 * The `update()` arguments that take `uid` off a product: out of `memberUids`, its entry in
 * `roles` gone (a uid is a field name only through FieldPath). For `ref.update(...memberRemoval(uid, now))`.
 */
export function memberRemoval(uid: string, now: Date): [FieldPath, FieldValue, FieldPath, FieldValue, FieldPath, Date] {
  return [
    new FieldPath('memberUids'),
    FieldValue.arrayRemove(uid),
    new FieldPath('roles', uid),
    FieldValue.delete(),
    new FieldPath('updatedAt'),
    now,
  ];
}

import { getApps, initializeApp, type App } from 'firebase-admin/app';
import { getFirestore, Timestamp, type Firestore } from 'firebase-admin/firestore';

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

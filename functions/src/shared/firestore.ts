import { getApps, initializeApp, type App } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';

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

const METADATA_PROJECT_URL = 'http://metadata.google.internal/computeMetadata/v1/project/project-id';
let projectIdPromise: Promise<string> | null = null;

/**
 * The Google Cloud project: from the environment (GCLOUD_PROJECT, GOOGLE_CLOUD_PROJECT), the
 * app's options, or else the metadata server Cloud Functions runs next to. Asked once.
 */
export function projectId(): Promise<string> {
  const known =
    process.env.GCLOUD_PROJECT || process.env.GOOGLE_CLOUD_PROJECT || getAdminApp().options.projectId || undefined;
  if (known !== undefined) return Promise.resolve(known);
  projectIdPromise ??= fetch(METADATA_PROJECT_URL, {
    headers: { 'Metadata-Flavor': 'Google' },
    signal: AbortSignal.timeout(5000),
  })
    .then(async (res) => {
      if (!res.ok) throw new Error(`metadata server answered HTTP ${res.status}`);
      return (await res.text()).trim();
    })
    .catch((err: unknown) => {
      projectIdPromise = null;
      throw new Error(
        `cannot tell the Google Cloud project: set GCLOUD_PROJECT (${err instanceof Error ? err.message : String(err)})`,
      );
    });
  return projectIdPromise;
}

/** Firestore's gRPC status for "a document with this id already exists". */
export const ALREADY_EXISTS = 6;

/** True when a Firestore error says the document already exists. */
export function isAlreadyExists(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === ALREADY_EXISTS || code === 'already-exists' || code === 'ALREADY_EXISTS';
}

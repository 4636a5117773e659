import type { AddressInfo } from 'node:net';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { http, type HttpFunction } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { requireEnv } from './helpers';

/**
 * Serves `handler` on a free port with the Functions Framework's own server (its body parsers
 * and its per-request domain), in the test process, so a test can hand it its own store or
 * clock and still talk to it over real HTTP.
 */
export async function serveInProcess(
  name: string,
  handler: HttpFunction,
): Promise<{ url: string; close(): Promise<void> }> {
  http(name, handler);
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A database of its own on the test emulator: its own products, reports and rollup cursors. */
export function isolatedDb(name: string): Firestore {
  requireEnv('FIRESTORE_EMULATOR_HOST');
  const app = getApps()[0] ?? initializeApp({ projectId: requireEnv('GCLOUD_PROJECT') });
  const db = getFirestore(app, `${name}-${Date.now().toString(36)}`);
  db.settings({ ignoreUndefinedProperties: true });
  return db;
}

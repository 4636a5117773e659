/**
 * The api and the ingest as the emulator suites drive them: Google users of the Auth emulator,
 * authenticated api calls, rollups run to the end, and a product made through the api with a
 * viewer who joined by invitation and a signed sender of its reports.
 */
import { randomUUID } from 'node:crypto';
import { newClientId, sendSigned } from '../../scripts/lib/client';
import { signInWithGoogle } from '../../scripts/lib/id-token';
import { fixtureCrash } from '../unit/rollup/reports';
import { requireEnv } from './helpers';

/** An api answer: status, headers, the body as text and as JSON ({} when empty). */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  json: T & {
    error?: {
      code: string;
      message?: string;
      details?: Record<string, unknown> & { issues?: Array<{ path: string }> };
    };
  };
}

/** One api call over HTTP, as a client makes it: with the user's ID token (none when null), the body as JSON when there is one. */
export async function callApi<T = Record<string, unknown>>(
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer<T>> {
  return sendApi<T>(
    token,
    method,
    path,
    body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } },
  );
}

/** One api call with a body sent as is (an upload, a wrong content type) and the request's own headers. */
export async function sendApi<T = Record<string, unknown>>(
  token: string | null,
  method: string,
  path: string,
  request: { body?: RequestInit['body']; headers?: Record<string, string> },
): Promise<Answer<T>> {
  const res = await fetch(requireEnv('DUMPCATCHER_API_URL') + path, {
    method,
    headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  // Some answers (a 204, a proxy's error) have no body.
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: (text ? JSON.parse(text) : {}) as Answer<T>['json'] };
}

/** A new verified Google user of the Auth emulator (on the local allow-list's domain). */
export async function googleUser(label: string): Promise<{ email: string; token: string; uid: string }> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const signIn = await signInWithGoogle(requireEnv('FIREBASE_AUTH_EMULATOR_HOST'), { email, name: label });
  return { email, token: signIn.idToken, uid: signIn.localId };
}

/** POSTs to the rollup until it says it has caught up. */
export { rollUpToTheEnd } from './helpers';

/** Sends signed reports for a product as one client (counters 1, 2, …); each must be accepted (202). Answers the stored id. */
export function signedSender(productKey: string, secret: string) {
  const clientId = newClientId();
  let counter = 0;
  return async (path: '/v1/crashes' | '/v1/usage' | '/v1/sessions', body: Record<string, unknown>): Promise<string> => {
    const res = await sendSigned({
      baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'),
      path,
      productKey,
      secret,
      clientId,
      counter: ++counter,
      body,
    });
    expect(res.status).toBe(202);
    return res.json.id as string;
  };
}

/** A product made through the api by a new owner, a viewer who joined by invitation, and a signed sender. */
export async function productWithViewer() {
  const owner = await googleUser('owner');
  const viewer = await googleUser('viewer');
  const created = await callApi(owner.token, 'POST', '/v1/products', { name: 'Shop' });
  expect(created.status).toBe(201);
  const { productKey, secret } = created.json as { productKey: string; secret: string };
  // Members join by invitation only: the owner invites, the viewer accepts as the invited verified address.
  const invited = await callApi(owner.token, 'POST', `/v1/products/${productKey}/invitations`, { email: viewer.email });
  expect(invited.status).toBe(201);
  expect((await callApi(viewer.token, 'POST', `/v1/invitations/${invited.json.id as string}/accept`)).status).toBe(200);
  const send = signedSender(productKey, secret);
  return { owner, viewer, productKey, secret, send, base: `/v1/products/${productKey}` };
}

/** GET of one of the product's routes (`path` after `/v1/products/{key}`) as its viewer; fails naming the path unless 200. */
export async function viewerGet(setup: { viewer: { token: string }; base: string }, path: string) {
  const res = await callApi(setup.viewer.token, 'GET', `${setup.base}${path}`);
  expect([path, res.status]).toEqual([path, 200]);
  return res.json;
}

const HOUR_MS = 3_600_000;

/** The UTC hour of `ms` as the sessions wire writes it: `YYYY-MM-DDTHH:00:00Z`. */
export function hourString(ms: number): string {
  return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString().replace('.000Z', 'Z');
}

/** Sessions of one hour by final status; a status left out is 0. */
export type SessionCounts = { ok?: number; errored?: number; crashed?: number; abnormal?: number };

/**
 * One install as an SDK would be: its own client (id and counter) and install id, sending
 * signed sessions reports and fixture crashes of an app version; every report must be accepted.
 * With `environment`, every report names it (without, none does: the server counts production).
 */
export function sdkInstall(productKey: string, secret: string, installId: string, environment?: string) {
  const send = signedSender(productKey, secret);
  const env = environment === undefined ? {} : { environment };
  // What every sessions and usage report of this install carries.
  const report = (version: string) => ({
    reportId: randomUUID(),
    occurredAt: new Date().toISOString(),
    app: { name: 'shop', version },
    installId,
    ...env,
  });
  return {
    sessions: (version: string, buckets: Array<[string, SessionCounts]>) =>
      send('/v1/sessions', {
        ...report(version),
        sessions: buckets.map(([started, c]) => ({
          started,
          ok: c.ok ?? 0,
          errored: c.errored ?? 0,
          crashed: c.crashed ?? 0,
          abnormal: c.abnormal ?? 0,
        })),
      }),
    crash: (fixture: string, version: string) =>
      send('/v1/crashes', fixtureCrash(fixture, { version, installId, ...env })),
    usage: (version: string, metrics: Record<string, string | number | boolean>) =>
      send('/v1/usage', { ...report(version), metrics }),
  };
}

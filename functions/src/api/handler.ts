import type { HttpFunction, Request } from '@google-cloud/functions-framework';
import { systemClock, type Clock } from '../shared/clock';
import { DumpcatcherError } from '../shared/errors';
import { toWellFormedDeep } from '../shared/well-formed';
import { holdCompressedBodies, readHeldBody, type HeldBody } from '../shared/compressed-body';
import { sendError, sendJson } from '../shared/http';
import { logApiFailure, logApiAudit } from '../shared/logs';
import { isAllowedUser, notAllowed, type CallerVerifier } from './auth';
import { DEFAULT_LIMITS } from './products';
import type { MappingStore } from '../grouping/retrace/store';
import { isUploadTokenHeader, type RawUpload } from './mappings';
import { takesRawBody } from './mapping-routes';
import { runUploadTokenRequest } from './upload-token-request';
import { matchRoute, runRoute } from './routes';
import type { ApiConfig } from './schemas';
import { createUserTracker } from './users';
import type { AlertDeps, ApiDeps, ApiStore, InsightsStore } from './deps';

// Routes whose success is worth an audit line (they change who may read or send data).
const AUDITED = new Set([
  'products:POST',
  'product:PATCH',
  'product:DELETE',
  'rotate:POST',
  'member:PATCH',
  'member:DELETE',
  'invitations:POST',
  'invitation:DELETE',
  'accept:POST',
  'decline:POST',
  'alerts:POST',
  'alert:PATCH',
  'alert:DELETE',
  'alert-rotate:POST',
  'mapping:PUT',
  'mapping:DELETE',
  'upload-tokens:POST',
  'upload-token:DELETE',
]);

/**
 * Most a body sent with `Content-Encoding` may inflate to. Every JSON body the api takes is far
 * smaller; a mapping upload is compressed as its content (`application/gzip`), not this way.
 */
export const MAX_INFLATED_BODY_BYTES = 1024 * 1024;

/**
 * The JSON body, or an error if a body was sent as something other than JSON. Its lone
 * surrogates are replaced with U+FFFD here, once for every route: Firestore refuses them.
 */
function jsonBody(req: Request, held: HeldBody | undefined): unknown {
  return toWellFormedDeep(parsedJsonBody(req, held)).value;
}

function parsedJsonBody(req: Request, held: HeldBody | undefined): unknown {
  const length = held?.bytes.length ?? req.rawBody?.length ?? 0;
  if (length === 0) return undefined;
  // req.is() answers null for a held body (its length headers are set aside), so ask the header.
  const isJson =
    held === undefined
      ? req.is('application/json')
      : /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
  if (!isJson)
    throw new DumpcatcherError('invalid_body', 'Send the body as JSON with Content-Type: application/json.', {
      details: { header: 'content-type' },
    });
  if (held === undefined) return req.body as unknown;
  try {
    return JSON.parse(held.bytes.toString('utf8')) as unknown;
  } catch {
    throw new DumpcatcherError('invalid_json', 'The body is not valid JSON.');
  }
}

/** The raw bytes of a mapping upload (the framework keeps them as `rawBody` whatever the type). */
function rawUploadOf(req: Request, held: HeldBody | undefined): RawUpload {
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    bytes: held?.bytes ?? req.rawBody ?? Buffer.alloc(0),
    contentType: header('content-type'),
    contentEncoding: held?.encoding ?? header('content-encoding'),
  };
}

/**
 * The answer's `Server-Timing` (W3C; shown by browsers' network panels and Resource Timing):
 * milliseconds spent checking the caller's ID token (revocation included) and in the route
 * (its reads and the answer built). Durations only: nothing about the caller or the data.
 */
function serverTiming(started: number, verified: number): string {
  const ms = (n: number) => n.toFixed(1);
  return `auth;dur=${ms(verified - started)}, route;dur=${ms(performance.now() - verified)}`;
}

/** Builds the `api` HTTP function: authenticate → route → core → answer. */
export function createApiHandler(options: {
  store: ApiStore;
  verifyCaller: CallerVerifier;
  config: ApiConfig;
  clock?: Clock;
  insights?: InsightsStore;
  /** Alert destinations (the /alerts routes). */
  alerts?: AlertDeps;
  mappings?: MappingStore;
  /** The ingest's per-product cap (`DUMPCATCHER_RATE_PER_PRODUCT`), which no product's own limit may exceed. */
  maxRateLimitPerMinute?: number;
}): HttpFunction {
  const deps: ApiDeps = {
    store: options.store,
    clock: options.clock ?? systemClock,
    limits: {
      maxProductsPerUser: options.config.DUMPCATCHER_MAX_PRODUCTS_PER_USER,
      maxRateLimitPerMinute: options.maxRateLimitPerMinute ?? DEFAULT_LIMITS.maxRateLimitPerMinute,
    },
  };
  if (options.insights !== undefined) deps.insights = options.insights;
  if (options.alerts !== undefined) deps.alerts = options.alerts;
  if (options.mappings !== undefined) deps.mappings = options.mappings;
  holdCompressedBodies();
  const users = createUserTracker({ minIntervalMs: options.config.DUMPCATCHER_API_USER_TOUCH_SECONDS * 1000 });

  return async (req, res) => {
    let uid: string | undefined;
    try {
      // Inflated before any credential check, within the bound: an anonymous bomb costs 1 MiB.
      const held = await readHeldBody(req, MAX_INFLATED_BODY_BYTES);
      // Build servers upload mappings with a product's upload token; they have no Google sign-in.
      if (isUploadTokenHeader(req.headers.authorization)) {
        const answer = await runUploadTokenRequest(deps, {
          method: req.method,
          path: req.path,
          authorization: req.headers.authorization as string,
          upload: () => rawUploadOf(req, held),
        });
        if (req.method === 'PUT') {
          const body = answer.body as { productKey?: string; uploadedBy?: { id?: string } };
          const uploader = `upload-token:${body.uploadedBy?.id ?? 'unknown'}`;
          logApiAudit({ route: answer.route, method: req.method, uid: uploader, productKey: body.productKey });
        }
        sendJson(res, answer.status, answer.body);
        return;
      }
      const started = performance.now();
      const caller = await options.verifyCaller(req.headers.authorization);
      const verified = performance.now();
      uid = caller.uid;
      // Before anything is stored about the caller: someone not admitted leaves no trace.
      if (!isAllowedUser(caller.email, options.config.DUMPCATCHER_ALLOWED_USERS)) throw notAllowed(caller.email);
      const matched = matchRoute(req.method, req.path);
      await users.touch(deps, caller);
      const answer = await runRoute(
        deps,
        caller,
        {
          method: req.method,
          path: req.path,
          body: takesRawBody(matched.name, req.method) ? rawUploadOf(req, held) : jsonBody(req, held),
          query: req.query,
        },
        matched,
      );
      if (AUDITED.has(`${answer.route}:${req.method}`))
        logApiAudit({
          route: answer.route,
          method: req.method,
          uid,
          productKey: (answer.body as { productKey?: string }).productKey,
        });
      sendJson(res, answer.status, answer.body, { 'server-timing': serverTiming(started, verified) });
    } catch (err) {
      if (!(err instanceof DumpcatcherError))
        logApiFailure(err, { route: `${req.method} ${req.path}`, ...(uid === undefined ? {} : { uid }) });
      sendError(res, err);
    }
  };
}

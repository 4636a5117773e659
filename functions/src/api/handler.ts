import type { HttpFunction, Request } from '@google-cloud/functions-framework';
import { systemClock, type Clock } from '../shared/clock';
import { DumpcatcherError } from '../shared/errors';
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

/** The JSON body, or an error if a body was sent as something other than JSON. */
function jsonBody(req: Request): unknown {
  const length = req.rawBody?.length ?? 0;
  if (length === 0) return undefined;
  if (!req.is('application/json'))
    throw new DumpcatcherError('invalid_body', 'Send the body as JSON with Content-Type: application/json.', {
      details: { header: 'content-type' },
    });
  return req.body as unknown;
}

/** The raw bytes of a mapping upload (the framework keeps them as `rawBody` whatever the type). */
function rawUploadOf(req: Request): RawUpload {
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    bytes: req.rawBody ?? Buffer.alloc(0),
    contentType: header('content-type'),
    contentEncoding: header('content-encoding'),
  };
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
  const users = createUserTracker({ minIntervalMs: options.config.DUMPCATCHER_API_USER_TOUCH_SECONDS * 1000 });

  return async (req, res) => {
    let uid: string | undefined;
    try {
      // Build servers upload mappings with a product's upload token; they have no Google sign-in.
      if (isUploadTokenHeader(req.headers.authorization)) {
        const answer = await runUploadTokenRequest(deps, {
          method: req.method,
          path: req.path,
          authorization: req.headers.authorization as string,
          upload: () => rawUploadOf(req),
        });
        if (req.method === 'PUT') {
          const body = answer.body as { productKey?: string; uploadedBy?: { id?: string } };
          const uploader = `upload-token:${body.uploadedBy?.id ?? 'unknown'}`;
          logApiAudit({ route: answer.route, method: req.method, uid: uploader, productKey: body.productKey });
        }
        sendJson(res, answer.status, answer.body);
        return;
      }
      const caller = await options.verifyCaller(req.headers.authorization);
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
          body: takesRawBody(matched.name, req.method) ? rawUploadOf(req) : jsonBody(req),
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
      sendJson(res, answer.status, answer.body);
    } catch (err) {
      if (!(err instanceof DumpcatcherError))
        logApiFailure(err, { route: `${req.method} ${req.path}`, ...(uid === undefined ? {} : { uid }) });
      sendError(res, err);
    }
  };
}

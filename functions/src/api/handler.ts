import type { HttpFunction, Request } from '@google-cloud/functions-framework';
import { systemClock, type Clock } from '../shared/clock';
import { DumpcatcherError } from '../shared/errors';
import { sendError, sendJson } from '../shared/http';
import { logApiFailure, logApiAudit } from '../shared/logs';
import type { CallerVerifier } from './auth';
import type { InsightsStore } from './issues';
import type { ApiDeps, ApiStore } from './products';
import { matchRoute, runRoute } from './routes';
import type { ApiConfig } from './schemas';
import { createUserTracker } from './users';

// Routes whose success is worth an audit line (they change who may read or send data).
const AUDITED = new Set([
  'products:POST',
  'product:PATCH',
  'product:DELETE',
  'rotate:POST',
  'members:POST',
  'member:DELETE',
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

/** Builds the `api` HTTP function: authenticate → route → core → answer. */
export function createApiHandler(options: {
  store: ApiStore;
  verifyCaller: CallerVerifier;
  config: ApiConfig;
  clock?: Clock;
  insights?: InsightsStore;
}): HttpFunction {
  const deps: ApiDeps = { store: options.store, clock: options.clock ?? systemClock };
  if (options.insights !== undefined) deps.insights = options.insights;
  const users = createUserTracker({ minIntervalMs: options.config.DUMPCATCHER_API_USER_TOUCH_SECONDS * 1000 });

  return async (req, res) => {
    let uid: string | undefined;
    try {
      const caller = await options.verifyCaller(req.headers.authorization);
      uid = caller.uid;
      const matched = matchRoute(req.method, req.path);
      await users.touch(deps, caller);
      const answer = await runRoute(
        deps,
        caller,
        { method: req.method, path: req.path, body: jsonBody(req), query: req.query },
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

import type { Response } from '@google-cloud/functions-framework';
import { toErrorResponse } from './errors';

/**
 * Writes a JSON answer with Node's own response API. Express's `res.json` would also compute an
 * ETag (a SHA-1 of the body) and parse and re-format the content type on every answer; our
 * answers are never cached (`no-store`), so that was pure cost on the ingest's hot path. Node
 * still leaves the body out of an answer to HEAD.
 */
export function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  for (const name in headers) res.setHeader(name, headers[name]!);
  res.writeHead(status, {
    // Lowercase, as Node keeps them: no case conversion per answer.
    'cache-control': 'no-store',
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Writes the answer for any error: ours with its code, anything else as a bare 500. */
export function sendError(res: Response, err: unknown): void {
  const answer = toErrorResponse(err);
  sendJson(res, answer.status, answer.body, answer.headers);
}

/**
 * Leaves the `node:domain` the Functions Framework runs each request in. Inside a domain every
 * promise and callback pays for domain bookkeeping (an async-hook call, a garbage-collector
 * hook, entering and leaving the domain around each callback); for the ingest that was a tenth
 * of its CPU. The domain only turns an exception thrown from a stray callback into a 500 for
 * this request; a handler that leaves it catches its own errors (every await is inside
 * try/catch) and a stray throw ends the instance, as the Framework does for errors outside any
 * request.
 */
export function leaveFrameworkDomain(): void {
  (process as { domain?: { exit(): void } | null }).domain?.exit();
}

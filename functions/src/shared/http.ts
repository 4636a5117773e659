import type { Response } from '@google-cloud/functions-framework';
import { toErrorResponse } from './errors';

/**
 * Writes a JSON answer that is never cached (`no-store`), so it carries no ETag. Node leaves
 * the body out of an answer to HEAD.
 */
export function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  for (const name in headers) res.setHeader(name, headers[name]!);
  res.writeHead(status, {
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

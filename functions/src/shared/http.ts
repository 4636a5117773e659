import type { Response } from '@google-cloud/functions-framework';
import { toErrorResponse } from './errors';

/** Writes a JSON answer. */
export function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.status(status);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.json(body);
}

/** Writes the answer for any error: ours with its code, anything else as a bare 500. */
export function sendError(res: Response, err: unknown): void {
  const answer = toErrorResponse(err);
  sendJson(res, answer.status, answer.body, answer.headers);
}

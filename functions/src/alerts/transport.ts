/**
 * Sends one alert message over HTTP: to the address the SSRF guard checked at this very send
 * (never re-resolved), 10 s at most, no redirect followed, at most a few KiB of the answer read.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { checkDestination, type Resolve } from './address';

/** Longest an attempt may take, connection to last byte. */
export const SEND_TIMEOUT_MS = 10_000;
/** Most bytes of a receiver's answer read (only to end the exchange cleanly). */
export const MAX_ANSWER_BYTES = 4096;

/** How an attempt went: a 2xx, or why not (an HTTP status, a refusal or a transport error; never a secret). */
export type SendOutcome = { ok: true; status: number } | { ok: false; status: number | null; reason: string };

/** Sends one message body with extra headers to a destination URL. */
export type SendMessage = (url: string, body: string, headers: Record<string, string>) => Promise<SendOutcome>;

/** A sender that checks each URL at send time and POSTs JSON to it. */
export function createSender(options: { allowLoopback: boolean; resolve?: Resolve; timeoutMs?: number }): SendMessage {
  const timeoutMs = options.timeoutMs ?? SEND_TIMEOUT_MS;
  return async (raw, body, headers) => {
    const check = await checkDestination(raw, {
      allowLoopback: options.allowLoopback,
      ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
    });
    if (!check.ok) return { ok: false, status: null, reason: `refused: the URL ${check.message}` };
    const { url, address } = check;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const secure = url.protocol === 'https:';
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const done = (outcome: SendOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const request = (secure ? https : http).request({
        method: 'POST',
        host: address,
        port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
        path: url.pathname + url.search,
        // The certificate is checked against the name, while the connection goes to the checked
        // address (SNI takes names only: a URL with an address literal is checked against it).
        ...(secure && isIP(host) === 0 ? { servername: host } : {}),
        headers: {
          host: url.host,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Dumpcatcher-Alerts/1',
          ...headers,
        },
        agent: false,
      });
      const timer = setTimeout(() => {
        request.destroy();
        done({ ok: false, status: null, reason: `timed out after ${timeoutMs / 1000} s` });
      }, timeoutMs);
      request.on('error', (err: NodeJS.ErrnoException) =>
        done({ ok: false, status: null, reason: `could not connect: ${err.code ?? err.message}` }),
      );
      request.on('response', (res) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        const finish = () => {
          if (status >= 200 && status < 300) done({ ok: true, status });
          else if (status >= 300 && status < 400)
            done({ ok: false, status, reason: `HTTP ${status} (redirects are not followed)` });
          else done({ ok: false, status, reason: `HTTP ${status}` });
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      request.end(body);
    });
  };
}

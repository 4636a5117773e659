/**
 * What an ingest answer means for the queued report (docs/protocol.md "Answers", docs/sdks.md),
 * written once for the sender and checked against test/vectors/answers-v1.json: pure, no I/O.
 */

/** What one send attempt came to; expected outcomes are values, not exceptions. */
export type SendResult =
  | { kind: 'delivered'; status: number; duplicate: boolean }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'unauthorized'; serverDateMs?: number; fromIngest: boolean }
  | { kind: 'drop'; status: number; reason: string; notice: 'not-ingest' | 'refused' };

/**
 * The notice a report refused for good gets (test/vectors/answers-v1.json `expect.log`): the
 * ingest's own 401 means the key or secret is wrong; a 401 without its body, a 403, 404 or 405
 * is never the ingest's answer to a signed POST, so the endpoint is likely something else.
 */
export function refusalNotice(result: SendResult): 'unauthenticated' | 'not-ingest' | 'refused' | null {
  if (result.kind === 'unauthorized') return result.fromIngest ? 'unauthenticated' : 'not-ingest';
  if (result.kind === 'drop') return result.notice;
  return null;
}

function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}

/** The longest wait a `Retry-After` can ask for (docs/sdks.md): one hour. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/**
 * Milliseconds since the epoch of an HTTP date (RFC 9110's IMF-fixdate, the form servers
 * send), or undefined. Strict on purpose: `Date.parse` also takes `-5` or `1.5` as dates.
 */
export function parseHttpDate(value: string | undefined): number | undefined {
  const m = value === undefined ? null : IMF_FIXDATE.exec(value.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2] ?? '');
  if (month < 0) return undefined;
  const [day, year, hour, minute, second] = [m[1], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month, day, hour, minute, second);
  const check = new Date(ms);
  // 31 Feb and 25:00 roll over in Date.UTC; they are not dates.
  if (check.getUTCDate() !== day || check.getUTCHours() !== hour || minute > 59 || second > 59) return undefined;
  return ms;
}

/**
 * Milliseconds a `Retry-After` value (seconds, or an HTTP date counted from the answer's own
 * `Date` when it has one, else from `nowMs`) asks for, at most MAX_RETRY_AFTER_MS; undefined
 * when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number, serverDateMs?: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  // Digits only: seconds. A value too large for a number is still just "a long time".
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS);
  const date = parseHttpDate(v);
  if (date === undefined) return undefined;
  return Math.min(Math.max(0, date - (serverDateMs ?? nowMs)), MAX_RETRY_AFTER_MS);
}

/** How far the local clock may be off the ingest's before a 401 corrects it (docs/sdks.md). */
export const SKEW_TOLERANCE_MS = 60_000;

/**
 * The clock offset to use after a 401 whose `Date` is `serverDateMs`, when the clock the
 * request was signed with (`nowMs + offsetUsedMs`) was more than SKEW_TOLERANCE_MS off it;
 * null when the clock was right (the 401 is about the key or secret, not the time).
 */
export function clockFixFor(serverDateMs: number | undefined, nowMs: number, offsetUsedMs: number): number | null {
  if (serverDateMs === undefined) return null;
  const offset = serverDateMs - nowMs;
  return Math.abs(offset - offsetUsedMs) > SKEW_TOLERANCE_MS ? offset : null;
}

/** Classifies an ingest answer per docs/protocol.md ("Answers"). */
export function classifyAnswer(
  status: number,
  headers: { date?: string | undefined; 'retry-after'?: string | string[] | undefined },
  body: string,
  nowMs: number,
): SendResult {
  if (status >= 200 && status <= 299) {
    let duplicate = false;
    // Most answers are a new report's `{"id":…}`: no need to parse those.
    if (body.includes('duplicate')) {
      try {
        duplicate = (JSON.parse(body) as { duplicate?: unknown }).duplicate === true;
      } catch {
        // A delivered answer without a JSON body is still delivered.
      }
    }
    return { kind: 'delivered', status, duplicate };
  }
  const serverDateMs = parseHttpDate(headers.date);
  if (status === 401) {
    const fromIngest = errorCode(body) === 'unauthenticated';
    return serverDateMs === undefined
      ? { kind: 'unauthorized', fromIngest }
      : { kind: 'unauthorized', serverDateMs, fromIngest };
  }
  if (status === 429 || status >= 500) {
    const header = headers['retry-after'];
    const retryAfterMs =
      status === 429 || status === 503
        ? parseRetryAfter(Array.isArray(header) ? header[0] : header, nowMs, serverDateMs)
        : undefined;
    return retryAfterMs === undefined
      ? { kind: 'retry', reason: `HTTP ${status}` }
      : { kind: 'retry', reason: `HTTP ${status}`, retryAfterMs };
  }
  if (status >= 400) {
    const code = errorCode(body);
    return {
      kind: 'drop',
      status,
      reason: `HTTP ${status}${code === undefined ? '' : ` ${code}`}`,
      notice: status === 403 || status === 404 || status === 405 ? 'not-ingest' : 'refused',
    };
  }
  // 1xx and 3xx are not the ingest's answers (a redirecting proxy, a moved endpoint): keep the report.
  return { kind: 'retry', reason: `unexpected HTTP ${status}` };
}

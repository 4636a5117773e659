/**
 * Release health sessions (docs/sdks.md "Sessions", the wire in docs/protocol.md): which
 * session is running and how the ended ones become `/v1/sessions` report bodies. Pure, no I/O;
 * the client keeps the marker files and the queue. Checked against test/vectors/sessions-v1.json.
 */

/** How a session ended (Sentry's four). */
export type SessionStatus = 'ok' | 'errored' | 'crashed' | 'abnormal';

/** One bucket of `/v1/sessions`: the sessions that started in one UTC hour, by final status. */
export interface SessionBucket {
  started: string;
  ok: number;
  errored: number;
  crashed: number;
  abnormal: number;
}

/** The release, install and environment a session belongs to. */
export interface SessionOwner {
  appName: string;
  appVersion: string;
  installId?: string;
  environment: string;
}

/** A session an earlier process left behind (its marker's writer is gone), found at the next start. */
export interface FoundSession extends SessionOwner {
  startedMs: number;
  errored: boolean;
  /** Set when that process was in the background (Android): killed there, it ended normally. */
  backgroundSinceMs?: number;
  /** Sessions that process had found and not sent yet. */
  carried?: SessionBucket[];
}

/** What one `/v1/sessions` report says, before its reportId and occurredAt. */
export interface SessionReportPart {
  app: { name: string; version: string };
  installId?: string;
  environment: string;
  sessions: SessionBucket[];
}

/** The running session. */
export interface CurrentSession {
  startedMs: number;
  errored: boolean;
  backgroundSinceMs: number | null;
}

/** Background time after which coming back to the foreground starts a new session (Sentry's rule). */
export const BACKGROUND_SESSION_MS = 30_000;

/** Buckets per report at most (the wire allows 1 to 100). */
export const MAX_BUCKETS = 100;

/** The start of the UTC hour of `ms`, as the wire writes it: `YYYY-MM-DDTHH:00:00Z`. */
export function hourStart(ms: number): string {
  return new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString().slice(0, 13) + ':00:00Z';
}

/** `buckets` with `count` more sessions of `status` in `started`'s bucket, sorted by hour. */
export function addToBuckets(
  buckets: readonly SessionBucket[],
  started: string,
  status: SessionStatus,
  count = 1,
): SessionBucket[] {
  const out = buckets.map((b) => ({ ...b }));
  let bucket = out.find((b) => b.started === started);
  if (!bucket) {
    bucket = { started, ok: 0, errored: 0, crashed: 0, abnormal: 0 };
    out.push(bucket);
  }
  bucket[status] += count;
  return out.sort((a, b) => (a.started < b.started ? -1 : a.started > b.started ? 1 : 0));
}

function mergeBuckets(into: readonly SessionBucket[], more: readonly SessionBucket[]): SessionBucket[] {
  let out = [...into];
  for (const b of more) {
    for (const status of ['ok', 'errored', 'crashed', 'abnormal'] as const) {
      if (b[status] > 0) out = addToBuckets(out, b.started, status, b[status]);
    }
  }
  return out;
}

function sameOwner(a: SessionOwner, b: SessionOwner): boolean {
  return (
    a.appName === b.appName &&
    a.appVersion === b.appVersion &&
    a.installId === b.installId &&
    a.environment === b.environment
  );
}

function part(owner: SessionOwner, sessions: SessionBucket[]): SessionReportPart {
  return {
    app: { name: owner.appName, version: owner.appVersion },
    ...(owner.installId !== undefined ? { installId: owner.installId } : {}),
    environment: owner.environment,
    sessions,
  };
}

/** The sessions of one client: start, error, end, background and foreground, as plain state. */
export interface SessionBook {
  readonly current: CurrentSession | null;
  /** Sessions found at start that go out with this client's next report. */
  readonly carried: SessionBucket[];
  /**
   * Takes the sessions earlier processes left: those of this release, install and environment
   * ride with the running session's report (when one runs); the others are returned, one report
   * per release, install and environment, to be written now.
   */
  found(sessions: readonly FoundSession[]): SessionReportPart[];
  /** Starts a session at `nowMs`, ending the running one first (its report is returned). */
  start(nowMs: number): SessionReportPart | null;
  /** A handled error was captured; true when this changed the running session. */
  markErrored(): boolean;
  /** Ends the running session (`ok` becomes `errored` after a handled error); the report, or null when there is nothing to send. */
  end(status: 'ok' | 'crashed'): SessionReportPart | null;
  /** The app went to the background at `nowMs`. */
  background(nowMs: number): void;
  /** The app came back at `nowMs`: after BACKGROUND_SESSION_MS or more, the session ends (returned) and a new one starts. */
  foreground(nowMs: number): SessionReportPart | null;
}

/** Creates the session book of one client (release and install fixed for its life). */
export function createSessionBook(owner: SessionOwner): SessionBook {
  let current: CurrentSession | null = null;
  let carried: SessionBucket[] = [];

  const end = (status: 'ok' | 'crashed'): SessionReportPart | null => {
    let sessions = carried;
    if (current) {
      const final: SessionStatus = status === 'ok' && current.errored ? 'errored' : status;
      sessions = addToBuckets(sessions, hourStart(current.startedMs), final);
    }
    current = null;
    carried = [];
    return sessions.length > 0 ? part(owner, sessions) : null;
  };

  return {
    get current() {
      return current;
    },
    get carried() {
      return carried;
    },
    found(sessions) {
      const others: Array<{ owner: SessionOwner; sessions: SessionBucket[] }> = [];
      for (const s of sessions) {
        let buckets = s.carried ?? [];
        const status: SessionStatus = s.backgroundSinceMs !== undefined ? (s.errored ? 'errored' : 'ok') : 'abnormal';
        buckets = addToBuckets(buckets, hourStart(s.startedMs), status);
        if (current && sameOwner(s, owner)) {
          carried = mergeBuckets(carried, buckets);
          continue;
        }
        const group = others.find((o) => sameOwner(o.owner, s));
        if (group) group.sessions = mergeBuckets(group.sessions, buckets);
        else others.push({ owner: s, sessions: mergeBuckets([], buckets) });
      }
      return others.map((o) => part(o.owner, o.sessions));
    },
    start(nowMs) {
      const previous = current ? end('ok') : null;
      current = { startedMs: nowMs, errored: false, backgroundSinceMs: null };
      return previous;
    },
    markErrored() {
      if (!current || current.errored) return false;
      current.errored = true;
      return true;
    },
    end,
    background(nowMs) {
      if (current && current.backgroundSinceMs === null) current.backgroundSinceMs = nowMs;
    },
    foreground(nowMs) {
      if (!current || current.backgroundSinceMs === null) return null;
      if (nowMs - current.backgroundSinceMs < BACKGROUND_SESSION_MS) {
        current.backgroundSinceMs = null;
        return null;
      }
      const ended = end('ok');
      current = { startedMs: nowMs, errored: false, backgroundSinceMs: null };
      return ended;
    },
  };
}

/** `part` cut into reports of at most MAX_BUCKETS buckets (one report almost always). */
export function splitReport(whole: SessionReportPart): SessionReportPart[] {
  const out: SessionReportPart[] = [];
  for (let i = 0; i < whole.sessions.length; i += MAX_BUCKETS) {
    out.push({ ...whole, sessions: whole.sessions.slice(i, i + MAX_BUCKETS) });
  }
  return out;
}

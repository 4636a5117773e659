/**
 * Session marker files (docs/sdks.md "Sessions"): `<queueDir>/session-<clientId>.json` says a
 * session is running in a live process. A marker whose writer is gone is a session that ended
 * without the SDK seeing it end (abnormal), found at the next start.
 *
 * Node has no file locks, so a marker names its writer by pid, the process's start time in
 * clock ticks since boot (`/proc/<pid>/stat`) and the boot id (Linux); elsewhere by pid alone.
 * The Python and Java SDKs also hold a lock on `session-<clientId>.lock` while their session
 * runs (their markers say `"lock": true`); Node cannot test a lock, so it judges their markers
 * by the same pid and start time, and leaves a marker without a pid alone.
 */
import { readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ID_PATTERN } from './ids.ts';
import { DEFAULT_ENVIRONMENT, ENVIRONMENT_PATTERN } from './options.ts';
import { writeFileAtomicSync } from './queue.ts';
import type { CurrentSession, FoundSession, SessionBucket, SessionOwner } from './sessions.ts';

/** Who wrote a marker: enough to tell whether that process still runs. */
export interface ProcessIdentity {
  /** Null when the writer could not tell (Java outside Linux and Android). */
  pid: number | null;
  /** Start time of the process in clock ticks since boot (Linux), else null. */
  startTicks: string | null;
  /** `/proc/sys/kernel/random/boot_id` (Linux), else null. */
  bootId: string | null;
}

/** What the client asks of the operating system; tests replace it. */
export interface ProcessProbe {
  self(): ProcessIdentity;
  /** Start ticks of a running `pid`, null when unknown; throws nothing. */
  startTicksOf(pid: number): string | null;
  /** True when a process `pid` exists (or may exist: no permission to ask). */
  exists(pid: number): boolean;
}

const MARKER_FILE = /^session-([A-Za-z0-9_-]{8,64})\.json$/;

function readProcStartTicks(pid: number | 'self'): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[19];
    return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The real operating system. */
export const systemProbe: ProcessProbe = {
  self: () => ({ pid: process.pid, startTicks: readProcStartTicks('self'), bootId: readBootId() }),
  startTicksOf: (pid) => readProcStartTicks(pid),
  exists(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

/** Whether the process that wrote a marker still runs, as far as the system can tell. */
export function isWriterAlive(writer: ProcessIdentity, self: ProcessIdentity, probe: ProcessProbe): boolean {
  if (writer.bootId !== null && self.bootId !== null && writer.bootId !== self.bootId) return false;
  if (writer.pid === null) return true;
  if (writer.pid === self.pid) {
    // Our own pid: this process (another client in it), or an earlier process that had it
    // (pid 1 in every container); the start time tells them apart where there is one.
    return writer.startTicks === null || self.startTicks === null || writer.startTicks === self.startTicks;
  }
  if (!probe.exists(writer.pid)) return false;
  if (writer.startTicks === null) return true;
  const ticks = probe.startTicksOf(writer.pid);
  return ticks === null || ticks === writer.startTicks;
}

/** A marker's content as written. */
interface MarkerJson {
  v: 1;
  started: string;
  app: { name: string; version: string };
  installId?: string;
  /** Absent in the markers of SDKs older than environments: `production`. */
  environment?: string;
  errored: boolean;
  backgroundSince?: string;
  carried?: SessionBucket[];
  writer: ProcessIdentity;
}

/** Path of the marker of client `clientId`. */
export function markerPath(dir: string, clientId: string): string {
  return join(dir, `session-${clientId}.json`);
}

/** Writes (atomically) the marker of the running session; `durable` fsyncs it. */
export function writeMarker(
  dir: string,
  clientId: string,
  owner: SessionOwner,
  session: CurrentSession,
  carried: SessionBucket[],
  writer: ProcessIdentity,
  durable: boolean,
): void {
  const marker: MarkerJson = {
    v: 1,
    started: new Date(session.startedMs).toISOString(),
    app: { name: owner.appName, version: owner.appVersion },
    ...(owner.installId !== undefined ? { installId: owner.installId } : {}),
    environment: owner.environment,
    errored: session.errored,
    ...(session.backgroundSinceMs !== null
      ? { backgroundSince: new Date(session.backgroundSinceMs).toISOString() }
      : {}),
    ...(carried.length > 0 ? { carried } : {}),
    writer,
  };
  writeFileAtomicSync(markerPath(dir, clientId), JSON.stringify(marker), durable);
}

/** Removes a marker; a missing one is fine. */
export function removeMarker(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

const COUNT_KEYS = ['ok', 'errored', 'crashed', 'abnormal'] as const;

function parseBuckets(value: unknown): SessionBucket[] | null {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return null;
  const out: SessionBucket[] = [];
  for (const b of value as unknown[]) {
    const o = b as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || typeof o.started !== 'string') return null;
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/.test(o.started)) return null;
    const counts = COUNT_KEYS.map((k) => o[k]);
    if (!counts.every((c) => typeof c === 'number' && Number.isSafeInteger(c) && c >= 0)) return null;
    const [ok, errored, crashed, abnormal] = counts as [number, number, number, number];
    out.push({ started: o.started, ok, errored, crashed, abnormal });
  }
  return out;
}

function parseIdentity(value: unknown): ProcessIdentity | null {
  const w = value as Record<string, unknown> | null;
  if (typeof w !== 'object' || w === null) return null;
  if (w.pid !== undefined && w.pid !== null && !(typeof w.pid === 'number' && Number.isSafeInteger(w.pid))) return null;
  const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
  return { pid: typeof w.pid === 'number' ? w.pid : null, startTicks: str(w.startTicks), bootId: str(w.bootId) };
}

/** A marker's session and writer, or null when the file is not a marker this SDK wrote. */
export function parseMarker(text: string): { session: FoundSession; writer: ProcessIdentity } | null {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null || m.v !== 1) return null;
  const app = m.app as Record<string, unknown> | null;
  const startedMs = typeof m.started === 'string' ? Date.parse(m.started) : NaN;
  const backgroundMs = typeof m.backgroundSince === 'string' ? Date.parse(m.backgroundSince) : undefined;
  const writer = parseIdentity(m.writer);
  const carried = parseBuckets(m.carried);
  if (
    !Number.isFinite(startedMs) ||
    typeof app !== 'object' ||
    app === null ||
    typeof app.name !== 'string' ||
    typeof app.version !== 'string' ||
    (m.installId !== undefined && (typeof m.installId !== 'string' || !ID_PATTERN.test(m.installId))) ||
    (backgroundMs !== undefined && !Number.isFinite(backgroundMs)) ||
    writer === null ||
    carried === null
  )
    return null;
  const session: FoundSession = {
    appName: app.name,
    appVersion: app.version,
    startedMs,
    errored: m.errored === true,
    environment:
      typeof m.environment === 'string' && ENVIRONMENT_PATTERN.test(m.environment)
        ? m.environment
        : DEFAULT_ENVIRONMENT,
    ...(typeof m.installId === 'string' ? { installId: m.installId } : {}),
    ...(backgroundMs !== undefined ? { backgroundSinceMs: backgroundMs } : {}),
    ...(carried.length > 0 ? { carried } : {}),
  };
  return { session, writer };
}

/**
 * Claims the markers in `dir` whose writers are gone (not `ownClientId`'s): each is renamed
 * first, so that of two processes starting at once only one counts it. Returns their sessions
 * and the claimed files, to remove once the sessions are safe in a report or a marker.
 */
export function claimDeadMarkers(
  dir: string,
  ownClientId: string,
  self: ProcessIdentity,
  probe: ProcessProbe,
): { sessions: FoundSession[]; claimed: string[] } {
  const sessions: FoundSession[] = [];
  const claimed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { sessions, claimed };
  }
  for (const name of names) {
    const match = MARKER_FILE.exec(name);
    if (!match || match[1] === ownClientId) continue;
    const path = join(dir, name);
    let parsed: ReturnType<typeof parseMarker>;
    try {
      parsed = parseMarker(readFileSync(path, 'utf8'));
    } catch {
      continue;
    }
    if (parsed === null) {
      removeMarker(path);
      continue;
    }
    if (isWriterAlive(parsed.writer, self, probe)) continue;
    const claim = `${path}.${ownClientId}.claimed`;
    try {
      renameSync(path, claim);
    } catch {
      continue; // Another process claimed it first.
    }
    sessions.push(parsed.session);
    claimed.push(claim);
  }
  return { sessions, claimed };
}

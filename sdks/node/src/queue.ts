import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ReportPath } from './types.ts';

/** One queued report, exactly as stored in its file (docs/sdks.md, "Disk queue"). */
export interface QueueEntry {
  v: 1;
  path: ReportPath;
  clientId: string;
  counter: number;
  createdAt: string;
  body: Record<string, unknown>;
}

/** A report file in the queue folder, oldest first when listed. */
export interface QueuedFile {
  name: string;
  createdAtMs: number;
  clientId: string;
  counter: number;
}

/** Bounds of the disk queue. */
export interface QueueLimits {
  maxFiles: number;
  maxBytes: number;
  maxAgeSeconds: number;
}

const REPORT_FILE = /^(\d{1,16})-([A-Za-z0-9_-]{8,64})-(\d{1,16})\.json$/;
// A *.tmp file younger than this may belong to a process writing it right now.
const TMP_GRACE_MS = 60_000;

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (another process sent it) or not ours to remove: nothing to do.
  }
}

/** Writes `data` to `path` atomically: a `.tmp` file in the same folder, fsync (when `sync`), rename. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, sync = true): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    if (sync) {
      try {
        fsyncSync(fd);
      } catch {
        // Some file systems cannot fsync; the rename still keeps readers from seeing half a file.
      }
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** File name of a queued report: `<createdAtMillis>-<clientId>-<counter>.json`. */
export function queueFileName(createdAtMs: number, clientId: string, counter: number): string {
  return `${createdAtMs}-${clientId}-${counter}.json`;
}

function parseName(name: string): QueuedFile | null {
  const m = REPORT_FILE.exec(name);
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined) return null;
  return { name, createdAtMs: Number(m[1]), clientId: m[2], counter: Number(m[3]) };
}

function isQueueEntry(value: unknown): value is QueueEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    e.v === 1 &&
    (e.path === '/v1/crashes' || e.path === '/v1/usage' || e.path === '/v1/sessions') &&
    typeof e.clientId === 'string' &&
    /^[A-Za-z0-9_-]{8,64}$/.test(e.clientId) &&
    typeof e.counter === 'number' &&
    Number.isSafeInteger(e.counter) &&
    e.counter >= 1 &&
    typeof e.createdAt === 'string' &&
    typeof e.body === 'object' &&
    e.body !== null &&
    !Array.isArray(e.body)
  );
}

/** What a write did: the new file's name and any older files the bounds removed. */
export interface WriteOutcome {
  name: string;
  dropped: string[];
}

/** The disk queue: one file per report, written before the first send attempt. */
export interface Queue {
  readonly dir: string;
  /**
   * Writes one report synchronously and atomically (fsync when `durable`), then applies the
   * bounds. `bodyJson` is `JSON.stringify(entry.body)` when the caller already has it.
   */
  writeSync(entry: QueueEntry, createdAtMs: number, durable: boolean, bodyJson?: string): WriteOutcome;
  /** Report files, oldest first. */
  list(): QueuedFile[];
  /** Reads one report; a file that cannot be parsed is deleted and `null` returned. */
  read(name: string): QueueEntry | null;
  /** Deletes a report file (sent, or dropped for good). */
  remove(name: string): void;
  /** Removes leftover `*.tmp` files and drops the oldest reports beyond the bounds; returns the dropped names. */
  enforceBounds(): string[];
  /** `enforceBounds` and `list` from one directory listing: the dropped names, and the others oldest first. */
  scan(): { dropped: string[]; names: string[] };
  /** Stops using the folder (close, exit); nothing is held open between calls, so nothing to release. */
  dispose(): void;
}

/** Queue file content with the body already serialized (key order as in docs/sdks.md). */
export function serializeEntry(entry: QueueEntry, bodyJson: string): string {
  return (
    `{"v":1,"path":${JSON.stringify(entry.path)},"clientId":${JSON.stringify(entry.clientId)},` +
    `"counter":${entry.counter},"createdAt":${JSON.stringify(entry.createdAt)},"body":${bodyJson}}`
  );
}

// A full scan (readdir + stat) runs at most this often; between scans the bounds are checked
// against what this process knows it wrote and removed.
const SCAN_INTERVAL_MS = 5000;

function sortOldestFirst(files: QueuedFile[]): QueuedFile[] {
  return files.sort((a, b) => a.createdAtMs - b.createdAtMs || a.counter - b.counter || (a.name < b.name ? -1 : 1));
}

/** Creates the queue over `dir` (the folder is made on first write, never before). */
export function createQueue(dir: string, limits: QueueLimits, now: () => number, log: (msg: string) => void): Queue {
  const list = (): QueuedFile[] => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const files: QueuedFile[] = [];
    for (const name of names) {
      const parsed = parseName(name);
      if (parsed) files.push(parsed);
    }
    return sortOldestFirst(files);
  };

  const known = new Map<string, number>();
  let knownBytes = 0;
  let lastScan = -Infinity;
  const forget = (name: string): void => {
    const size = known.get(name);
    if (size !== undefined) {
      knownBytes -= size;
      known.delete(name);
    }
  };

  /** One directory listing: removes stale `*.tmp` files, applies the bounds, lists what is left. */
  const scan = (): { dropped: string[]; names: string[] } => {
    const dropped: string[] = [];
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return { dropped, names: [] };
    }
    const nowMs = now();
    lastScan = nowMs;
    const files: QueuedFile[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        try {
          if (nowMs - statSync(join(dir, name)).mtimeMs > TMP_GRACE_MS) removeQuietly(join(dir, name));
        } catch {
          // Vanished meanwhile.
        }
        continue;
      }
      const parsed = parseName(name);
      if (parsed) files.push(parsed);
    }
    sortOldestFirst(files);
    // Sizes of the files this process wrote are known; only the others' are asked of the disk.
    const wrote = new Map(known);
    known.clear();
    knownBytes = 0;
    const kept: QueuedFile[] = [];
    for (const f of files) {
      if (nowMs - f.createdAtMs > limits.maxAgeSeconds * 1000) {
        log(`queue: dropped ${f.name}: older than maxQueueAgeSeconds`);
        removeQuietly(join(dir, f.name));
        dropped.push(f.name);
        continue;
      }
      let size = wrote.get(f.name);
      if (size === undefined) {
        try {
          size = statSync(join(dir, f.name)).size;
        } catch {
          continue;
        }
      }
      known.set(f.name, size);
      knownBytes += size;
      kept.push(f);
    }
    let first = 0;
    while (first < kept.length && (kept.length - first > limits.maxFiles || knownBytes > limits.maxBytes)) {
      const oldest = kept[first] as QueuedFile;
      first += 1;
      forget(oldest.name);
      log(`queue: dropped ${oldest.name}: queue over maxQueueFiles or maxQueueBytes`);
      removeQuietly(join(dir, oldest.name));
      dropped.push(oldest.name);
    }
    return { dropped, names: kept.slice(first).map((f) => f.name) };
  };

  return {
    dir,
    writeSync(entry, createdAtMs, durable, bodyJson) {
      const name = queueFileName(createdAtMs, entry.clientId, entry.counter);
      const data = Buffer.from(serializeEntry(entry, bodyJson ?? JSON.stringify(entry.body)), 'utf8');
      const path = join(dir, name);
      try {
        writeFileAtomicSync(path, data, durable);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // First write: the folder is made only now, never before (opted-out users get none).
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileAtomicSync(path, data, durable);
      }
      known.set(name, data.length);
      knownBytes += data.length;
      const dropped =
        known.size > limits.maxFiles || knownBytes > limits.maxBytes || now() - lastScan > SCAN_INTERVAL_MS
          ? scan().dropped
          : [];
      return { name, dropped };
    },
    list,
    read(name) {
      let text: string;
      try {
        text = readFileSync(join(dir, name), 'utf8');
      } catch {
        return null;
      }
      try {
        const parsed: unknown = JSON.parse(text);
        if (isQueueEntry(parsed)) return parsed;
      } catch {
        // Fall through: unparsable.
      }
      log(`queue: deleted unparsable file ${name}`);
      removeQuietly(join(dir, name));
      forget(name);
      return null;
    },
    remove(name) {
      forget(name);
      removeQuietly(join(dir, name));
    },
    enforceBounds: () => scan().dropped,
    scan,
    dispose() {
      // Nothing is kept open or spare between calls: every file is closed as soon as it is written.
    },
  };
}

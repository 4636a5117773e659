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

/** Writes `data` to `path` atomically: a `.tmp` file in the same folder, fsync, rename. */
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
    (e.path === '/v1/crashes' || e.path === '/v1/usage') &&
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

/** The disk queue: one file per report, written before the first send attempt. */
export interface Queue {
  readonly dir: string;
  /** Writes one report synchronously and atomically, then applies the bounds; returns its file name. */
  writeSync(entry: QueueEntry, createdAtMs: number): string;
  /** Report files, oldest first. */
  list(): QueuedFile[];
  /** Reads one report; a file that cannot be parsed is deleted and `null` returned. */
  read(name: string): QueueEntry | null;
  remove(name: string): void;
  /** Removes leftover `*.tmp` files and drops the oldest reports beyond the bounds. */
  enforceBounds(): void;
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
    return files.sort((a, b) => a.createdAtMs - b.createdAtMs || a.counter - b.counter || (a.name < b.name ? -1 : 1));
  };

  const enforceBounds = (): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    const nowMs = now();
    for (const name of names) {
      if (!name.endsWith('.tmp')) continue;
      try {
        if (nowMs - statSync(join(dir, name)).mtimeMs > TMP_GRACE_MS) removeQuietly(join(dir, name));
      } catch {
        // Vanished meanwhile.
      }
    }
    const files = list();
    const sizes = new Map<string, number>();
    let total = 0;
    const kept: QueuedFile[] = [];
    for (const f of files) {
      if (nowMs - f.createdAtMs > limits.maxAgeSeconds * 1000) {
        log(`queue: dropped ${f.name}: older than maxQueueAgeSeconds`);
        removeQuietly(join(dir, f.name));
        continue;
      }
      let size = 0;
      try {
        size = statSync(join(dir, f.name)).size;
      } catch {
        continue;
      }
      sizes.set(f.name, size);
      total += size;
      kept.push(f);
    }
    while (kept.length > 0 && (kept.length > limits.maxFiles || total > limits.maxBytes)) {
      const oldest = kept.shift();
      if (!oldest) break;
      total -= sizes.get(oldest.name) ?? 0;
      log(`queue: dropped ${oldest.name}: queue over maxQueueFiles or maxQueueBytes`);
      removeQuietly(join(dir, oldest.name));
    }
  };

  return {
    dir,
    writeSync(entry, createdAtMs) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const name = queueFileName(createdAtMs, entry.clientId, entry.counter);
      writeFileAtomicSync(join(dir, name), JSON.stringify(entry));
      enforceBounds();
      return name;
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
      return null;
    },
    remove(name) {
      removeQuietly(join(dir, name));
    },
    enforceBounds,
  };
}

import {
  closeSync,
  fsyncSync,
  ftruncateSync,
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

function truncateFileSync(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, 0);
  } finally {
    closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (another process sent it) or not ours to remove: nothing to do.
  }
}

/**
 * Writes `data` to `path` atomically: a `.tmp` file in the same folder, fsync (when `sync`),
 * rename. `reuseTmp` names an existing empty `.tmp` file to write into instead of creating one.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, sync = true, reuseTmp?: string): void {
  const tmp = reuseTmp ?? `${path}.${process.pid}.tmp`;
  const fd = reuseTmp ? openSync(tmp, 'r+') : openSync(tmp, 'w', 0o600);
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
  /** Removes this process's spare files; call on close and exit. */
  dispose(): void;
}

/** Queue file content with the body already serialized (key order as in docs/sdks.md). */
export function serializeEntry(entry: QueueEntry, bodyJson: string): string {
  return (
    `{"v":1,"path":${JSON.stringify(entry.path)},"clientId":${JSON.stringify(entry.clientId)},` +
    `"counter":${entry.counter},"createdAt":${JSON.stringify(entry.createdAt)},"body":${bodyJson}}`
  );
}

// Creating a file is the most expensive step of a capture on common file systems (several
// times the cost of everything else together), so the inode of a sent report is kept as an
// empty spare and reused by the next write: truncate + rename instead of unlink + create.
const MAX_SPARES = 32;
// A few spares also keep their file descriptor open, and so does a report written into one
// until it is sent: then a report costs write + rename, and ftruncate + rename once sent.
const MAX_OPEN_FDS = 8;
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
  const spares: Array<{ path: string; name: string; fd: number | null }> = [];
  // Open descriptors of report files that were written into a spare that had one.
  const fdOf = new Map<string, number>();
  let spareSeq = 0;
  // After dispose (close, exit) nothing is kept open or spare any more.
  let disposed = false;

  const closeQuietly = (fd: number): void => {
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  };
  const openFds = (): number => fdOf.size + spares.filter((spare) => spare.fd !== null).length;
  const releaseFd = (name: string): void => {
    const fd = fdOf.get(name);
    if (fd === undefined) return;
    fdOf.delete(name);
    closeQuietly(fd);
  };
  const writeAllAt0 = (fd: number, data: Buffer): void => {
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, done);
  };

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
    const spareNames = new Set(spares.map((spare) => spare.name));
    const files: QueuedFile[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        if (spareNames.has(name)) continue;
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
        releaseFd(f.name);
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
      releaseFd(oldest.name);
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
      let written = false;
      const spare = spares.pop();
      if (spare !== undefined) {
        try {
          if (spare.fd !== null) {
            // The spare is empty (truncated when its report was sent), so writing at 0 is the
            // whole content; the rename publishes it under its report name.
            writeAllAt0(spare.fd, data);
            if (durable) fsyncSync(spare.fd);
            renameSync(spare.path, path);
            fdOf.set(name, spare.fd);
          } else {
            writeFileAtomicSync(path, data, durable, spare.path);
          }
          written = true;
        } catch {
          // The spare is gone or broken: forget it and create a file as usual.
          if (spare.fd !== null) closeQuietly(spare.fd);
          removeQuietly(spare.path);
        }
      }
      if (!written) {
        try {
          writeFileAtomicSync(path, data, durable);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          // First write: the folder is made only now, never before (opted-out users get none).
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          writeFileAtomicSync(path, data, durable);
        }
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
      releaseFd(name);
      removeQuietly(join(dir, name));
      forget(name);
      return null;
    },
    remove(name) {
      forget(name);
      const path = join(dir, name);
      let fd = fdOf.get(name);
      fdOf.delete(name);
      if (!disposed && spares.length < MAX_SPARES) {
        const spareName = `.spare-${process.pid}-${(spareSeq += 1)}.tmp`;
        const spare = join(dir, spareName);
        try {
          if (fd === undefined && openFds() < MAX_OPEN_FDS) fd = openSync(path, 'r+');
          // Emptied first, so no report content outlives its delivery.
          if (fd !== undefined) ftruncateSync(fd, 0);
          else truncateFileSync(path);
          renameSync(path, spare);
          spares.push({ path: spare, name: spareName, fd: fd ?? null });
          return;
        } catch {
          // Fall back to a plain delete.
        }
      }
      if (fd !== undefined) closeQuietly(fd);
      removeQuietly(path);
    },
    enforceBounds: () => scan().dropped,
    scan,
    dispose() {
      disposed = true;
      for (const spare of spares.splice(0)) {
        if (spare.fd !== null) closeQuietly(spare.fd);
        removeQuietly(spare.path);
      }
      for (const name of [...fdOf.keys()]) releaseFd(name);
    },
  };
}

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomicSync } from './queue.ts';

/** Client-side limiter per local fingerprint (docs/sdks.md, "Client-side limiter"). */
export interface Limiter {
  /** Counts one report; false when this fingerprint has used up its window. */
  allow(fingerprint: string): boolean;
  /** Writes the counts to disk shortly (off the caller's stack). */
  persistSoon(): void;
  /** Writes the counts to disk now, synchronously. */
  persistNow(): void;
}

/** Fingerprints kept at most in limiter.json (docs/sdks.md, test/vectors/files-v1.json). */
export const MAX_ENTRIES = 1000;

interface Slot {
  start: number;
  count: number;
}

/**
 * Local fingerprint: SHA-256 of `type + "\n" + the first 5 stack frame lines with digits
 * removed`, or of the fingerprint the app gave.
 */
export function localFingerprint(type: string, stacktrace: string, given?: string): string {
  // The same text as the Python and Java SDKs hash, so that apps in different languages
  // sharing one queue folder count an app-given fingerprint together.
  if (given !== undefined && given !== '')
    return createHash('sha256')
      .update('fingerprint\n' + given)
      .digest('hex');
  const lines = stacktrace.split('\n');
  let frames = lines.filter((line) => /^\s+at\s/.test(line)).slice(0, 5);
  // No V8 frames (e.g. a thrown string): use the lines after the first instead.
  if (frames.length === 0) frames = lines.slice(1, 6);
  const text = type + '\n' + frames.map((line) => line.replace(/[0-9]/g, '')).join('\n');
  return createHash('sha256').update(text).digest('hex');
}

function readSlots(file: string): Map<string, Slot> {
  const slots = new Map<string, Slot>();
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const windows = (parsed as { windows?: unknown }).windows;
    if (typeof windows === 'object' && windows !== null) {
      for (const [fp, slot] of Object.entries(windows as Record<string, unknown>)) {
        const s = slot as { start?: unknown; count?: unknown };
        if (typeof s.start === 'number' && typeof s.count === 'number')
          slots.set(fp, { start: s.start, count: s.count });
      }
    }
  } catch {
    // Missing or damaged: start afresh.
  }
  return slots;
}

/**
 * Creates the limiter. With a `file`, the counts are read from it once and written back to it
 * soon after each change (`persistSoon`) or at once (`persistNow`, used by the uncaught hook of a
 * dying process and at exit), so they hold across restarts: a crash loop is many short
 * processes. Without a file (debug mode) they live in memory only.
 */
export function createLimiter(file: string | null, max: number, windowSeconds: number, now: () => number): Limiter {
  const windowMs = windowSeconds * 1000;
  let slots: Map<string, Slot> | null = null;
  let dirty = false;
  let timer: NodeJS.Timeout | null = null;

  const persistNow = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!file || !slots || !dirty) return;
    dirty = false;
    const data = JSON.stringify({ v: 1, windows: Object.fromEntries(slots) });
    try {
      // Losing the last count on power loss is harmless, so no fsync here.
      writeFileAtomicSync(file, data, false);
    } catch {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileAtomicSync(file, data, false);
    }
  };

  return {
    allow(fingerprint) {
      const t = now();
      slots ??= file ? readSlots(file) : new Map();
      for (const [fp, slot] of slots) if (t - slot.start >= windowMs || slot.start > t) slots.delete(fp);
      const slot = slots.get(fingerprint) ?? { start: t, count: 0 };
      if (slot.count >= max) return false;
      slot.count += 1;
      slots.set(fingerprint, slot);
      // A bounded file, as in the other SDKs: the window that started first goes.
      while (slots.size > MAX_ENTRIES) {
        let oldest: string | null = null;
        let oldestStart = Infinity;
        for (const [fp, { start }] of slots) {
          if (start < oldestStart) {
            oldest = fp;
            oldestStart = start;
          }
        }
        if (oldest === null) break;
        slots.delete(oldest);
      }
      dirty = true;
      return true;
    },
    persistSoon() {
      if (!file || timer || !dirty) return;
      timer = setTimeout(() => {
        try {
          persistNow();
        } catch {
          // The next change tries again.
          dirty = true;
        }
      }, 1000);
      timer.unref();
    },
    persistNow,
  };
}

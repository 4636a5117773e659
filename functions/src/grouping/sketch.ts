import { createHash } from 'node:crypto';

/**
 * Distinct-count sketches ("how many clients"): exact while small, HyperLogLog beyond.
 *
 * A sketch with precision p keeps up to 2^p / 4 distinct 32-bit hashes as a sorted list
 * (exact, barring a 32-bit hash collision), and past that switches to a HyperLogLog of 2^p
 * one-byte registers (standard error 1.04 / sqrt(2^p)): both forms take at most 2^p bytes.
 * Sketches of the same precision merge losslessly (union), so the clients of several days
 * or of a whole issue come from merging, never from adding counts. Stored as Firestore Bytes:
 * byte 0 is the form (1 list, 2 registers), byte 1 the precision, then the body.
 */

/** Precision of the sketches kept in issue documents and in stats totals (1.6 % error past 1,024). */
export const ISSUE_PRECISION = 12;
/** Precision of the per-value sketches in stats rows (6.5 % error past 64; 256 bytes at most). */
export const ROW_PRECISION = 8;

const FORM_LIST = 1;
const FORM_REGISTERS = 2;

/** A sketch in memory: either a set of hashes or the registers. */
export interface Sketch {
  precision: number;
  hashes: Set<number> | null;
  registers: Uint8Array | null;
}

/** The 32-bit hash a client identifier is counted by. */
export function hashClient(id: string): number {
  return createHash('sha256').update(id, 'utf8').digest().readUInt32BE(0);
}

/** An empty sketch. */
export function createSketch(precision: number): Sketch {
  if (!Number.isInteger(precision) || precision < 4 || precision > 16) throw new Error(`bad precision ${precision}`);
  return { precision, hashes: new Set(), registers: null };
}

function listLimit(precision: number): number {
  return (1 << precision) / 4;
}

function addToRegisters(registers: Uint8Array, precision: number, hash: number): void {
  const index = hash >>> (32 - precision);
  const rest = (hash << precision) >>> 0;
  const rank = rest === 0 ? 32 - precision + 1 : Math.clz32(rest) + 1;
  if (rank > registers[index]!) registers[index] = rank;
}

function toRegisters(sketch: Sketch): Uint8Array {
  if (sketch.registers !== null) return sketch.registers;
  const registers = new Uint8Array(1 << sketch.precision);
  for (const hash of sketch.hashes ?? []) addToRegisters(registers, sketch.precision, hash);
  sketch.registers = registers;
  sketch.hashes = null;
  return registers;
}

/** Counts one hash (see hashClient); mutates and returns the sketch. */
export function addHash(sketch: Sketch, hash: number): Sketch {
  if (sketch.hashes !== null) {
    sketch.hashes.add(hash >>> 0);
    if (sketch.hashes.size > listLimit(sketch.precision)) toRegisters(sketch);
    return sketch;
  }
  addToRegisters(toRegisters(sketch), sketch.precision, hash >>> 0);
  return sketch;
}

/** Adds everything `other` counted into `into` (same precision); mutates and returns `into`. */
export function mergeSketch(into: Sketch, other: Sketch): Sketch {
  if (into.precision !== other.precision)
    throw new Error(`cannot merge precision ${other.precision} into ${into.precision}`);
  if (other.hashes !== null) {
    for (const hash of other.hashes) addHash(into, hash);
    return into;
  }
  const target = toRegisters(into);
  const source = other.registers!;
  for (let i = 0; i < target.length; i++) if (source[i]! > target[i]!) target[i] = source[i]!;
  return into;
}

/** A copy that shares nothing with the original. */
export function cloneSketch(sketch: Sketch): Sketch {
  return {
    precision: sketch.precision,
    hashes: sketch.hashes === null ? null : new Set(sketch.hashes),
    registers: sketch.registers === null ? null : Uint8Array.from(sketch.registers),
  };
}

/** The number of distinct hashes counted: exact in list form, a HyperLogLog estimate after. */
export function estimateDistinct(sketch: Sketch): number {
  if (sketch.hashes !== null) return sketch.hashes.size;
  const registers = sketch.registers!;
  const m = registers.length;
  let sum = 0;
  let zeros = 0;
  for (const r of registers) {
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / sum;
  if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros)); // linear counting
  const two32 = 2 ** 32;
  if (raw > two32 / 30) return Math.round(-two32 * Math.log(1 - raw / two32));
  return Math.round(raw);
}

/** The stored form of a sketch. */
export function encodeSketch(sketch: Sketch): Buffer {
  if (sketch.hashes !== null) {
    const sorted = [...sketch.hashes].sort((a, b) => a - b);
    const out = Buffer.alloc(2 + sorted.length * 4);
    out[0] = FORM_LIST;
    out[1] = sketch.precision;
    sorted.forEach((hash, i) => out.writeUInt32BE(hash, 2 + i * 4));
    return out;
  }
  const out = Buffer.alloc(2 + sketch.registers!.length);
  out[0] = FORM_REGISTERS;
  out[1] = sketch.precision;
  out.set(sketch.registers!, 2);
  return out;
}

/** Reads a stored sketch; throws on bytes that are not one. */
export function decodeSketch(bytes: Uint8Array): Sketch {
  const form = bytes[0];
  const precision = bytes[1] ?? 0;
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + 2, Math.max(0, bytes.length - 2));
  if (precision < 4 || precision > 16) throw new Error('not a sketch: precision');
  if (form === FORM_LIST && body.length % 4 === 0 && body.length / 4 <= listLimit(precision)) {
    const hashes = new Set<number>();
    for (let i = 0; i < body.length; i += 4) hashes.add(body.readUInt32BE(i));
    return { precision, hashes, registers: null };
  }
  if (form === FORM_REGISTERS && body.length === 1 << precision) {
    return { precision, hashes: null, registers: Uint8Array.from(body) };
  }
  throw new Error('not a sketch: form or length');
}

/**
 * A stored count of distinct clients with a batch's sketch merged in (a copy of the batch's when
 * nothing is stored yet): the estimate and the sketch to store.
 */
export function mergeDistinct(
  stored: { sketch: Uint8Array } | null | undefined,
  add: Sketch,
): { clients: number; sketch: Buffer } {
  const sketch = stored == null ? cloneSketch(add) : mergeSketch(decodeSketch(stored.sketch), add);
  return { clients: estimateDistinct(sketch), sketch: encodeSketch(sketch) };
}

/**
 * The same clients counted at a lower precision: a list's hashes re-added, registers folded
 * (each register of the lower precision is the highest rank its hashes would have had there), so
 * the copy merges with sketches kept at that precision as if it had counted them itself.
 */
export function lowerPrecision(sketch: Sketch, precision: number): Sketch {
  if (precision > sketch.precision) throw new Error(`cannot raise precision ${sketch.precision} to ${precision}`);
  const out = createSketch(precision);
  if (sketch.hashes !== null) {
    for (const hash of sketch.hashes) addHash(out, hash);
    return out;
  }
  const shift = sketch.precision - precision;
  const registers = new Uint8Array(1 << precision);
  sketch.registers!.forEach((rank, index) => {
    if (rank === 0) return;
    // The index bits dropped lead the rest of the hash at the lower precision.
    const dropped = index & ((1 << shift) - 1);
    const lowered = dropped === 0 ? shift + rank : Math.clz32(dropped) - (32 - shift) + 1;
    const at = index >>> shift;
    if (lowered > registers[at]!) registers[at] = lowered;
  });
  out.hashes = null;
  out.registers = registers;
  return out;
}

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ALREADY_EXISTS } from '../shared/firestore';
import { ioCounters } from '../shared/io-counters';

/**
 * Creates Firestore documents through the REST `documents:batchWrite` method, many per request.
 *
 * Why not firebase-admin here: the ingest's only hot-path write is "create this document unless
 * it exists", and through the admin SDK's BulkWriter each one cost about as much CPU as the rest
 * of the request put together (gRPC framing, protobuf, and a dozen promises per write, each one
 * tracked for garbage collection because the Functions Framework wraps requests in a
 * `node:domain`). Here a write is one JSON encoding and one promise; concurrent creates share one
 * HTTP request. batchWrite is not atomic: each write succeeds or fails on its own, so a create
 * that finds its document already there (ALREADY_EXISTS) fails alone, and exactly-once still
 * rests on `create` with a derived id. Everything else (reads, the api, the rollup) stays on
 * firebase-admin. docs/architecture.md#ingest-writes has the measurements.
 */
export interface BatchCreator {
  /**
   * Creates `documentPath` (relative to the database root) with `data`, or says it exists;
   * calls `done` once. A callback, not a promise: see `processReport` in ingest.ts.
   */
  create(documentPath: string, data: Record<string, unknown>, done: CreateCallback): void;
  /** Closes idle keep-alive sockets. */
  close(): void;
}

export interface BatchCreatorOptions {
  /** `http://host:port` for the emulator, `https://firestore.googleapis.com` in production. */
  baseUrl: string;
  /** `projects/P/databases/D`, asked for at each send (the project may be resolved late). */
  database: () => Promise<string>;
  /** The `Authorization` header value; `refresh` asks for a new token after a 401. */
  authorization: (refresh: boolean) => Promise<string>;
  /**
   * Requests in flight at once. A create is sent at once when fewer are in flight; otherwise it
   * waits for one to finish and goes with every create that queued meanwhile (group commit), so
   * batches grow with the load and an idle ingest adds no delay.
   */
  maxInFlight?: number;
  /** Attempts per write for retryable failures (network, 429, 5xx, ABORTED, UNAVAILABLE …). */
  maxAttempts?: number;
  requestTimeoutMs?: number;
  /** Delay before retry number `attempt` (1-based). */
  backoffMs?: (attempt: number) => number;
}

/** Called once per create: an error, or whether the document was created or already there. */
export type CreateCallback = (err: Error | null, outcome?: 'created' | 'exists') => void;

/** A write Firestore refused, with its gRPC status code (6 ALREADY_EXISTS is not an error here). */
export class FirestoreWriteError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'FirestoreWriteError';
  }
}

/** Firestore's per-write limit is 500 writes and 10 MiB per request. */
const MAX_WRITES_PER_REQUEST = 500;
const MAX_BYTES_PER_REQUEST = 9 * 1024 * 1024;
/** gRPC codes worth another attempt: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE. */
const RETRYABLE_CODES = new Set([4, 8, 10, 13, 14]);
/** gRPC code used when the HTTP exchange itself failed. */
const UNAVAILABLE = 14;
const MAX_ERROR_TEXT = 500;

/** The gRPC code for a failed HTTP answer, as Google's APIs map them; 429 and 5xx are retried. */
function grpcCodeOfHttpStatus(status: number): number {
  if (status === 429 || status >= 500) return UNAVAILABLE;
  if (status === 401) return 16; // UNAUTHENTICATED (after one fresh token)
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 404) return 5; // NOT_FOUND (no such database)
  return 3; // INVALID_ARGUMENT
}

/**
 * JSON text appended straight into a growing byte buffer. The ingest encodes every stored report
 * through this: building the text as strings cost a copy per concatenation, a flattening copy, a
 * join into the request body and a final copy into bytes; here each piece is written once.
 * Allocation, not CPU, was the cost that mattered: the ingest holds ~64 requests open while
 * their writes are in flight, so each scavenge copies them, and fewer bytes allocated per request
 * means fewer scavenges (docs/performance.md).
 */
export class JsonBytes {
  private buf: Buffer;
  private used = 0;

  constructor(initialBytes = 8 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes the buffer can hold before it grows. */
  get capacity(): number {
    return this.buf.length;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }

  /**
   * Text that is already JSON and ASCII: punctuation, numbers, ISO dates. Copied byte by byte:
   * these pieces are short, and for them a loop is several times cheaper than `Buffer.write`.
   */
  ascii(text: string): this {
    const n = text.length;
    this.reserve(n);
    const buf = this.buf;
    let at = this.used;
    for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i);
    this.used = at;
    return this;
  }

  /**
   * A JSON string literal for `text`. Short printable-ASCII text (nearly every key and most
   * values) is copied byte by byte with its escapes: for it, a loop is several times cheaper
   * than a call into `Buffer.write`. Longer text goes through `JSON.stringify` (native, and
   * it escapes lone surrogates): measured under load, escaping a stack trace in a JavaScript
   * loop cost more CPU than the copy it saved.
   */
  string(text: string): this {
    const n = text.length;
    if (n > SHORT_STRING) return this.platformString(text);
    this.reserve(n * 6 + 2); // the worst case: every character escaped as \u00XX
    const buf = this.buf;
    let at = this.used;
    buf[at++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x20 && c < 0x7f) {
        if (c === QUOTE || c === BACKSLASH) buf[at++] = BACKSLASH;
        buf[at++] = c;
      } else if (c < 0x20) {
        const short = SHORT_ESCAPES[c];
        buf[at++] = BACKSLASH;
        if (short !== undefined) buf[at++] = short;
        else {
          // \u00XX
          buf[at++] = 0x75;
          buf[at++] = 0x30;
          buf[at++] = 0x30;
          buf[at++] = HEX[c >> 4]!;
          buf[at++] = HEX[c & 15]!;
        }
      } else {
        return this.platformString(text); // DEL and beyond ASCII: UTF-8 and surrogate rules
      }
    }
    buf[at++] = QUOTE;
    this.used = at;
    return this;
  }

  /** `JSON.stringify`'s literal, as UTF-8. */
  private platformString(text: string): this {
    const json = JSON.stringify(text);
    this.reserve(json.length * 3); // UTF-8 takes at most 3 bytes per UTF-16 unit
    this.used += this.buf.write(json, this.used, 'utf8');
    return this;
  }

  bytes(from: Uint8Array): this {
    this.reserve(from.length);
    this.buf.set(from, this.used);
    this.used += from.length;
    return this;
  }

  /** Forgets what was written; the buffer is kept for the next use. */
  clear(): void {
    this.used = 0;
  }

  /** The bytes written so far (a view: valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.used);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** The two-character escapes JSON has for control characters (\b \t \n \f \r), by code. */
const SHORT_ESCAPES: Record<number, number> = { 8: 0x62, 9: 0x74, 10: 0x6e, 12: 0x66, 13: 0x72 };
/** Strings up to this length are escaped and copied by `JsonBytes.string` itself. */
const SHORT_STRING = 64;
/** Lowercase hex digits, as JSON.stringify writes them. */
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** Writes a JavaScript value as the JSON text of a Firestore REST `Value`. */
function writeValue(out: JsonBytes, value: unknown): void {
  if (value === null) {
    out.ascii('{"nullValue":null}');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.ascii('{"stringValue":').string(value).ascii('}');
      return;
    case 'boolean':
      out.ascii(value ? '{"booleanValue":true}' : '{"booleanValue":false}');
      return;
    case 'number':
      if (Number.isSafeInteger(value) && !Object.is(value, -0))
        out.ascii('{"integerValue":"').ascii(String(value)).ascii('"}');
      // Proto3 JSON spells the non-finite doubles as strings.
      else if (Number.isFinite(value)) out.ascii('{"doubleValue":').ascii(String(value)).ascii('}');
      else out.ascii('{"doubleValue":"').ascii(String(value)).ascii('"}');
      return;
    case 'object':
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new TypeError('cannot store an invalid Date');
        out.ascii('{"timestampValue":"').ascii(value.toISOString()).ascii('"}');
        return;
      }
      if (Array.isArray(value)) {
        out.ascii('{"arrayValue":{"values":[');
        value.forEach((item, i) => {
          if (i > 0) out.ascii(',');
          writeValue(out, item);
        });
        out.ascii(']}}');
        return;
      }
      out.ascii('{"mapValue":{"fields":');
      writeFields(out, value as Record<string, unknown>);
      out.ascii('}}');
      return;
    default:
      throw new TypeError(`cannot store a value of type ${typeof value}`);
  }
}

/** Writes an object's own fields as the JSON text of Firestore REST `fields`, skipping `undefined`. */
function writeFields(out: JsonBytes, data: Record<string, unknown>): void {
  out.ascii('{');
  let first = true;
  for (const key in data) {
    if (!Object.prototype.hasOwnProperty.call(data, key)) continue;
    const v = data[key];
    if (v === undefined) continue;
    if (!first) out.ascii(',');
    first = false;
    out.string(key).ascii(':');
    writeValue(out, v);
  }
  out.ascii('}');
}

const SCRATCH_BYTES = 64 * 1024;
/** One scratch buffer for encoding documents: encoding is synchronous, so it is never shared. */
let scratch = new JsonBytes(SCRATCH_BYTES);

/** An object's fields as the JSON bytes of Firestore REST `fields` (a document's `fields`). */
export function encodeFirestoreFields(data: Record<string, unknown>): Buffer {
  try {
    writeFields(scratch, data);
    return Buffer.from(scratch.view());
  } finally {
    // A rare large report (up to ~1 MiB) grows the scratch buffer; do not keep that much around.
    if (scratch.capacity > 16 * SCRATCH_BYTES) scratch = new JsonBytes(SCRATCH_BYTES);
    else scratch.clear();
  }
}

interface PendingWrite {
  /** The document's path below the database root. */
  path: string;
  /** The document's `fields` as JSON bytes, encoded once (a retry sends the same bytes). */
  fields: Buffer;
  bytes: number;
  attempts: number;
  done: CreateCallback;
}

/** Calls a write's callback; a callback that throws is a bug, surfaced without hurting the batch. */
function settle(w: PendingWrite, err: Error | null, outcome?: 'created' | 'exists'): void {
  try {
    w.done(err, outcome);
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}

interface HttpAnswer {
  status: number;
  body: string;
}

function defaultBackoffMs(attempt: number): number {
  const base = Math.min(2000, 100 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}

/** Creates the batch creator. */
export function createBatchCreator(options: BatchCreatorOptions): BatchCreator {
  const base = new URL(options.baseUrl);
  const isHttps = base.protocol === 'https:';
  const agent = isHttps
    ? new HttpsAgent({ keepAlive: true, maxSockets: 16 })
    : new HttpAgent({ keepAlive: true, maxSockets: 16 });
  const maxAttempts = options.maxAttempts ?? 3;
  // 3 attempts of at most 10 s plus backoff: a write is settled within about 35 s of its
  // request, well inside the rollup's 60 s lag (docs/grouping.md).
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const backoffMs = options.backoffMs ?? defaultBackoffMs;

  const maxInFlight = options.maxInFlight ?? 2;
  let queue: PendingWrite[] = [];
  let inFlight = 0;
  let flushScheduled = false;

  const post = (path: string, authorization: string, payload: Buffer): Promise<HttpAnswer> =>
    new Promise((resolve, reject) => {
      const req = (isHttps ? httpsRequest : httpRequest)(
        {
          protocol: base.protocol,
          hostname: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port === '' ? (isHttps ? 443 : 80) : Number(base.port),
          method: 'POST',
          path,
          agent,
          headers: {
            Authorization: authorization,
            'Content-Type': 'application/json',
            'Content-Length': payload.length,
          },
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`Firestore did not answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });

  const retryOrFail = (writes: PendingWrite[], code: number, message: string): void => {
    const again: PendingWrite[] = [];
    for (const w of writes) {
      if (RETRYABLE_CODES.has(code) && w.attempts < maxAttempts) again.push(w);
      else settle(w, new FirestoreWriteError(code, message));
    }
    if (again.length === 0) return;
    const attempt = Math.max(...again.map((w) => w.attempts));
    setTimeout(() => void send(again), backoffMs(attempt));
  };

  const send = async (writes: PendingWrite[], refreshedAuth = false): Promise<void> => {
    for (const w of writes) w.attempts += 1;
    let answer: HttpAnswer;
    let database: string;
    try {
      database = await options.database();
      const authorization = await options.authorization(refreshedAuth);
      const body = new JsonBytes(writes.reduce((n, w) => n + w.bytes, 16)).ascii('{"writes":[');
      writes.forEach((w, i) => {
        body.ascii(i === 0 ? '{"update":{"name":' : ',{"update":{"name":');
        body.string(`${database}/documents/${w.path}`).ascii(',"fields":').bytes(w.fields);
        body.ascii('},"currentDocument":{"exists":false}}');
      });
      ioCounters.writeRequests++;
      answer = await post(`/v1/${database}/documents:batchWrite`, authorization, body.ascii(']}').view());
    } catch (err) {
      retryOrFail(
        writes,
        UNAVAILABLE,
        `Firestore batchWrite failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    if (answer.status === 401 && !refreshedAuth) {
      for (const w of writes) w.attempts -= 1;
      return send(writes, true);
    }
    if (answer.status !== 200) {
      retryOrFail(
        writes,
        grpcCodeOfHttpStatus(answer.status),
        `Firestore batchWrite answered HTTP ${answer.status}: ${answer.body.slice(0, MAX_ERROR_TEXT)}`,
      );
      return;
    }
    let statuses: Array<{ code?: number; message?: string } | undefined>;
    try {
      statuses = (JSON.parse(answer.body) as { status?: typeof statuses }).status ?? [];
    } catch {
      retryOrFail(writes, UNAVAILABLE, 'Firestore batchWrite answered with invalid JSON');
      return;
    }
    const retry: PendingWrite[] = [];
    let retryCode = 0;
    let retryMessage = '';
    writes.forEach((w, i) => {
      const code = statuses[i]?.code ?? 0;
      if (code === 0) settle(w, null, 'created');
      else if (code === ALREADY_EXISTS) settle(w, null, 'exists');
      else if (RETRYABLE_CODES.has(code) && w.attempts < maxAttempts) {
        retry.push(w);
        retryCode = code;
        retryMessage = statuses[i]?.message ?? '';
      } else settle(w, new FirestoreWriteError(code, `Firestore refused the write: ${statuses[i]?.message ?? ''}`));
    });
    if (retry.length > 0) retryOrFail(retry, retryCode, retryMessage);
  };

  /**
   * Takes the next request's worth of queued writes (≤ 500 writes, ≤ 9 MiB), oldest first. A
   * request may name a document only once, so a second create of the same document (a client's
   * retry racing its first attempt) waits for the next request.
   */
  const takeBatch = (): PendingWrite[] => {
    const batch: PendingWrite[] = [];
    const later: PendingWrite[] = [];
    const paths = new Set<string>();
    let bytes = 0;
    let i = 0;
    for (; i < queue.length && batch.length < MAX_WRITES_PER_REQUEST; i++) {
      const w = queue[i]!;
      if (batch.length > 0 && bytes + w.bytes > MAX_BYTES_PER_REQUEST) break;
      if (paths.has(w.path)) {
        later.push(w);
        continue;
      }
      paths.add(w.path);
      bytes += w.bytes;
      batch.push(w);
    }
    queue = later.length === 0 ? queue.slice(i) : [...later, ...queue.slice(i)];
    return batch;
  };

  const flush = (): void => {
    flushScheduled = false;
    while (queue.length > 0 && inFlight < maxInFlight) {
      inFlight += 1;
      void send(takeBatch()).finally(() => {
        inFlight -= 1;
        scheduleFlush();
      });
    }
  };

  /** Flushes after the current turn of the event loop, so creates made in it share a request. */
  const scheduleFlush = (): void => {
    if (flushScheduled || queue.length === 0 || inFlight >= maxInFlight) return;
    flushScheduled = true;
    setImmediate(flush);
  };

  return {
    create(documentPath, data, done) {
      let fields: Buffer;
      try {
        fields = encodeFirestoreFields(data);
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      // The name is written with the database prefix (~60 bytes) and the JSON around it (~80).
      const bytes = fields.length + documentPath.length * 6 + 256;
      queue.push({ path: documentPath, fields, bytes, attempts: 0, done });
      scheduleFlush();
    },
    close() {
      agent.destroy();
    },
  };
}

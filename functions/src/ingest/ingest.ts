import type { Clock } from '../shared/clock';
import { DumpcatcherError } from '../shared/errors';
import { checkParsedDepth, checkSentSize, decodeBody, parseJsonBody } from './body';
import { parseIngestHeaders } from './headers';
import type { RateLimiter } from './rate-limit';
import {
  CrashReportSchema,
  REPORT_KINDS,
  UsageReportSchema,
  type ProductIngestConfig,
  type ReportKind,
} from './schemas';
import type { ProductCache } from './secret-cache';
import { verifySignature } from './signing';
import { reportDocumentId, toStoredReport, type StoredReport } from './stored-report';

/** Largest distance between the client's signing time and the server's clock. */
export const MAX_SKEW_SECONDS = 300;

/** One HTTP request as the ingest core sees it. */
export interface IngestRequest {
  method: string;
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body bytes exactly as sent. */
  rawBody: Buffer;
  /** The body already parsed by the HTTP layer, when it parsed JSON (saves a second parse). */
  parsedJson?: unknown;
}

/** Expected outcomes of an authenticated request: results, not exceptions. */
export type IngestOutcome =
  | { kind: 'stored'; id: string }
  | { kind: 'duplicate'; id: string }
  | { kind: 'counter_reused'; id: string }
  | { kind: 'rate_limited'; scope: 'product' | 'client'; retryAfterSeconds: number };

/** The answer of `createReport`: created, or the reportId of what already has that id. */
export type CreateResult = { created: true } | { created: false; existingReportId: string | null };

/** A Node-style callback: called once, with an error or with the value. It must not throw. */
export type Callback<T> = (err: unknown, value?: T) => void;

/**
 * Persistence the ingest needs; the Firestore adapter implements it. Callbacks rather than
 * promises: the hot path makes no promise at all (see `processReport`).
 */
export interface IngestStore {
  /** Creates the document only if no document has this id (atomic). */
  createReport(
    kind: ReportKind,
    productKey: string,
    id: string,
    report: StoredReport,
    done: Callback<CreateResult>,
  ): void;
}

/** Everything the ingest core depends on, passed in. */
export interface IngestDeps {
  store: IngestStore;
  products: ProductCache;
  limiter: RateLimiter;
  clock: Clock;
  limits: { perProductPerMinute: number; perClientPerMinute: number };
}

/** How stale a cached product may be when a signature fails against it, before it is read again. */
export const FRESH_RELOAD_MS = 1000;

function liveSecrets(product: ProductIngestConfig, nowMs: number): string[] {
  return product.secrets.filter((s) => s.expiresAt === null || s.expiresAt.getTime() > nowMs).map((s) => s.secret);
}

/** The same answer for every authentication failure, so it tells an attacker nothing. */
function unauthenticated(): DumpcatcherError {
  return new DumpcatcherError('unauthenticated', 'The request is not signed with a valid product key and secret.');
}

function routeOf(req: IngestRequest): ReportKind {
  const kind = (REPORT_KINDS as Record<string, ReportKind | undefined>)[req.path];
  if (kind === undefined)
    throw new DumpcatcherError('not_found', `No such endpoint: ${req.path}.`, { details: { path: req.path } });
  if (req.method !== 'POST') {
    throw new DumpcatcherError('method_not_allowed', `Use POST for ${req.path}.`, { headers: { Allow: 'POST' } });
  }
  return kind;
}

function validate(kind: ReportKind, json: unknown) {
  const schema = kind === 'crashes' ? CrashReportSchema : UsageReportSchema;
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    throw new DumpcatcherError(
      'invalid_body',
      `Invalid ${kind === 'crashes' ? 'crash' : 'usage'} report: ${first?.path || '(root)'}: ${first?.message}.`,
      {
        details: { issues },
      },
    );
  }
  return result.data;
}

/** What the checks before the product lookup found: the route and the signed facts. */
interface Preflight {
  kind: ReportKind;
  headers: ReturnType<typeof parseIngestHeaders>;
  now: Date;
  nowMs: number;
  signature: string;
  signing: Parameters<typeof verifySignature>[1];
}

function preflight(req: IngestRequest, deps: IngestDeps): Preflight {
  const kind = routeOf(req);
  const headers = parseIngestHeaders(req.headers);
  checkSentSize(req.rawBody);
  const now = deps.clock();
  const nowMs = now.getTime();
  if (Math.abs(nowMs / 1000 - headers.timestampSeconds) > MAX_SKEW_SECONDS) throw unauthenticated();
  const signature = headers.signature;
  if (signature === undefined) throw unauthenticated();
  const signing = {
    method: req.method,
    path: req.path,
    productKey: headers.productKey,
    clientId: headers.clientId,
    counter: headers.counter,
    timestamp: headers.timestamp,
    bodyEncoding: headers.bodyEncoding,
    body: req.rawBody,
  };
  return { kind, headers, now, nowMs, signature, signing };
}

function isSignedBy(p: ProductIngestConfig | null, pre: Preflight): p is ProductIngestConfig {
  return p !== null && verifySignature(liveSecrets(p, pre.nowMs), pre.signing, pre.signature);
}

/** The product whose secret signed the request, or null; may read Firestore (cache miss, rotation). */
async function loadSigningProduct(pre: Preflight, deps: IngestDeps): Promise<ProductIngestConfig | null> {
  const product = await deps.products.get(pre.headers.productKey, pre.nowMs);
  if (isSignedBy(product, pre)) return product;
  // A secret rotated or a product created after we cached it: look again, at most once a second per key.
  const fresh = await deps.products.get(pre.headers.productKey, pre.nowMs, FRESH_RELOAD_MS);
  return isSignedBy(fresh, pre) ? fresh : null;
}

/** Rate limits, validation and the write, for a request signed by `product`. */
function admit(
  req: IngestRequest,
  deps: IngestDeps,
  pre: Preflight,
  product: ProductIngestConfig,
  done: Callback<IngestOutcome>,
): void {
  const { headers, nowMs } = pre;
  let id: string;
  let reportId: string;
  let stored: StoredReport;
  try {
    const perProduct = product.rateLimitPerMinute ?? deps.limits.perProductPerMinute;
    const productDecision = deps.limiter.take(`p:${headers.productKey}`, perProduct, nowMs);
    if (!productDecision.allowed) {
      return done(null, {
        kind: 'rate_limited',
        scope: 'product',
        retryAfterSeconds: productDecision.retryAfterSeconds,
      });
    }
    const clientDecision = deps.limiter.take(
      `c:${headers.productKey}:${headers.clientId}`,
      deps.limits.perClientPerMinute,
      nowMs,
    );
    if (!clientDecision.allowed) {
      return done(null, { kind: 'rate_limited', scope: 'client', retryAfterSeconds: clientDecision.retryAfterSeconds });
    }

    const json =
      headers.bodyEncoding === 'identity' && req.parsedJson !== undefined
        ? checkParsedDepth(req.parsedJson)
        : parseJsonBody(decodeBody(req.rawBody, headers.bodyEncoding));
    const report = validate(pre.kind, json);
    reportId = report.reportId;
    id = reportDocumentId(headers.clientId, headers.counter);
    stored = toStoredReport(report, {
      productKey: headers.productKey,
      clientId: headers.clientId,
      counter: Number(headers.counter),
      receivedAt: pre.now,
      retentionDays: product.retentionDays,
      documentId: id,
    });
  } catch (err) {
    return done(err);
  }
  deps.store.createReport(pre.kind, headers.productKey, id, stored, (err, result) => {
    if (err !== null && err !== undefined) return done(err);
    if (result?.created) return done(null, { kind: 'stored', id });
    done(null, result?.existingReportId === reportId ? { kind: 'duplicate', id } : { kind: 'counter_reused', id });
  });
}

/**
 * Verifies, limits, validates and stores one report; calls `done` once with the outcome or an
 * error (a DumpcatcherError for bad input). When the product is cached, as it is for nearly every
 * request, everything up to the write runs synchronously and no promise is made: in the
 * Functions Framework each promise costs a garbage-collector hook, and promises were a large
 * part of the ingest's CPU (docs/performance.md).
 */
export function processReport(req: IngestRequest, deps: IngestDeps, done: Callback<IngestOutcome>): void {
  let pre: Preflight;
  let cached: ProductIngestConfig | null | undefined;
  try {
    pre = preflight(req, deps);
    cached = deps.products.peek(pre.headers.productKey, pre.nowMs);
    if (cached !== undefined && isSignedBy(cached, pre)) return admit(req, deps, pre, cached, done);
  } catch (err) {
    return done(err);
  }
  loadSigningProduct(pre, deps).then(
    (product) => (product === null ? done(unauthenticated()) : admit(req, deps, pre, product, done)),
    (err: unknown) => done(err),
  );
}

/** `processReport` as a promise: rejects with a DumpcatcherError for bad input. */
export function ingestReport(req: IngestRequest, deps: IngestDeps): Promise<IngestOutcome> {
  return new Promise((resolve, reject) =>
    processReport(req, deps, (err, outcome) => (outcome === undefined ? reject(err) : resolve(outcome))),
  );
}

import type { Clock } from '../shared/clock';
import { DumpcatcherError } from '../shared/errors';
import { checkParsedDepth, checkSentSize, decodeBody, parseJsonBody } from './body';
import { parseIngestHeaders } from './headers';
import type { RateLimiter } from './rate-limit';
import {
  CrashReportSchema,
  REPORT_KINDS,
  SessionReportSchema,
  UsageReportSchema,
  type ProductIngestConfig,
  type ReportKind,
} from './schemas';
import type { ProductCache } from './secret-cache';
import { verifySignature } from './signing';
import { toWellFormedDeep } from '../shared/well-formed';
import { reportDocumentId, toStoredReport, type StoredReport } from './stored-report';
import { parseInput } from '../shared/validation';

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

/** Persistence the ingest needs; the Firestore adapter implements it. */
export interface IngestStore {
  /**
   * Creates the document only if no document has this id (atomic), with `receivedAt` set to
   * the time Firestore received the write.
   */
  createReport(kind: ReportKind, productKey: string, id: string, report: StoredReport): Promise<CreateResult>;
}

/** Everything the ingest core depends on, passed in. */
export interface IngestDeps {
  store: IngestStore;
  products: ProductCache;
  limiter: RateLimiter;
  clock: Clock;
  limits: { perProductPerMinute: number; perClientPerMinute: number };
}

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

const SCHEMAS = { crashes: CrashReportSchema, usage: UsageReportSchema, sessions: SessionReportSchema } as const;
const NOUNS: Record<ReportKind, string> = { crashes: 'crash', usage: 'usage', sessions: 'sessions' };

function validate(kind: ReportKind, json: unknown) {
  return parseInput(SCHEMAS[kind], json, 'invalid_body', `${NOUNS[kind]} report`);
}

/** What the checks before the product lookup found: the route and the signed facts. */
interface Preflight {
  kind: ReportKind;
  headers: ReturnType<typeof parseIngestHeaders>;
  now: Date;
  nowMs: number;
  /** Taken as the request arrived: a product read started after it can see any rotation the client saw. */
  ticket: number;
  signature: string;
  signing: Parameters<typeof verifySignature>[1];
}

function preflight(req: IngestRequest, deps: IngestDeps): Preflight {
  const ticket = deps.products.ticket();
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
  return { kind, headers, now, nowMs, ticket, signature, signing };
}

function isSignedBy(p: ProductIngestConfig | null, pre: Preflight): p is ProductIngestConfig {
  return p !== null && verifySignature(liveSecrets(p, pre.nowMs), pre.signing, pre.signature);
}

/**
 * The product whose secret signed the request, or null. A refusal is decided on a read that
 * started after the request arrived, never on a cached view alone: a secret rotated a moment
 * before the client sent this request must work (the SDKs drop a report on 401).
 */
async function loadSigningProduct(pre: Preflight, deps: IngestDeps): Promise<ProductIngestConfig | null> {
  const product = await deps.products.get(pre.headers.productKey, pre.nowMs);
  if (isSignedBy(product, pre)) return product;
  const fresh = await deps.products.fresh(pre.headers.productKey, pre.ticket, pre.nowMs);
  return isSignedBy(fresh, pre) ? fresh : null;
}

/**
 * Verifies, limits, validates and stores one report. Expected outcomes are results; bad input
 * rejects with a DumpcatcherError naming what was wrong.
 */
export async function ingestReport(req: IngestRequest, deps: IngestDeps): Promise<IngestOutcome> {
  const pre = preflight(req, deps);
  const product = await loadSigningProduct(pre, deps);
  if (product === null) throw unauthenticated();
  const { headers, nowMs } = pre;

  const perProduct = product.rateLimitPerMinute ?? deps.limits.perProductPerMinute;
  const productDecision = deps.limiter.take(`p:${headers.productKey}`, perProduct, nowMs);
  if (!productDecision.allowed) {
    return { kind: 'rate_limited', scope: 'product', retryAfterSeconds: productDecision.retryAfterSeconds };
  }
  const clientDecision = deps.limiter.take(
    `c:${headers.productKey}:${headers.clientId}`,
    deps.limits.perClientPerMinute,
    nowMs,
  );
  if (!clientDecision.allowed) {
    return { kind: 'rate_limited', scope: 'client', retryAfterSeconds: clientDecision.retryAfterSeconds };
  }

  const parsed =
    headers.bodyEncoding === 'identity' && req.parsedJson !== undefined
      ? checkParsedDepth(req.parsedJson)
      : parseJsonBody(decodeBody(req.rawBody, headers.bodyEncoding));
  // Before validation, so lengths are checked on what is stored (U+FFFD is one unit, like a surrogate).
  const { value: json, replaced } = toWellFormedDeep(parsed);
  const report = validate(pre.kind, json);
  const id = reportDocumentId(headers.clientId, headers.counter);
  const stored = toStoredReport(report, {
    productKey: headers.productKey,
    clientId: headers.clientId,
    counter: Number(headers.counter),
    acceptedAt: pre.now,
    retentionDays: product.retentionDays,
    documentId: id,
  });
  if (replaced > 0) stored.loneSurrogatesReplaced = replaced;
  const result = await deps.store.createReport(pre.kind, headers.productKey, id, stored);
  if (result.created) return { kind: 'stored', id };
  return result.existingReportId === report.reportId ? { kind: 'duplicate', id } : { kind: 'counter_reused', id };
}

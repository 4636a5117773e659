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

/** Persistence the ingest needs; the Firestore adapter implements it. */
export interface IngestStore {
  /** Creates the document only if no document has this id (atomic). */
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

/** Verifies, limits, validates and stores one report. Throws DumpcatcherError for bad input. */
export async function ingestReport(req: IngestRequest, deps: IngestDeps): Promise<IngestOutcome> {
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
  const isSignedBy = (p: ProductIngestConfig | null): p is ProductIngestConfig =>
    p !== null && verifySignature(liveSecrets(p, nowMs), signing, signature);
  let product = await deps.products.get(headers.productKey, nowMs);
  if (!isSignedBy(product)) {
    // A secret rotated or a product created after we cached it: look again, at most once a second per key.
    product = await deps.products.get(headers.productKey, nowMs, FRESH_RELOAD_MS);
    if (!isSignedBy(product)) throw unauthenticated();
  }

  const perProduct = product.rateLimitPerMinute ?? deps.limits.perProductPerMinute;
  const productDecision = deps.limiter.take(`p:${headers.productKey}`, perProduct, nowMs);
  if (!productDecision.allowed)
    return { kind: 'rate_limited', scope: 'product', retryAfterSeconds: productDecision.retryAfterSeconds };
  const clientDecision = deps.limiter.take(
    `c:${headers.productKey}:${headers.clientId}`,
    deps.limits.perClientPerMinute,
    nowMs,
  );
  if (!clientDecision.allowed)
    return { kind: 'rate_limited', scope: 'client', retryAfterSeconds: clientDecision.retryAfterSeconds };

  const json =
    headers.bodyEncoding === 'identity' && req.parsedJson !== undefined
      ? checkParsedDepth(req.parsedJson)
      : parseJsonBody(decodeBody(req.rawBody, headers.bodyEncoding));
  const report = validate(kind, json);

  const id = reportDocumentId(headers.clientId, headers.counter);
  const stored = toStoredReport(report, {
    productKey: headers.productKey,
    clientId: headers.clientId,
    counter: Number(headers.counter),
    receivedAt: now,
    retentionDays: product.retentionDays,
    documentId: id,
  });
  const result = await deps.store.createReport(kind, headers.productKey, id, stored);
  if (result.created) return { kind: 'stored', id };
  return result.existingReportId === report.reportId ? { kind: 'duplicate', id } : { kind: 'counter_reused', id };
}

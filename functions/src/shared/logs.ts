/**
 * Every log line the service can write, as named helpers. Lines are JSON objects that Cloud
 * Logging understands (`severity`, `message`). No helper takes a secret or a request body.
 */
type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

function write(severity: Severity, message: string, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ severity, message, ...fields });
  if (severity === 'ERROR' || severity === 'WARNING') process.stderr.write(line + '\n');
  else process.stdout.write(line + '\n');
}

function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { error: { name: err.name, message: err.message, stack: err.stack } };
  return { error: String(err) };
}

/** An ingest request failed for a reason we did not expect (the client got a 500). */
export function logIngestFailure(err: unknown, context: { productKey?: string; path?: string }): void {
  write('ERROR', 'ingest failed unexpectedly', { ...context, ...errorFields(err) });
}

/** An api request failed for a reason we did not expect (the client got a 500). */
export function logApiFailure(err: unknown, context: { route?: string; uid?: string }): void {
  write('ERROR', 'api request failed unexpectedly', { ...context, ...errorFields(err) });
}

/** A product's secrets could not be loaded; ingest answers 500 and the client retries. */
export function logSecretLoadFailure(err: unknown, productKey: string): void {
  write('ERROR', 'could not load product secrets', { productKey, ...errorFields(err) });
}

/** The rollup finished one run. */
export function logRollupRun(summary: Record<string, unknown>): void {
  write('INFO', 'rollup run finished', { summary });
}

/** The rollup failed; the next run picks up from the last committed cursor. */
export function logRollupFailure(err: unknown, context: Record<string, unknown>): void {
  write('ERROR', 'rollup run failed', { ...context, ...errorFields(err) });
}

/** Merging the issues that waited for an uploaded mapping failed; the request stays for the next run. */
export function logRegroupFailure(err: unknown): void {
  write('ERROR', 'rollup regroup failed', errorFields(err));
}

/** The rollup skipped a stored report that does not match its schema (the cursor moves past it). */
export function logMalformedReport(path: string, issues: string): void {
  write('WARNING', 'rollup skipped a malformed report', { path, issues });
}

/** Configuration read at cold start was invalid; the function refuses to serve. */
export function logConfigError(issues: unknown): void {
  write('ERROR', 'invalid configuration', { issues });
}

/** An api call changed a product, its secret or its members (never logs the secret or the body). */
export function logApiAudit(entry: {
  route: string;
  method: string;
  uid: string;
  productKey: string | undefined;
}): void {
  write('INFO', 'api change', entry);
}

/** Alert delivery failed as a whole (a store error); the rollup went on, the next run retries. */
export function logAlertDeliveryFailure(err: unknown): void {
  write('ERROR', 'alert delivery failed', errorFields(err));
}

/** The ingest could not ask for a rollup run after storing a report; the scheduled rollup will take it. */
export function logRollupTriggerFailure(err: unknown, task: { name: string }): void {
  write('WARNING', 'could not ask for a rollup run', { task: task.name, ...errorFields(err) });
}

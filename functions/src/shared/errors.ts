/** Every error code the service answers with, and the HTTP status each one carries. */
export const ERROR_CODES = {
  invalid_header: 400,
  invalid_json: 400,
  invalid_body: 400,
  too_deep: 400,
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  counter_reused: 409,
  conflict: 409,
  product_limit: 409,
  payload_too_large: 413,
  unsupported_encoding: 415,
  rate_limited: 429,
  internal: 500,
} as const;

/** One of the service's error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error the service answers with on purpose: a code, its HTTP status and safe details. */
export class DumpcatcherError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DumpcatcherError';
    this.code = code;
    this.httpStatus = ERROR_CODES[code];
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

/** The JSON body, status and headers for an error; unknown errors become a bare 500. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };
}

/** Turns any thrown value into the HTTP answer the client sees. */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof DumpcatcherError) {
    const error: ErrorResponse['body']['error'] = { code: err.code, message: err.message };
    if (err.details !== undefined) error.details = { ...err.details };
    return { status: err.httpStatus, headers: { ...err.headers }, body: { error } };
  }
  return { status: 500, headers: {}, body: { error: { code: 'internal', message: 'Internal error.' } } };
}

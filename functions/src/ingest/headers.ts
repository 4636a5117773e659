import { DumpcatcherError } from '../shared/errors';
import { ID_PATTERN } from './schemas';

/** The protocol's request headers after their form has been checked. */
export interface IngestHeaders {
  productKey: string;
  clientId: string;
  counter: string;
  timestamp: string;
  timestampSeconds: number;
  bodyEncoding: 'identity' | 'gzip';
  signature: string | undefined;
}

type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

const COUNTER_PATTERN = /^[1-9][0-9]{0,15}$/;
const TIMESTAMP_PATTERN = /^(0|[1-9][0-9]{0,15})$/;

function single(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw invalidHeader(name, 'must be sent once');
  return value;
}

function invalidHeader(header: string, problem: string): DumpcatcherError {
  return new DumpcatcherError('invalid_header', `Header ${header} ${problem}.`, { details: { header } });
}

function required(headers: HeaderBag, name: string, pattern: RegExp, rule: string): string {
  const value = single(headers, name);
  if (value === undefined || value === '') throw invalidHeader(name, 'is missing');
  if (!pattern.test(value)) throw invalidHeader(name, `must be ${rule}`);
  return value;
}

/** Checks the form of every protocol header (names lowercased, as Node gives them). */
export function parseIngestHeaders(headers: HeaderBag): IngestHeaders {
  if (headers['content-encoding'] !== undefined) {
    throw new DumpcatcherError(
      'unsupported_encoding',
      'Content-Encoding is not accepted; send compressed bodies with X-Dumpcatcher-Body-Encoding: gzip.',
      { details: { header: 'content-encoding' } },
    );
  }
  const productKey = required(headers, 'x-dumpcatcher-key', ID_PATTERN, '8-64 chars of [A-Za-z0-9_-]');
  const clientId = required(headers, 'x-dumpcatcher-client', ID_PATTERN, '8-64 chars of [A-Za-z0-9_-]');
  const counter = required(
    headers,
    'x-dumpcatcher-counter',
    COUNTER_PATTERN,
    'a decimal from 1 to 2^53-1 without leading zeros',
  );
  if (!Number.isSafeInteger(Number(counter))) throw invalidHeader('x-dumpcatcher-counter', 'must be at most 2^53-1');
  const timestamp = required(
    headers,
    'x-dumpcatcher-timestamp',
    TIMESTAMP_PATTERN,
    'Unix seconds without leading zeros',
  );
  const encoding = single(headers, 'x-dumpcatcher-body-encoding') ?? 'identity';
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new DumpcatcherError('unsupported_encoding', 'X-Dumpcatcher-Body-Encoding must be identity or gzip.', {
      details: { header: 'x-dumpcatcher-body-encoding' },
    });
  }
  return {
    productKey,
    clientId,
    counter,
    timestamp,
    timestampSeconds: Number(timestamp),
    bodyEncoding: encoding,
    signature: single(headers, 'x-dumpcatcher-signature'),
  };
}

import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate, type Gunzip } from 'node:zlib';
import { DumpcatcherError } from './errors';

/** A request body sent with `Content-Encoding`, inflated by `readHeldBody` within its bound. */
export interface HeldBody {
  /** The `Content-Encoding` as sent, lower-cased. */
  encoding: string;
  bytes: Buffer;
}

// Requests whose body was hidden from the framework's parsers, with their Content-Encoding.
const held = new WeakMap<IncomingMessage, string>();
let installed = false;

/**
 * Hides every request body sent with a `Content-Encoding` from the Functions Framework's body
 * parsers, which would inflate it up to 1 GiB before any function runs and offer no option to
 * stop them. Node publishes `http.server.request.start` before the server's request listener
 * (the framework's express app) sees the request; the subscriber moves the body's framing
 * headers aside, so the parsers find no body and leave the stream unread for `readHeldBody`.
 * The framing itself is Node's parser's, not these headers', so the connection stays sound.
 * Idempotent; it applies to every HTTP server in the process.
 */
export function holdCompressedBodies(): void {
  if (installed) return;
  installed = true;
  subscribe('http.server.request.start', (message) => {
    const req = (message as { request?: IncomingMessage }).request;
    const header = req?.headers['content-encoding'];
    if (req === undefined || header === undefined) return;
    const encoding = header.trim().toLowerCase();
    if (encoding === 'identity') return;
    held.set(req, encoding);
    delete req.headers['content-encoding'];
    delete req.headers['content-length'];
    delete req.headers['transfer-encoding'];
  });
}

function decoderFor(encoding: string): Gunzip | null {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

/**
 * Inflates a held body, stopping as soon as the output passes `limitBytes`: a bomb costs at most
 * the limit plus one zlib chunk of memory, and answers 413 naming the limit. Undefined when the
 * request's body was not held (no `Content-Encoding`).
 */
export async function readHeldBody(req: IncomingMessage, limitBytes: number): Promise<HeldBody | undefined> {
  const encoding = held.get(req);
  if (encoding === undefined) return undefined;
  held.delete(req);
  const decoder = decoderFor(encoding);
  if (decoder === null) {
    req.resume();
    throw new DumpcatcherError('unsupported_encoding', `Content-Encoding "${encoding}" is not supported.`, {
      details: { header: 'content-encoding', supported: ['gzip', 'deflate', 'br'] },
    });
  }
  return new Promise<HeldBody>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err: DumpcatcherError | null) => {
      if (settled) return;
      settled = true;
      req.unpipe(decoder);
      decoder.destroy();
      if (err === null) return resolve({ encoding, bytes: Buffer.concat(chunks, size) });
      req.resume(); // the rest is read and dropped as it arrives, never kept
      reject(err);
    };
    decoder.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes)
        return settle(
          new DumpcatcherError(
            'payload_too_large',
            `The body is larger than ${limitBytes} bytes after Content-Encoding: ${encoding}.`,
            { details: { limitBytes, encoding } },
          ),
        );
      chunks.push(chunk);
    });
    decoder.on('end', () => settle(null));
    decoder.on('error', () =>
      settle(
        new DumpcatcherError('invalid_body', `The body is not valid ${encoding}.`, {
          details: { header: 'content-encoding', encoding },
        }),
      ),
    );
    const early = () => settle(new DumpcatcherError('invalid_body', 'The body ended early.'));
    req.on('aborted', early);
    req.on('error', early);
    req.pipe(decoder);
  });
}

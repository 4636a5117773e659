import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';

/** What one exchange came to: the answer's status, the headers the SDK reads, its body text. */
export type Exchange =
  | { kind: 'answer'; status: number; headers: { date?: string; 'retry-after'?: string }; body: string }
  | { kind: 'failed'; reason: string };

/** HTTP/1.1 POSTs over a few kept-alive sockets of its own (node:net / node:tls). */
export interface SocketPoster {
  /** Sends `head` (request line and headers, ending in an empty line) and `body`; never rejects. */
  post(head: string, body: Buffer): Promise<Exchange>;
  /** Closes every socket; requests in flight fail. */
  destroy(): void;
}

/** Where and how the poster connects. */
export interface SocketPosterSettings {
  /** Host name or bare IP address (no brackets). */
  host: string;
  port: number;
  secure: boolean;
  /** Idle timeout of a request (no byte sent or received for this long), as node:http's `setTimeout`. */
  timeoutMs: number;
  /** Sockets open at once; further requests wait for one. */
  maxSockets: number;
  /** Trusted certificates instead of Node's default store (tests only). */
  ca?: string;
  /** A monotonic clock in ms (tests replace it). */
  clock?: () => number;
}

// Servers close idle kept-alive connections (Node's after 5 s); reusing one in that moment
// costs a failed write, so an idle socket older than this is closed instead of reused.
export const MAX_IDLE_MS = 4000;
// The SDK reads nothing but the status, two headers and a small JSON body.
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 64 * 1024;

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1');

interface Pending {
  data: Buffer;
  resolve: (result: Exchange) => void;
  /** Already sent once on a kept-alive socket that turned out to be closed. */
  resent: boolean;
}

/** Reads one HTTP/1.x answer from the bytes given to `feed`; `done` says when it is whole. */
class AnswerParser {
  status = 0;
  headers: { date?: string; 'retry-after'?: string } = {};
  /** The connection may carry another request afterwards. */
  persistent = false;
  done = false;
  /** Bytes past the end of the answer (a server must not send any). */
  extra = 0;
  private phase: 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' = 'head';
  private buf: Buffer | null = null;
  private remaining = 0;
  private readonly body: Buffer[] = [];
  private bodyBytes = 0;

  /** Takes the next bytes of the socket; throws on an answer it cannot read. */
  feed(chunk: Buffer): void {
    this.buf = this.buf === null || this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (!this.done && this.buf.length > 0) {
      if (!this.step()) break;
    }
    if (this.done) this.extra += this.buf.length;
  }

  /** The connection ended: whole when the body runs to the end of the connection. */
  end(): boolean {
    if (this.phase === 'close' && !this.done) {
      this.done = true;
      this.persistent = false;
    }
    return this.done;
  }

  bodyText(): string {
    return Buffer.concat(this.body).toString('utf8');
  }

  private keep(bytes: Buffer): void {
    if (this.bodyBytes + bytes.length <= MAX_BODY_BYTES) this.body.push(bytes);
    this.bodyBytes += bytes.length;
  }

  /** Consumes what it can from `buf`; false when it needs more bytes. */
  private step(): boolean {
    const buf = this.buf as Buffer;
    switch (this.phase) {
      case 'head': {
        const end = buf.indexOf(CRLF_CRLF);
        if (end < 0) {
          if (buf.length > MAX_HEAD_BYTES) throw new Error('answer head too large');
          return false;
        }
        this.buf = buf.subarray(end + 4);
        this.readHead(buf.toString('latin1', 0, end));
        return true;
      }
      case 'length': {
        const n = Math.min(this.remaining, buf.length);
        this.keep(buf.subarray(0, n));
        this.buf = buf.subarray(n);
        this.remaining -= n;
        if (this.remaining === 0) this.done = true;
        return true;
      }
      case 'close':
        this.keep(buf);
        this.buf = buf.subarray(buf.length);
        return true;
      case 'chunk-size': {
        const eol = buf.indexOf(10);
        if (eol < 0) {
          if (buf.length > 1024) throw new Error('bad chunk size');
          return false;
        }
        const line = buf.toString('latin1', 0, eol).replace(/\r$/, '');
        const size = line.split(';', 1)[0]?.trim() ?? '';
        if (!/^[0-9A-Fa-f]{1,8}$/.test(size)) throw new Error('bad chunk size');
        this.remaining = parseInt(size, 16);
        this.buf = buf.subarray(eol + 1);
        this.phase = this.remaining === 0 ? 'trailers' : 'chunk-data';
        return true;
      }
      case 'chunk-data': {
        const n = Math.min(this.remaining, buf.length);
        this.keep(buf.subarray(0, n));
        this.buf = buf.subarray(n);
        this.remaining -= n;
        if (this.remaining === 0) this.phase = 'chunk-end';
        return true;
      }
      case 'chunk-end':
      case 'trailers': {
        const eol = buf.indexOf(10);
        if (eol < 0) {
          if (buf.length > MAX_HEAD_BYTES) throw new Error('bad chunked answer');
          return false;
        }
        const empty = eol === 0 || (eol === 1 && buf[0] === 13);
        this.buf = buf.subarray(eol + 1);
        if (this.phase === 'chunk-end') {
          if (!empty) throw new Error('bad chunked answer');
          this.phase = 'chunk-size';
        } else if (empty) {
          this.done = true;
        }
        return true;
      }
    }
  }

  private readHead(head: string): void {
    const lines = head.split('\r\n');
    const statusLine = lines[0] ?? '';
    const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(statusLine);
    if (!m) throw new Error('not an HTTP/1.x answer');
    const http11 = m[1] === '1';
    const status = Number(m[2]);
    let length = -1;
    let chunked = false;
    let close = false;
    let keepAlive = false;
    const headers: { date?: string; 'retry-after'?: string } = {};
    for (let i = 1; i < lines.length; i += 1) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (length >= 0 && Number(value) !== length))
          throw new Error('bad Content-Length');
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        chunked = value.toLowerCase().endsWith('chunked');
        if (!chunked) throw new Error(`unsupported Transfer-Encoding ${value}`);
      } else if (name === 'connection') {
        const v = value.toLowerCase();
        if (v.includes('close')) close = true;
        if (v.includes('keep-alive')) keepAlive = true;
      } else if (name === 'date' || name === 'retry-after') {
        if (headers[name] === undefined) headers[name] = value;
      }
    }
    // 1xx (an unasked-for 100 Continue, 103 Early Hints): the real answer follows.
    if (status >= 100 && status < 200 && status !== 101) return;
    this.status = status;
    this.headers = headers;
    this.persistent = !close && (http11 || keepAlive);
    if (status === 204 || status === 304) {
      this.done = true;
    } else if (chunked) {
      this.phase = 'chunk-size';
    } else if (length >= 0) {
      this.phase = 'length';
      this.remaining = length;
      if (length === 0) this.done = true;
    } else {
      this.phase = 'close';
      this.persistent = false;
    }
  }
}

/** One socket and the request it carries, if any. */
class Connection {
  pending: Pending | null = null;
  parser: AnswerParser | null = null;
  /** Bytes of an answer arrived for the current request. */
  answered = false;
  /** Carried at least one whole exchange (so it may have gone stale while idle). */
  reused = false;
  idleSince = 0;
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly owner: {
      timeoutMs: number;
      release(c: Connection): void;
      dropped(c: Connection): void;
      resend(p: Pending): void;
    },
    readsWithOnread: boolean,
  ) {
    if (!readsWithOnread) socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onGone(null));
    socket.on('close', () => this.onGone(null));
    socket.on('error', (err: Error) => this.onGone(err));
    socket.on('timeout', () =>
      this.pending === null ? this.close() : this.fail(`network: no answer within ${owner.timeoutMs} ms`),
    );
  }

  start(p: Pending): void {
    this.pending = p;
    this.parser = new AnswerParser();
    this.answered = false;
    this.socket.write(p.data);
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
      this.owner.dropped(this);
    }
  }

  private finish(result: Exchange, reusable: boolean): void {
    const p = this.pending;
    this.pending = null;
    this.parser = null;
    if (reusable && !this.closed) {
      this.reused = true;
      this.owner.release(this);
    } else {
      this.close();
    }
    p?.resolve(result);
  }

  private fail(reason: string): void {
    this.finish({ kind: 'failed', reason }, false);
  }

  onData(chunk: Buffer): void {
    const parser = this.parser;
    if (parser === null) {
      // Nothing was asked: a server talking out of turn is not one to keep talking to.
      this.close();
      return;
    }
    this.answered = true;
    try {
      parser.feed(chunk);
    } catch (err) {
      this.fail(`network: ${(err as Error).message}`);
      return;
    }
    if (parser.done) this.complete(parser);
  }

  private complete(parser: AnswerParser): void {
    this.finish(
      { kind: 'answer', status: parser.status, headers: parser.headers, body: parser.bodyText() },
      parser.persistent && parser.extra === 0,
    );
  }

  private onGone(err: Error | null): void {
    const p = this.pending;
    const parser = this.parser;
    if (p !== null && parser !== null && parser.end()) {
      this.complete(parser);
      return;
    }
    if (p !== null && this.reused && !this.answered && !p.resent) {
      // The server closed the kept-alive connection before answering: once more on a new one.
      // Safe: the ingest answers "200 duplicate" for a report it already stored.
      this.pending = null;
      this.parser = null;
      this.close();
      p.resent = true;
      this.owner.resend(p);
      return;
    }
    if (p !== null) {
      this.fail(`network: ${err ? err.message : 'connection closed before the answer'}`);
      return;
    }
    this.close();
  }
}

/** Creates the poster; sockets are made on demand, kept alive, and never hold the process. */
export function createSocketPoster(settings: SocketPosterSettings): SocketPoster {
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  const waiting: Pending[] = [];
  let destroyed = false;
  const servername = isIP(settings.host) === 0 ? settings.host : undefined;
  const clock = settings.clock ?? (() => performance.now());
  const readBuffer = Buffer.alloc(16 * 1024);

  const owner = {
    timeoutMs: settings.timeoutMs,
    release(c: Connection): void {
      if (destroyed) {
        c.close();
        return;
      }
      const next = waiting.shift();
      if (next) {
        c.start(next);
        return;
      }
      c.idleSince = clock();
      idle.push(c);
    },
    dropped(c: Connection): void {
      all.delete(c);
      const i = idle.indexOf(c);
      if (i >= 0) idle.splice(i, 1);
      const next = waiting.shift();
      if (next) dispatch(next);
    },
    resend(p: Pending): void {
      dispatch(p, true);
    },
  };

  const open = (): Connection => {
    const socket: Socket = settings.secure
      ? tlsConnect({
          host: settings.host,
          port: settings.port,
          ...(servername !== undefined ? { servername } : {}),
          ALPNProtocols: ['http/1.1'],
          ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
        })
      : netConnect({
          host: settings.host,
          port: settings.port,
          // Answers are read straight into one buffer, past the stream machinery of 'data' events.
          onread: { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => onRead(n, buf) },
        });
    socket.setNoDelay(true);
    // The SDK must never keep the process alive: flush() and the exit hook hold it when they want to.
    socket.unref();
    socket.setTimeout(settings.timeoutMs);
    const c = new Connection(socket, owner, !settings.secure);
    const onRead = (n: number, buf: Uint8Array): boolean => {
      // The buffer is shared and overwritten by the next read: what is kept is copied.
      c.onData(Buffer.from(buf.subarray(0, n)));
      return true;
    };
    all.add(c);
    return c;
  };

  const dispatch = (p: Pending, fresh = false): void => {
    if (destroyed) {
      p.resolve({ kind: 'failed', reason: 'network: transport closed' });
      return;
    }
    if (!fresh) {
      const now = clock();
      // Newest first: the one least likely to have been closed by the server.
      for (let c = idle.pop(); c !== undefined; c = idle.pop()) {
        if (now - c.idleSince <= MAX_IDLE_MS && !c.socket.destroyed) {
          c.start(p);
          return;
        }
        c.close();
      }
    }
    if (all.size >= settings.maxSockets) {
      waiting.push(p);
      return;
    }
    try {
      open().start(p);
    } catch (err) {
      p.resolve({ kind: 'failed', reason: `network: ${(err as Error).message}` });
    }
  };

  return {
    post(head, body) {
      return new Promise<Exchange>((resolve) => {
        const data = Buffer.allocUnsafe(head.length + body.length);
        data.write(head, 0, 'latin1');
        body.copy(data, head.length);
        dispatch({ data, resolve, resent: false });
      });
    },
    destroy() {
      destroyed = true;
      for (const p of waiting.splice(0)) p.resolve({ kind: 'failed', reason: 'network: transport closed' });
      for (const c of [...all]) c.close();
    },
  };
}

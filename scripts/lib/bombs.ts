import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { constants, createGzip } from 'node:zlib';

/**
 * A gzip bomb: `inflatedBytes` of zeros, compressed about a thousandfold, with its trailer
 * corrupted so that a parser which inflates it all still fails at the very end.
 */
export async function gzipBomb(inflatedBytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: constants.Z_BEST_COMPRESSION });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  const zeros = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < inflatedBytes; written += zeros.length) {
    const slice = zeros.subarray(0, Math.min(zeros.length, inflatedBytes - written));
    if (!gzip.write(slice)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await done;
  const bomb = Buffer.concat(chunks);
  bomb.writeUInt32LE(~bomb.readUInt32LE(bomb.length - 8) >>> 0, bomb.length - 8); // the CRC32
  return bomb;
}

/** An answer to a bomb: status, content type and body text. */
export interface BombAnswer {
  status: number;
  contentType: string;
  text: string;
  ms: number;
}

/** POSTs (or PUTs) `body` with `Content-Encoding: gzip` and the given headers, no credentials. */
export function sendBomb(url: string, method: string, body: Buffer, contentType: string): Promise<BombAnswer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: { 'Content-Type': contentType, 'Content-Encoding': 'gzip', 'Content-Length': body.length },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(parts).toString('utf8'),
            ms: Date.now() - started,
          }),
        );
      },
    );
    // The server may answer before it has read the whole body and close: that is its right.
    req.on('error', reject);
    req.end(body);
  });
}

/** Resident memory of a process in bytes (Linux `/proc/<pid>/status`). */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

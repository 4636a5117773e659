/**
 * Load for the ingest benchmarks: pre-signed ~2 KB crash reports, a closed-loop sender over
 * keep-alive HTTP, and a process's CPU time. Shared by `bench:ingest` and `bench:ingest-ab`.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { buildSignedRequest, newClientId, sampleCrash } from './client';

/** Client ids the load is spread over (each with its own counter). */
export const CLIENTS = 256;
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) a process has used, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime + stime
}

/** A crash body of about 2 KB: `sampleCrash` with a 29-line Java trace, label, tags, runtime and OS. */
function crashBody(): object {
  const frames = Array.from(
    { length: 28 },
    (_, i) => `\tat com.example.shop.Service${i}.handle(Service${i}.java:${40 + i})`,
  ).join('\n');
  return sampleCrash({
    exception: {
      type: 'java.lang.IllegalStateException',
      message: 'cart is empty',
      stacktrace: `java.lang.IllegalStateException: cart is empty\n${frames}`,
    },
    app: { name: 'bench-shop', version: '3.4.5' },
    label: 'checkout',
    runtime: { name: 'java', version: '17.0.15' },
    os: { name: 'linux', version: '6.1', arch: 'x64' },
    tags: { region: 'eu-west', tier: 'gold' },
  });
}

/** One signed request, ready to send. */
export interface Prepared {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** `n` signed crash reports for `url`, from CLIENTS fresh client ids. */
export function prepare(url: string, product: { productKey: string; secret: string }, n: number): Prepared[] {
  const clients = Array.from({ length: CLIENTS }, () => ({ id: newClientId(), counter: 0 }));
  return Array.from({ length: n }, (_, i) => {
    const client = clients[i % CLIENTS]!;
    client.counter++;
    const req = buildSignedRequest({
      baseUrl: url,
      productKey: product.productKey,
      secret: product.secret,
      clientId: client.id,
      counter: client.counter,
      body: crashBody(),
    });
    return {
      path: '/v1/crashes',
      headers: { ...req.headers, 'Content-Length': String(req.body.length) },
      body: req.body,
    };
  });
}

/** What `fire` saw: wall time, answers by status (0: no answer), mean latency in ms. */
export interface Fired {
  seconds: number;
  statuses: Record<number, number>;
  meanLatencyMs: number;
}

/** Sends `requests` at `concurrency` over keep-alive connections, each sender waiting for its answer. */
export async function fire(url: string, requests: Prepared[], concurrency = 64): Promise<Fired> {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: Record<number, number> = {};
  let next = 0;
  let latencyNs = 0n;
  const send = (r: Prepared) =>
    new Promise<void>((resolve) => {
      const sentAt = process.hrtime.bigint();
      const req = request({ hostname, port, path: r.path, method: 'POST', headers: r.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          latencyNs += process.hrtime.bigint() - sentAt;
          resolve();
        });
      });
      req.on('error', () => {
        statuses[0] = (statuses[0] ?? 0) + 1;
        resolve();
      });
      req.end(r.body);
    });
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) await send(requests[next++]!);
    }),
  );
  agent.destroy();
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    statuses,
    meanLatencyMs: Number(latencyNs / BigInt(Math.max(1, requests.length))) / 1e6,
  };
}

/**
 * Runs `run` and returns its result with the CPU seconds `pid` used, read `settleMs` after it
 * ends: work a chunk leaves behind (V8 finishing a garbage collection on its background
 * threads) counts for that chunk, not for whatever runs next in the process.
 */
export async function measureCpu<T>(pid: number, run: () => Promise<T>, settleMs = 1000): Promise<[T, number]> {
  const c0 = cpuSeconds(pid);
  const result = await run();
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  return [result, cpuSeconds(pid) - c0];
}

/** The middle value (the upper one of the two middles for an even count). */
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
}

/**
 * Load for the ingest benchmark: pre-signed ~2 KB crash reports, a closed-loop sender (as fast
 * as answers come) and an open-loop one (on a schedule, whatever the answers), over keep-alive
 * HTTP, and a way to serve the ingest as built from another commit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { buildSignedRequest, newClientId, sampleCrash } from './client';

/** Client ids the load is spread over (each with its own counter). */
export const CLIENTS = 256;

/** CPU time (user + system, all threads) a process has used, in seconds (Linux clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
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

/** What a sender saw: wall time, answers by status (0: no answer), each answer's latency in ms. */
export interface Fired {
  seconds: number;
  statuses: Record<number, number>;
  latenciesMs: number[];
}

function sender(url: string, maxSockets: number) {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets });
  const statuses: Record<number, number> = {};
  const latenciesMs: number[] = [];
  const send = (r: Prepared) =>
    new Promise<void>((resolve) => {
      const sentAt = performance.now();
      const done = (status: number) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        latenciesMs.push(performance.now() - sentAt);
        resolve();
      };
      const req = request({ hostname, port, path: r.path, method: 'POST', headers: r.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      });
      req.on('error', () => done(0));
      req.end(r.body);
    });
  return { send, statuses, latenciesMs, close: () => agent.destroy() };
}

/** Sends `requests` at `concurrency` over keep-alive connections, each sender waiting for its answer. */
export async function fire(url: string, requests: Prepared[], concurrency = 64): Promise<Fired> {
  const s = sender(url, concurrency);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) await s.send(requests[next++]!);
    }),
  );
  s.close();
  return { seconds: (performance.now() - started) / 1000, statuses: s.statuses, latenciesMs: s.latenciesMs };
}

/**
 * Sends `requests` at `perSecond`, each when it is due whatever the earlier ones are doing (an
 * open loop, like independent clients), and waits for every answer.
 */
export async function firePaced(url: string, requests: Prepared[], perSecond: number): Promise<Fired> {
  const s = sender(url, 1024);
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  let next = 0;
  while (next < requests.length) {
    const due = Math.floor(((performance.now() - started) / 1000) * perSecond) + 1;
    while (next < Math.min(due, requests.length)) pending.push(s.send(requests[next++]!));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(pending);
  s.close();
  return { seconds: (performance.now() - started) / 1000, statuses: s.statuses, latenciesMs: s.latenciesMs };
}

/** The `p`-th percentile (0–100) of `xs`, nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Builds `ref`'s functions into .local/ab/<commit> (kept for the next run) and returns that folder. */
export function buildRef(root: string, ref: string): { dir: string; commit: string } {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const dir = join(root, '.local', 'ab', commit);
  if (!existsSync(join(dir, 'lib', 'index.js'))) {
    mkdirSync(dir, { recursive: true });
    const files = ['functions', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
    const tar = execFileSync('git', ['archive', '--format=tar', commit, ...files], { cwd: root, maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: dir,
      stdio: 'inherit',
    });
  }
  return { dir, commit };
}

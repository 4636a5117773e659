/**
 * Helpers for the cross-language end-to-end tests: run a real program (python3, java, node) as
 * a child process with a product, a queue folder and an endpoint of its own, then watch what
 * reaches the Firestore emulator.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest, createServer as createHttpServer } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeFingerprint, type FingerprintResult } from '../../functions/src/rollup/fingerprint';
import { requireEnv, testDb } from '../emulator/helpers';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/** What a finished child process left behind. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (killing it after `timeoutMs`); never rejects for a non-zero exit. */
export function runProgram(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Fails with the program's output when it did not exit with `expected`. */
export function expectExit(result: RunResult, expected: number): void {
  if (result.code !== expected) {
    throw new Error(
      `expected exit code ${expected}, got ${String(result.code)} (signal ${String(result.signal)}) after ${result.ms} ms\n` +
        `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
}

const tempDirs: string[] = [];

/** A fresh folder under the OS temp dir, removed by `removeTempDirs`. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dc-e2e-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder `makeTempDir` made in this test file. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A product of the test stack and the SDK settings a program needs to report to it. */
export interface Target {
  productKey: string;
  secret: string;
}

/** Where a program run reports to, and where its SDK keeps its files. */
export interface RunOptions {
  /** The SDK's queue folder (E2E_QUEUE_DIR); without it the SDK uses its default under XDG_CACHE_HOME. */
  queueDir?: string;
  /** The folder holding XDG_CONFIG_HOME and XDG_CACHE_HOME; by default next to `queueDir`. */
  xdgDir?: string;
  /** The ingest base URL; by default the test stack's. */
  endpoint?: string;
  /** More environment (opt-outs, E2E_SHUTDOWN_TIMEOUT_MS, NODE_DEBUG). */
  extra?: Record<string, string>;
}

/**
 * The environment of a program run: the test's own PATH and HOME, but no opt-out or SDK
 * setting inherited from whoever runs the tests, its own config and cache folders, and the
 * E2E_* settings the programs read.
 */
export function programEnv(target: Target, options: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'DO_NOT_TRACK' || name.startsWith('DUMPCATCHER_') || name === 'NODE_DEBUG' || name === 'NODE_OPTIONS')
      continue;
    if (name.startsWith('XDG_') || name === 'JAVA_TOOL_OPTIONS' || name === '_JAVA_OPTIONS') continue;
    env[name] = value;
  }
  const xdg = options.xdgDir ?? (options.queueDir !== undefined ? join(options.queueDir, '..', 'xdg') : undefined);
  if (xdg === undefined) throw new Error('programEnv needs a queueDir or an xdgDir');
  return {
    ...env,
    LANG: 'C.UTF-8',
    XDG_CONFIG_HOME: join(xdg, 'config'),
    XDG_CACHE_HOME: join(xdg, 'cache'),
    E2E_ENDPOINT: options.endpoint ?? requireEnv('DUMPCATCHER_INGEST_URL'),
    E2E_PRODUCT_KEY: target.productKey,
    E2E_SECRET: target.secret,
    ...(options.queueDir !== undefined ? { E2E_QUEUE_DIR: options.queueDir } : {}),
    ...options.extra,
  };
}

/** A queue folder (not yet created: the SDK makes it) inside a temp folder of its own. */
export function newQueueDir(prefix: string): string {
  return join(makeTempDir(prefix), 'queue');
}

const REPORT_FILE = /^\d+-[A-Za-z0-9_-]{8,64}-\d+\.json$/;

/** The report files in a queue folder (`<createdAtMillis>-<clientId>-<counter>.json`), none if it does not exist. */
export function reportFiles(queueDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(queueDir);
  } catch {
    return [];
  }
  return names.filter((name) => REPORT_FILE.test(name)).sort();
}

/** Every entry of a folder, none if it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The queue file's envelope (docs/sdks.md: v, path, clientId, counter, createdAt, body). */
export interface QueueFile {
  v: number;
  path: string;
  clientId: string;
  counter: number;
  body: { reportId: string };
}

/** Reads one queue file. */
export function readQueueFile(queueDir: string, name: string): QueueFile {
  return JSON.parse(readFileSync(join(queueDir, name), 'utf8')) as QueueFile;
}

/** One way of opting out: extra environment, and a file to write next to the run's queue folder first. */
export interface OptOutCase {
  name: string;
  env: Record<string, string>;
  prepare?: (queueDir: string) => void;
}

/**
 * The ways a user opts out (docs/sdks.md, Opt-out): DO_NOT_TRACK, DUMPCATCHER_DISABLED, a
 * config file named by DUMPCATCHER_CONFIG, and the default config file under XDG_CONFIG_HOME.
 */
export function optOutCases(dir: string): OptOutCase[] {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'dumpcatcher-config.json');
  writeFileSync(config, JSON.stringify({ enabled: false }));
  return [
    { name: 'DO_NOT_TRACK=1', env: { DO_NOT_TRACK: '1' } },
    { name: 'DUMPCATCHER_DISABLED=1', env: { DUMPCATCHER_DISABLED: '1' } },
    { name: 'DUMPCATCHER_CONFIG naming a file with {"enabled": false}', env: { DUMPCATCHER_CONFIG: config } },
    {
      name: '$XDG_CONFIG_HOME/dumpcatcher/config.json with {"enabled": false}',
      env: {},
      prepare: (queueDir) => {
        // programEnv puts XDG_CONFIG_HOME at <queueDir>/../xdg/config.
        const file = join(queueDir, '..', 'xdg', 'config', 'dumpcatcher', 'config.json');
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, JSON.stringify({ enabled: false }));
      },
    },
  ];
}

/** A stored document of `products/{key}/crashes` or `usage`, with its id. */
export type StoredDoc = Record<string, unknown> & { id: string };

/** Every document of a product's crashes or usage. */
export async function storedDocs(productKey: string, collection: 'crashes' | 'usage'): Promise<StoredDoc[]> {
  const snap = await testDb().collection('products').doc(productKey).collection(collection).get();
  return snap.docs.map((d) => ({ ...d.data(), id: d.id }));
}

/**
 * Polls a product's crashes or usage until at least `atLeast` documents are there or the
 * deadline passes, and returns them (so the caller asserts the exact number).
 */
export async function waitForDocs(
  productKey: string,
  collection: 'crashes' | 'usage',
  atLeast: number,
  deadlineMs = 20_000,
): Promise<StoredDoc[]> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const docs = await storedDocs(productKey, collection);
    if (docs.length >= atLeast || Date.now() > end) return docs;
    await sleep(250);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An http URL on 127.0.0.1 where nothing listens (a port that was just free). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetUrl`: its first `failFirst` connections are reset
 * as soon as they are accepted (a network that fails, then recovers), and every forwarded
 * connection waits `delayMs` before its first byte goes through (a slow network).
 */
export async function startProxy(targetUrl: string, options: { failFirst?: number; delayMs?: number } = {}) {
  const target = new URL(targetUrl);
  let connections = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    connections += 1;
    track(client);
    if (connections <= (options.failFirst ?? 0)) {
      client.resetAndDestroy();
      return;
    }
    client.pause();
    const upstream = new Socket();
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    const timer = setTimeout(() => {
      upstream.connect(Number(target.port), target.hostname, () => {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    }, options.delayMs ?? 0);
    client.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One request that went through a recording proxy, and the status the ingest answered. */
export interface Exchange {
  clientId: string;
  counter: string;
  at: number;
  /** `X-Dumpcatcher-Body-Encoding` as sent (`identity` when absent). */
  encoding: string;
  status: number;
  retryAfter: string | undefined;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of `targetUrl` that forwards every request byte for
 * byte and records, per request, the client id and counter headers, when it arrived and what
 * the ingest answered.
 */
export async function startRecordingProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const exchanges: Exchange[] = [];
  const server = createHttpServer((req, res) => {
    const at = Date.now();
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        exchanges.push({
          clientId: String(req.headers['x-dumpcatcher-client']),
          counter: String(req.headers['x-dumpcatcher-counter']),
          encoding: String(req.headers['x-dumpcatcher-body-encoding'] ?? 'identity'),
          at,
          status: answer.statusCode ?? 0,
          retryAfter: answer.headers['retry-after'],
        });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    exchanges,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Checks the wire record of a burst against a rate-limited ingest: some requests were
 * answered 429 with `Retry-After: 1`, and no report was tried again sooner than that after a
 * 429 (a little slack for timers). Returns how many 429s there were.
 */
export function expectRetryAfterHonoured(exchanges: readonly Exchange[]): number {
  const limited = exchanges.filter((e) => e.status === 429);
  expect(limited.length).toBeGreaterThan(0);
  for (const answer of limited) {
    expect(answer.retryAfter).toBe('1');
    const next = exchanges.find(
      (e) => e.clientId === answer.clientId && e.counter === answer.counter && e.at > answer.at,
    );
    // Every refused report was tried again (and the test checks it landed).
    expect(next).toBeDefined();
    expect(next!.at - answer.at).toBeGreaterThanOrEqual(950);
  }
  return limited.length;
}

/**
 * Sets the product's ingest limit to 60 a minute (bursts of 60, then one a second), runs
 * `processes` programs at once through a recording proxy, each capturing `perProcess` crash
 * reports, and checks that some were refused with 429, that Retry-After was honoured and that
 * every report landed exactly once with nothing left in any queue.
 */
export async function expectRateLimitedBurstDeliveredOnce(
  target: Target,
  runBurst: (queueDir: string, endpoint: string, count: number) => Promise<RunResult>,
  options: { prefix: string; processes?: number; perProcess?: number },
): Promise<void> {
  const processes = options.processes ?? 3;
  const perProcess = options.perProcess ?? 22;
  await testDb().collection('productSecrets').doc(target.productKey).update({ rateLimitPerMinute: 60 });
  await sleep(1100); // the test stack caches products for 1 s
  const proxy = await startRecordingProxy(requireEnv('DUMPCATCHER_INGEST_URL'));
  try {
    const queueDirs = Array.from({ length: processes }, (_, i) => newQueueDir(`${options.prefix}-${i}`));
    const runs = await Promise.all(queueDirs.map((queueDir) => runBurst(queueDir, proxy.url, perProcess)));
    for (const run of runs) expectExit(run, 0);
    expectRetryAfterHonoured(proxy.exchanges);

    const total = processes * perProcess;
    const docs = await waitForDocs(target.productKey, 'crashes', total);
    expect(docs).toHaveLength(total);
    expect(new Set(docs.map((d) => `${String(d.clientId)}/${String(d.counter)}`)).size).toBe(total);
    expect(new Set(docs.map((d) => d.reportId)).size).toBe(total);
    expect(new Set(docs.map((d) => `${String(d.clientId)} ${String(exceptionOf(d).message)}`)).size).toBe(total);
    for (const queueDir of queueDirs) expect(reportFiles(queueDir)).toEqual([]);
  } finally {
    await proxy.close();
  }
}

/**
 * A crash loop: `runs` processes, one after the other, each dying of the same crash with
 * maxReportsPerFingerprint 3 and one queue folder; then `settle` (for an SDK whose crashed
 * process leaves the report to the next start). The client-side limiter must hold across the
 * processes: exactly 3 reports are stored and nothing is left queued.
 */
export async function expectCrashLoopLimited(
  target: Target,
  runCrash: (queueDir: string, extra: Record<string, string>) => Promise<RunResult>,
  options: { prefix: string; runs?: number; settle?: (queueDir: string) => Promise<RunResult> },
): Promise<void> {
  const queueDir = newQueueDir(options.prefix);
  for (let i = 0; i < (options.runs ?? 5); i++) {
    expectExit(await runCrash(queueDir, { E2E_MAX_PER_FINGERPRINT: '3' }), 1);
  }
  if (options.settle) expectExit(await options.settle(queueDir), 0);
  const docs = await waitForDocs(target.productKey, 'crashes', 3);
  expect(docs).toHaveLength(3);
  expect(reportFiles(queueDir)).toEqual([]);
  await sleep(500);
  expect(await storedDocs(target.productKey, 'crashes')).toHaveLength(3);
}

/** POSTs the rollup, as Cloud Scheduler does, until it says it has caught up. */
export async function rollUp(): Promise<void> {
  const url = requireEnv('DUMPCATCHER_ROLLUP_URL');
  for (let i = 0; i < 50; i++) {
    const res = await fetch(url, { method: 'POST' });
    const summary = (await res.json()) as { caughtUp?: boolean };
    if (res.status !== 200) throw new Error(`rollup answered ${res.status}: ${JSON.stringify(summary)}`);
    if (summary.caughtUp === true) return;
  }
  throw new Error('the rollup did not catch up in 50 runs');
}

/** The issues of a product, by fingerprint. */
export async function issuesOf(productKey: string): Promise<Map<string, Record<string, unknown>>> {
  const snap = await testDb().collection('products').doc(productKey).collection('issues').get();
  return new Map(snap.docs.map((d) => [d.id, d.data()]));
}

/** The stored crash's exception fields. */
export function exceptionOf(doc: StoredDoc): { type: string; message?: string; stacktrace: string } {
  return doc.exception as { type: string; message?: string; stacktrace: string };
}

/** What the rollup's grouping gives for a stored crash (the same inputs the rollup uses). */
export function fingerprintOf(doc: StoredDoc): FingerprintResult {
  const exception = exceptionOf(doc);
  return computeFingerprint({
    type: exception.type,
    message: exception.message,
    stacktrace: exception.stacktrace,
    runtime: (doc.runtime as { name?: string } | undefined)?.name,
  });
}

/** A copy of a program file with `lines` comment lines added at the top, so every line number moves. */
export function writeShiftedCopy(source: string, dest: string, lines: number, comment: string): void {
  const text = readFileSync(source, 'utf8');
  const padding = Array.from({ length: lines }, (_, i) => `${comment} line added above the crash site (${i + 1})`).join(
    '\n',
  );
  mkdirSync(join(dest, '..'), { recursive: true });
  writeFileSync(dest, `${padding}\n${text}`);
}

/**
 * Rolls the product's crashes up and checks the grouping of three runs of one program: `same`
 * (two runs whose line numbers differ) must be one issue of count 2, `other` (another call
 * path) an issue of its own, and each issue's type and culprit must be what
 * computeFingerprint gives for the stored trace. Returns the three fingerprints.
 */
export async function expectGroupedAsFixturesSay(
  productKey: string,
  runs: { same: [StoredDoc, StoredDoc]; other: StoredDoc },
): Promise<{ same: FingerprintResult; other: FingerprintResult }> {
  const [a, b] = runs.same;
  // The two runs really differ in line numbers, else the check below proves nothing.
  expect(exceptionOf(a).stacktrace).not.toBe(exceptionOf(b).stacktrace);
  await rollUp();
  const issues = await issuesOf(productKey);
  const fa = fingerprintOf(a);
  const fb = fingerprintOf(b);
  const fo = fingerprintOf(runs.other);
  expect(fa.source).toBe('frames');
  expect(fb.fingerprint).toBe(fa.fingerprint);
  expect(fo.fingerprint).not.toBe(fa.fingerprint);
  expect([...issues.keys()].sort()).toEqual([fa.fingerprint, fo.fingerprint].sort());
  for (const [doc, f, count] of [
    [a, fa, 2],
    [runs.other, fo, 1],
  ] as const) {
    const issue = issues.get(f.fingerprint);
    expect(issue).toMatchObject({
      fingerprint: f.fingerprint,
      source: 'frames',
      type: exceptionOf(doc).type,
      title: f.title,
      culprit: f.culprit ?? null,
      count,
    });
  }
  return { same: fa, other: fo };
}

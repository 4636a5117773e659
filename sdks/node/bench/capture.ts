/**
 * CPU time per captured exception and event-loop delay while capturing: Dumpcatcher vs
 * @sentry/node, each in its own child process (so neither SDK's instrumentation touches the
 * other). Run with `npm run bench:sdk-node` at the repo root. Two scenarios:
 * - `http`: both send every event over HTTP to a loopback sink run by this parent process (so
 *   the sink's own work is not counted);
 * - `no-network`: the same pipelines with the last step replaced: Sentry gets a custom
 *   transport (made with its own `createTransport`, so envelopes are still serialized) that
 *   answers 200 at once; Dumpcatcher gets a transport that still serializes and signs each
 *   request and answers 202 at once. Dumpcatcher still writes and removes its queue file.
 * - `no-network-tmpfs` (Dumpcatcher only, when /dev/shm exists): as `no-network` with the queue
 *   folder on tmpfs, to show how much of the cost is the file system's (creating a file is
 *   slow on some virtual disks).
 *
 * Then Dumpcatcher alone, in the no-network scenario, by feature (`variants`): without source
 * context and breadcrumbs, with source context only, with a full ring of 100 breadcrumbs only,
 * and with both (its defaults); and what one `console.log` costs the app with the automatic
 * `console` breadcrumbs on and off (the app's console writes to a stream that drops the text).
 *
 * Both SDKs run their full pipeline for every capture: Sentry's Dedupe integration (which drops
 * a repeat of the previous event) and Dumpcatcher's per-fingerprint limiter (which drops
 * repeats after 10 per hour) are switched off, and every capture uses a fresh Error object
 * thrown from the same place (both SDKs skip an object they have already captured).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';

const CPU_CAPTURES = Number(process.env.BENCH_CAPTURES ?? 2000);
const BATCH = 20;
// Each (scenario, SDK) runs this many times, interleaved, and the run with the median CPU per
// capture is shown: the development machines are shared, and single runs vary by ±30 %.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = 100;
const LOOP_CAPTURES = 200;
const LOOP_INTERVAL_MS = 5;

type SdkName = 'dumpcatcher' | 'sentry';
type Scenario = 'http' | 'no-network' | 'no-network-tmpfs';
/** Dumpcatcher's features in a run: `default` is its defaults as an app gets them (source context on, the ring as the app fills it). */
type Variant = 'default' | 'bare' | 'source-context' | 'breadcrumbs' | 'both';
const VARIANTS: Variant[] = ['bare', 'source-context', 'breadcrumbs', 'both'];
const CONSOLE_CALLS = 2000;
const CONSOLE_ROUNDS = 40;

interface Result {
  sdk: SdkName;
  scenario: Scenario;
  variant: Variant;
  /** µs per console.log call with the automatic console breadcrumbs on / off (variant runs only). */
  consoleUsOn?: number;
  consoleUsOff?: number;
  captures: number;
  cpuUsPerCapture: number;
  baselineCpuUsPerError: number;
  syncUsMean: number;
  syncUsP99: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  baselineLoopDelayP99Ms: number;
  baselineLoopDelayMaxMs: number;
  received: number;
}

interface Sdk {
  capture(err: Error): void;
  flush(): Promise<boolean>;
}

// The exception both SDKs capture: same type, message and stack every time.
function failingOperation(orderId: number): never {
  throw new TypeError(`Cannot read properties of undefined (reading 'total') in order ${orderId % 1}`);
}
function makeError(): Error {
  try {
    failingOperation(42);
  } catch (err) {
    return err as Error;
  }
}

/** What every Dumpcatcher client of the bench is, besides its sink and queue. */
const BENCH_APP = {
  productKey: 'pk_bench_node_01',
  secret: 'bench-secret-not-for-production',
  appName: 'bench',
  appVersion: '1.0.0',
};

/** A breadcrumb as an app might add it: a sentence and a few data entries. */
const APP_BREADCRUMB = {
  category: 'checkout',
  message: 'cart 81723 priced: 3 items, coupon SPRING applied, shipping to warehouse 12',
  data: { items: 3, coupon: 'SPRING', express: false, warehouse: 'eu-west-12' },
};

function variantOptions(variant: Variant): { sourceContext?: boolean; maxBreadcrumbs?: number } {
  switch (variant) {
    case 'bare':
      return { sourceContext: false, maxBreadcrumbs: 0 };
    case 'source-context':
      return { maxBreadcrumbs: 0 };
    case 'breadcrumbs':
      return { sourceContext: false };
    default:
      return {};
  }
}

async function loadSdk(
  name: SdkName,
  scenario: Scenario,
  sink: string,
  queueDir: string,
  variant: Variant,
): Promise<Sdk> {
  if (name === 'dumpcatcher') {
    const { createClient } = await import('../src/client.ts');
    const { computeSignature } = await import('../src/signing.ts');
    const client = createClient(
      {
        ...BENCH_APP,
        endpoint: sink,
        queueDir,
        maxReportsPerFingerprint: 1e9,
        // The console kind is measured on its own (measureConsole), not inside the capture loop.
        autoBreadcrumbs: { console: false },
        ...variantOptions(variant),
      },
      scenario === 'http'
        ? {}
        : {
            makeTransport: (settings) => ({
              async send(entry, timestampSeconds, bodyJson) {
                const body = Buffer.from(bodyJson ?? JSON.stringify(entry.body), 'utf8');
                computeSignature(settings.secret, {
                  method: 'POST',
                  path: entry.path,
                  productKey: settings.productKey,
                  clientId: entry.clientId,
                  counter: String(entry.counter),
                  timestamp: String(timestampSeconds),
                  bodyEncoding: 'identity',
                  body,
                });
                return { kind: 'delivered', status: 202, duplicate: false };
              },
              destroy() {},
            }),
          },
    );
    // A full ring: every capture carries 100 breadcrumbs.
    if (variant === 'breadcrumbs' || variant === 'both')
      for (let i = 0; i < 100; i += 1) client.addBreadcrumb(APP_BREADCRUMB);
    return { capture: (err) => void client.captureException(err), flush: () => client.flush(10_000) };
  }
  const Sentry = await import('@sentry/node');
  const url = new URL(sink);
  Sentry.init({
    dsn: `http://public@${url.host}/1`,
    release: 'bench@1.0.0',
    integrations: (defaults) => defaults.filter((i) => i.name !== 'Dedupe'),
    sendClientReports: false,
    ...(scenario === 'http'
      ? {}
      : { transport: (options) => Sentry.createTransport(options, () => Promise.resolve({ statusCode: 200 })) }),
  });
  return { capture: (err) => void Sentry.captureException(err), flush: () => Sentry.flush(10_000) };
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function measureLoopDelay(work: (() => void) | null): Promise<{ p99: number; max: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  for (let i = 0; i < LOOP_CAPTURES; i += 1) {
    work?.();
    await sleep(LOOP_INTERVAL_MS);
  }
  h.disable();
  return { p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}

/**
 * µs per `console.log` call of a short formatted line, with Dumpcatcher's console breadcrumbs
 * on and off, in interleaved rounds (the median of each side is reported; a shared machine makes
 * single rounds vary a lot); the app's console writes to a stream that drops the text, so the
 * figure is the call and the breadcrumb, not the terminal.
 */
async function measureConsole(sink: string, queueDir: string): Promise<{ on: number; off: number }> {
  const { createClient } = await import('../src/client.ts');
  const { listenForBreadcrumbs } = await import('../src/auto-breadcrumbs.ts');
  const quiet = new console.Console(new Writable({ write: (_chunk, _enc, done) => done() }));
  const saved = console.log;
  console.log = quiet.log.bind(quiet);
  const perCall = (): number => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CONSOLE_CALLS; i += 1) console.log('order %d shipped to %s', i, 'warehouse 12');
    return Number(process.hrtime.bigint() - t0) / 1000 / CONSOLE_CALLS;
  };
  // The client's own addBreadcrumb is what the console kind calls.
  const client = createClient({
    ...BENCH_APP,
    endpoint: sink,
    queueDir,
    autoBreadcrumbs: false,
    autoSessionTracking: false,
  });
  const on: number[] = [];
  const off: number[] = [];
  try {
    for (let i = 0; i < 5; i += 1) perCall();
    for (let round = 0; round < CONSOLE_ROUNDS; round += 1) {
      off.push(perCall());
      const stop = listenForBreadcrumbs({ kinds: { console: true, http: false }, add: client.addBreadcrumb });
      on.push(perCall());
      stop();
    }
  } finally {
    console.log = saved;
    await client.close();
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  return { on: median(on), off: median(off) };
}

async function runChild(name: SdkName, scenario: Scenario, sink: string, variant: Variant): Promise<void> {
  const queueDir = mkdtempSync(join(scenario === 'no-network-tmpfs' ? '/dev/shm' : tmpdir(), 'dc-bench-'));
  try {
    // Baseline: what making the error alone costs, subtracted from nothing but shown beside.
    const b0 = cpuMicros();
    for (let i = 0; i < CPU_CAPTURES; i += 1) void makeError().stack;
    const baselineCpu = (cpuMicros() - b0) / CPU_CAPTURES;
    const baselineLoop = await measureLoopDelay(null);

    const sdk = await loadSdk(name, scenario, sink, queueDir, variant);
    for (let i = 0; i < WARMUP; i += 1) sdk.capture(makeError());
    await sdk.flush();

    const c0 = cpuMicros();
    for (let done = 0; done < CPU_CAPTURES; done += BATCH) {
      for (let i = 0; i < BATCH; i += 1) sdk.capture(makeError());
      await sdk.flush();
    }
    const cpuPerCapture = (cpuMicros() - c0) / CPU_CAPTURES;

    // Time each call spends on the caller's stack (what blocks the event loop).
    const syncTimes: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      const err = makeError();
      const t0 = process.hrtime.bigint();
      sdk.capture(err);
      syncTimes.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (i % BATCH === BATCH - 1) await sdk.flush();
    }
    await sdk.flush();
    syncTimes.sort((a, b) => a - b);

    const loop = await measureLoopDelay(() => sdk.capture(makeError()));
    await sdk.flush();

    const consoleCost = variant === 'bare' ? await measureConsole(sink, queueDir) : null;
    const result: Omit<Result, 'received'> = {
      sdk: name,
      scenario,
      variant,
      ...(consoleCost ? { consoleUsOn: consoleCost.on, consoleUsOff: consoleCost.off } : {}),
      captures: CPU_CAPTURES,
      cpuUsPerCapture: cpuPerCapture,
      baselineCpuUsPerError: baselineCpu,
      syncUsMean: syncTimes.reduce((a, b) => a + b, 0) / syncTimes.length,
      syncUsP99: syncTimes[Math.floor(syncTimes.length * 0.99)] ?? 0,
      loopDelayP99Ms: loop.p99,
      loopDelayMaxMs: loop.max,
      baselineLoopDelayP99Ms: baselineLoop.p99,
      baselineLoopDelayMaxMs: baselineLoop.max,
    };
    process.stdout.write('RESULT ' + JSON.stringify(result) + '\n');
  } finally {
    rmSync(queueDir, { recursive: true, force: true });
  }
  // Sentry keeps handles open (OpenTelemetry, session flushing); leave without waiting for them.
  process.exit(0);
}

function spawnChild(
  name: SdkName,
  scenario: Scenario,
  sink: string,
  variant: Variant = 'default',
): Promise<Omit<Result, 'received'>> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.DO_NOT_TRACK;
    delete env.DUMPCATCHER_DISABLED;
    env.DUMPCATCHER_CONFIG = join(tmpdir(), 'dc-bench-no-config.json');
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        __filename,
        `--child=${name}`,
        `--scenario=${scenario}`,
        `--sink=${sink}`,
        `--variant=${variant}`,
      ],
      {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) return reject(new Error(`${name} benchmark failed (exit ${code}): ${out}`));
      resolve(JSON.parse(line.slice('RESULT '.length)) as Omit<Result, 'received'>);
    });
  });
}

async function main(): Promise<void> {
  const child = process.argv.find((a) => a.startsWith('--child='))?.slice('--child='.length);
  const sinkArg = process.argv.find((a) => a.startsWith('--sink='))?.slice('--sink='.length);
  const scenarioArg = process.argv.find((a) => a.startsWith('--scenario='))?.slice('--scenario='.length);
  const variantArg = (process.argv.find((a) => a.startsWith('--variant='))?.slice('--variant='.length) ??
    'default') as Variant;
  if (
    (child === 'dumpcatcher' || child === 'sentry') &&
    sinkArg &&
    (scenarioArg === 'http' || scenarioArg === 'no-network' || scenarioArg === 'no-network-tmpfs')
  ) {
    return runChild(child, scenarioArg, sinkArg, variantArg);
  }

  const counts = { dumpcatcher: 0, sentry: 0 };
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if ((req.url ?? '').startsWith('/v1/')) {
        counts.dumpcatcher += 1;
        res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"id":"x"}');
      } else {
        counts.sentry += 1;
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

  const results: Result[] = [];
  const runs: Array<[Scenario, SdkName]> = [
    ['no-network', 'dumpcatcher'],
    ['no-network', 'sentry'],
    ...(existsSync('/dev/shm') ? ([['no-network-tmpfs', 'dumpcatcher']] as Array<[Scenario, SdkName]>) : []),
    ['http', 'dumpcatcher'],
    ['http', 'sentry'],
  ];
  const rounds = new Map<string, Result[]>();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [scenario, name] of runs) {
      const before = counts[name];
      const r = await spawnChild(name, scenario, url);
      const key = `${scenario}/${name}`;
      rounds.set(key, [...(rounds.get(key) ?? []), { ...r, received: counts[name] - before }]);
    }
  }
  const byVariant = new Map<Variant, Result[]>();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const variant of VARIANTS) {
      const r = await spawnChild('dumpcatcher', 'no-network', url, variant);
      byVariant.set(variant, [...(byVariant.get(variant) ?? []), { ...r, received: 0 }]);
    }
  }
  sink.close();
  for (const [scenario, name] of runs) {
    const all = (rounds.get(`${scenario}/${name}`) ?? []).sort((a, b) => a.cpuUsPerCapture - b.cpuUsPerCapture);
    const median = all[Math.floor(all.length / 2)];
    if (median) results.push(median);
    console.log(
      `${scenario} ${name}: cpu µs/capture in each round: ${all.map((r) => r.cpuUsPerCapture.toFixed(1)).join(', ')}`,
    );
  }

  const expected = WARMUP + CPU_CAPTURES + 200 + LOOP_CAPTURES;
  const fmt = (n: number, d = 1): string => n.toFixed(d);
  console.log(
    `node ${process.versions.node}; ${CPU_CAPTURES} captures in batches of ${BATCH}, each batch followed by flush; ` +
      `median of ${ROUNDS} rounds`,
  );
  console.log(`events expected at the sink per SDK in the http scenario: ${expected}`);
  console.log('');
  console.log(
    'scenario          sdk          cpu µs/capture  (making the error)  sync µs mean/p99  loop delay p99/max ms (idle p99/max)  events at sink',
  );
  for (const r of results) {
    console.log(
      `${r.scenario.padEnd(17)} ${r.sdk.padEnd(12)} ${fmt(r.cpuUsPerCapture).padStart(14)}  ${fmt(r.baselineCpuUsPerError).padStart(18)}  ${`${fmt(r.syncUsMean)}/${fmt(r.syncUsP99)}`.padStart(16)}  ${`${fmt(r.loopDelayP99Ms, 2)}/${fmt(r.loopDelayMaxMs, 2)} (${fmt(r.baselineLoopDelayP99Ms, 2)}/${fmt(r.baselineLoopDelayMaxMs, 2)})`.padStart(36)}  ${String(r.received).padStart(14)}`,
    );
  }
  console.log('');
  for (const scenario of ['no-network', 'no-network-tmpfs', 'http'] as const) {
    const dc = results.find((r) => r.sdk === 'dumpcatcher' && r.scenario === scenario);
    const sentry = results.find(
      (r) => r.sdk === 'sentry' && r.scenario === (scenario === 'no-network-tmpfs' ? 'no-network' : scenario),
    );
    if (!dc || !sentry) continue;
    const ratio = dc.cpuUsPerCapture / sentry.cpuUsPerCapture;
    // The same without the cost of making the Error (and formatting its stack), which both pay.
    const net =
      (dc.cpuUsPerCapture - dc.baselineCpuUsPerError) / (sentry.cpuUsPerCapture - sentry.baselineCpuUsPerError);
    console.log(
      `${scenario}: CPU per capture, Dumpcatcher / Sentry = ${ratio.toFixed(2)}x ` +
        `(${net.toFixed(2)}x without making the error); target <= 0.5x: ${ratio <= 0.5 ? 'met' : 'not met'}`,
    );
  }

  console.log('');
  console.log(`Dumpcatcher by feature, no-network, median of ${ROUNDS} rounds (ring: 100 breadcrumbs of ~200 bytes)`);
  console.log('features                          cpu µs/capture  (rounds)                 sync µs mean/p99');
  const medians = new Map<Variant, Result>();
  for (const variant of VARIANTS) {
    const all = (byVariant.get(variant) ?? []).sort((a, b) => a.cpuUsPerCapture - b.cpuUsPerCapture);
    const median = all[Math.floor(all.length / 2)];
    if (!median) continue;
    medians.set(variant, median);
    console.log(
      `${variant.padEnd(32)} ${fmt(median.cpuUsPerCapture).padStart(15)}  ${all
        .map((r) => fmt(r.cpuUsPerCapture))
        .join(', ')
        .padEnd(24)} ${`${fmt(median.syncUsMean)}/${fmt(median.syncUsP99)}`.padStart(16)}`,
    );
  }
  const bare = medians.get('bare');
  if (bare) {
    for (const variant of ['source-context', 'breadcrumbs', 'both'] as const) {
      const r = medians.get(variant);
      if (r) console.log(`${variant} adds ${fmt(r.cpuUsPerCapture - bare.cpuUsPerCapture)} µs CPU per capture`);
    }
    const consoleRuns = (byVariant.get('bare') ?? []).filter((r) => r.consoleUsOn !== undefined);
    const mid = <T>(xs: T[]): T | undefined => xs[Math.floor(xs.length / 2)];
    const on = mid(consoleRuns.map((r) => r.consoleUsOn ?? 0).sort((a, b) => a - b));
    const off = mid(consoleRuns.map((r) => r.consoleUsOff ?? 0).sort((a, b) => a - b));
    if (on !== undefined && off !== undefined) {
      console.log(
        `console.log('order %d shipped to %s', …): ${fmt(off, 2)} µs per call without the console breadcrumbs, ${fmt(on, 2)} µs with them`,
      );
    }
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

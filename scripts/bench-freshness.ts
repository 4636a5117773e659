/**
 * `npm run bench:freshness`: how long a crash takes from the ingest's 202 to its issue in the
 * api and to its `issue.new` webhook, on a local stack like `npm start`'s (own free ports): the
 * ingest asks for a rollup run per window of reports (the local stand-in for Cloud Tasks), and
 * the backstop runs on the production schedule (every 5 minutes; DUMPCATCHER_ROLLUP_INTERVAL_SECONDS
 * overrides it). Sends BENCH_CRASHES crashes (default 20), each of a new exception type, at
 * random moments, and polls `GET /v1/products/{key}/issues` every 100 ms until the crash's issue
 * is listed. Then a burst of BENCH_BURST crashes (default 5,000) across 50 issues, and counts the
 * rollup runs that took them. Also prints what the runs that found nothing to do cost.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { newClientId, sampleCrash, sendSigned } from './lib/client';
import { signInWithGoogle } from './lib/id-token';
import { percentile } from './lib/ingest-load';
import { LOCAL_ROLLUP_INTERVAL_SECONDS, scheduleRollups, type RollupRun } from './lib/rollup-schedule';
import { seedProduct } from './lib/seed';
import { ROOT, startStack } from './lib/stack';

const CRASHES = Number(process.env.BENCH_CRASHES ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 5000);
const BURST_ISSUES = 50;
const POLL_MS = 100;
const TIMEOUT_MS = 120_000;
const LOG_DIR = join(ROOT, '.local', 'bench-logs');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A local webhook receiver: when each issue title first arrived in an `issue.new` message. */
async function startReceiver() {
  const firstSeen = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        type: string;
        issues: Array<{ title: string }>;
      };
      if (body.type === 'issue.new')
        for (const i of body.issues) if (!firstSeen.has(i.title)) firstSeen.set(i.title, at);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    /** When a title containing `type` arrived, or undefined. */
    seen: (type: string) => [...firstSeen].find(([title]) => title.includes(type))?.[1],
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** What the bench reads of a logged run besides the schedule's fields. */
interface LoggedRun extends RollupRun {
  shards?: number[];
  handedOver?: number[];
  busy?: number[];
  passes?: number;
  batches?: number;
  startedAt?: string;
  /** Summed over the shards a run works side by side, so it may exceed the run's duration. */
  timings?: { commitMs: number; turnMs?: number };
}

/**
 * When each run worked, in seconds after `t0` (epoch ms), and what on: the burst's timeline,
 * so the time a burst takes can be split into runs, refusals (409: a shard another run held)
 * and gaps with no run under way.
 */
function timeline(runs: LoggedRun[], t0: number, t1: number): string {
  const spans = runs
    .filter((r) => r.startedAt !== undefined)
    .map((r) => {
      const start = Date.parse(r.startedAt!) - t0;
      return { r, start, end: start + (r.durationMs ?? 0) };
    })
    .sort((a, b) => a.start - b.start);
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const lines = spans.map(
    ({ r, start, end }) =>
      `    ${s(start).padStart(5)}–${s(end).padStart(5)} s  shards ${(r.shards ?? []).join(',') || '-'}` +
      `${r.handedOver?.length ? `  handed over ${r.handedOver.join(',')}` : ''}` +
      `${r.busy?.length ? `  busy ${r.busy.join(',')} (409)` : ''}  ${r.processed ?? 0} crashes in ${r.batches ?? 0} batches` +
      `${(r.passes ?? 1) > 1 ? ` and ${r.passes} passes` : ''},` +
      ` committing ${s(r.timings?.commitMs ?? 0)} s (turn ${s(r.timings?.turnMs ?? 0)} s)`,
  );
  // Time between the burst's start and its end with no run under way.
  let idle = 0;
  let covered = 0;
  for (const { start, end } of spans) {
    if (start > covered) idle += Math.min(start, t1 - t0) - covered;
    covered = Math.max(covered, end);
  }
  if (t1 - t0 > covered) idle += t1 - t0 - covered;
  return `${lines.join('\n')}\n    no run under way for ${s(Math.max(0, idle))} s of the ${s(t1 - t0)} s`;
}

/** The rollup runs the function logged (every run, whoever asked for it), in order. */
function loggedRuns(rollupUrl: string): LoggedRun[] {
  const port = new URL(rollupUrl).port;
  const lines = readFileSync(join(LOG_DIR, `function-rollup-${port}.log`), 'utf8').split('\n');
  return lines
    .filter((l) => l.includes('"rollup run finished"'))
    .map((l) => (JSON.parse(l) as { summary: LoggedRun }).summary);
}

async function main(): Promise<void> {
  const stack = await startStack({ logDir: LOG_DIR });
  const receiver = await startReceiver();
  const backstopRuns: RollupRun[] = [];
  const stopRollups = scheduleRollups(
    stack.rollupUrl,
    LOCAL_ROLLUP_INTERVAL_SECONDS * 1000,
    (run) => backstopRuns.push(run),
    (message) => console.error(message),
  );
  try {
    process.env.FIRESTORE_EMULATOR_HOST = stack.firestoreEmulatorHost;
    const db = getFirestore(getApps()[0] ?? initializeApp({ projectId: stack.projectId }));
    const user = await signInWithGoogle(stack.authEmulatorHost, { email: 'freshness@example.com' });
    const product = await seedProduct(db, { name: 'freshness', ownerUid: user.localId });
    const auth = { Authorization: `Bearer ${user.idToken}`, 'Content-Type': 'application/json' };
    const base = `${stack.apiUrl}/v1/products/${product.productKey}`;
    const hook = await fetch(`${base}/alerts`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ kind: 'webhook', url: receiver.url, events: ['issue.new'] }),
    });
    if (hook.status !== 201) throw new Error(`alerts answered ${hook.status}: ${await hook.text()}`);
    const listIssueTypes = async (): Promise<string[]> => {
      const res = await fetch(`${base}/issues`, { headers: auth });
      if (!res.ok) throw new Error(`issues answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { issues: Array<{ type: string }> }).issues.map((i) => i.type);
    };
    const clientId = newClientId();
    const listed: number[] = [];
    const alerted: number[] = [];
    for (let i = 1; i <= CRASHES; i++) {
      await sleep(Math.random() * 10_000); // a random moment of the trigger's windows
      const type = `Freshness${randomUUID().slice(0, 8)}Error`;
      const crash = sampleCrash({
        exception: { type, message: 'fresh', stacktrace: `${type}: fresh\n    at probe (/srv/app/probe.js:${i}:1)` },
        runtime: { name: 'node', version: '20.20.2' },
      });
      const res = await sendSigned({ baseUrl: stack.ingestUrl, ...product, clientId, counter: i, body: crash });
      const acceptedAt = performance.now();
      if (res.status !== 202) throw new Error(`the ingest answered ${res.status}`);
      while (!(await listIssueTypes()).includes(type)) {
        if (performance.now() - acceptedAt > TIMEOUT_MS) throw new Error(`no issue for ${type} after ${TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
      listed.push((performance.now() - acceptedAt) / 1000);
      while (receiver.seen(type) === undefined) {
        if (performance.now() - acceptedAt > TIMEOUT_MS)
          throw new Error(`no issue.new for ${type} after ${TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
      alerted.push((receiver.seen(type)! - acceptedAt) / 1000);
      console.log(
        `crash ${i}: listed ${listed.at(-1)!.toFixed(2)} s, webhook ${alerted.at(-1)!.toFixed(2)} s after the 202`,
      );
    }

    // The burst: 50 clients, one issue each, sending as fast as the ingest answers.
    await sleep(10_000); // the last crash's window has run
    const runsBefore = loggedRuns(stack.rollupUrl).length;
    const burstStarted = performance.now();
    const burstStartedAt = Date.now();
    const perClient = Math.ceil(BURST / BURST_ISSUES);
    await Promise.all(
      Array.from({ length: BURST_ISSUES }, async (_, s) => {
        const id = newClientId();
        const type = `Burst${s}Error`;
        const body = sampleCrash({
          exception: { type, message: 'x', stacktrace: `${type}: x\n    at f (/srv/b.js:${s}:1)` },
        });
        for (let counter = 1; counter <= perClient; counter++) {
          const res = await sendSigned({ baseUrl: stack.ingestUrl, ...product, clientId: id, counter, body });
          if (res.status !== 202) throw new Error(`the ingest answered ${res.status} in the burst`);
        }
      }),
    );
    const sentSeconds = (performance.now() - burstStarted) / 1000;
    const burstTotal = async () => {
      const snap = await db.collection('products').doc(product.productKey).collection('issues').get();
      return snap.docs
        .filter((d) => String(d.get('type')).startsWith('Burst'))
        .reduce((n, d) => n + (d.get('count') as number), 0);
    };
    while ((await burstTotal()) < perClient * BURST_ISSUES) {
      if (performance.now() - burstStarted > TIMEOUT_MS * 3)
        throw new Error('the burst was not rolled up in 6 minutes');
      await sleep(250);
    }
    const burstSeconds = (performance.now() - burstStarted) / 1000;
    const burstEndedAt = Date.now();
    await sleep(2000); // the last run's answer reaches the log
    const burstRuns = loggedRuns(stack.rollupUrl).slice(runsBefore);

    stopRollups();
    // Two windows and their delay with nothing sent: any run now is an idle one.
    await sleep(15_000);
    const all = loggedRuns(stack.rollupUrl);
    const idle = all.filter((r) => !r.processed && !r.usageProcessed && !r.sessionsProcessed);
    const s = (x: number) => `${x.toFixed(2)} s`;
    const figures = (xs: number[]) =>
      `median ${s(percentile(xs, 50))}  p95 ${s(percentile(xs, 95))}  min ${s(Math.min(...xs))}  max ${s(Math.max(...xs))}`;
    console.log(`
bench:freshness  ${CRASHES} crashes one at a time, then a burst of ${perClient * BURST_ISSUES} across ${BURST_ISSUES} issues
  runs: the ingest's trigger (local stand-in for Cloud Tasks), backstop every ${LOCAL_ROLLUP_INTERVAL_SECONDS} s; lag: the rollup's default; API polled every ${POLL_MS} ms
  202 → issue listed       ${figures(listed)}
  202 → issue.new webhook  ${figures(alerted)}
  burst                    sent in ${s(sentSeconds)}, all rolled up ${s(burstSeconds)} after its first crash (${s(burstSeconds - sentSeconds)} after its last was sent), by ${burstRuns.length} runs (${burstRuns.map((r) => r.processed).join(', ')} crashes)
${timeline(burstRuns, burstStartedAt, burstEndedAt)}
  rollup runs in all       ${all.length} (${backstopRuns.length} by the backstop), ${idle.length} idle: ${idle.map((r) => `${r.reads} reads, ${r.writes} writes`).join('; ') || 'none'}
  load average             ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}
`);
  } finally {
    stopRollups();
    await receiver.stop();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

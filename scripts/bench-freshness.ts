/**
 * `npm run bench:freshness`: how long a crash takes from the ingest's 202 to its issue in the
 * api, on a local stack like `npm start`'s (own free ports, the rollup POSTed on the same
 * schedule). Sends BENCH_CRASHES crashes (default 10), each of a new exception type, at random
 * moments of the schedule, and polls `GET /v1/products/{key}/issues` every 100 ms until the
 * crash's issue is listed. Also prints what the rollup runs cost in Firestore operations when
 * there is nothing to do.
 */
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

const CRASHES = Number(process.env.BENCH_CRASHES ?? 10);
const POLL_MS = 100;
const TIMEOUT_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const stack = await startStack({ logDir: join(ROOT, '.local', 'bench-logs') });
  const runs: RollupRun[] = [];
  const stopRollups = scheduleRollups(
    stack.rollupUrl,
    LOCAL_ROLLUP_INTERVAL_SECONDS * 1000,
    (run) => runs.push(run),
    (message) => console.error(message),
  );
  try {
    process.env.FIRESTORE_EMULATOR_HOST = stack.firestoreEmulatorHost;
    const db = getFirestore(getApps()[0] ?? initializeApp({ projectId: stack.projectId }));
    const user = await signInWithGoogle(stack.authEmulatorHost, { email: 'freshness@example.com' });
    const product = await seedProduct(db, { name: 'freshness', ownerUid: user.localId });
    const listIssueTypes = async (): Promise<string[]> => {
      const res = await fetch(`${stack.apiUrl}/v1/products/${product.productKey}/issues`, {
        headers: { Authorization: `Bearer ${user.idToken}` },
      });
      if (!res.ok) throw new Error(`issues answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { issues: Array<{ type: string }> }).issues.map((i) => i.type);
    };
    const clientId = newClientId();
    const seconds: number[] = [];
    for (let i = 1; i <= CRASHES; i++) {
      await sleep(Math.random() * LOCAL_ROLLUP_INTERVAL_SECONDS * 1000); // a random moment of the schedule
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
      seconds.push((performance.now() - acceptedAt) / 1000);
      console.log(`crash ${i}: in its issue ${seconds.at(-1)!.toFixed(2)} s after the 202`);
    }
    stopRollups();
    await sleep(LOCAL_ROLLUP_INTERVAL_SECONDS * 1000 + 2000);
    const idle = runs.filter((r) => !r.processed && !r.usageProcessed && !r.sessionsProcessed);
    const s = (x: number) => `${x.toFixed(2)} s`;
    console.log(`
bench:freshness  ${CRASHES} crashes, rollup every ${LOCAL_ROLLUP_INTERVAL_SECONDS} s (lag: the rollup's default), API polled every ${POLL_MS} ms
  202 → issue listed   min ${s(Math.min(...seconds))}  median ${s(percentile(seconds, 50))}  max ${s(Math.max(...seconds))}
  idle rollup runs     ${idle.length}: ${idle[0]?.reads ?? '?'} reads, ${idle[0]?.writes ?? '?'} writes each (${idle.map((r) => r.reads).join(', ')} reads)
  load average         ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}
`);
  } finally {
    stopRollups();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

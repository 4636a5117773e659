/**
 * `npm run bench:ingest-ab`: the ingest as built from the working tree (A) against the ingest as
 * built from another commit (B, `BENCH_AB_REF`, default HEAD), both served by the Functions
 * Framework on one Firestore emulator and loaded in interleaved rounds (A then B, then B then A,
 * ...). Prints each one's CPU time per request and A/B, as the ratio of the totals and as the
 * median of the rounds. Both sides share the machine's noise, so a change of a few percent shows
 * here long before it shows in `bench:ingest`'s ratio to the no-op.
 * Options (env): BENCH_AB_REF (a commit, default HEAD), BENCH_REQUESTS (default 40000, per side),
 * BENCH_ROUNDS (8), BENCH_AB_NODE_ARGS (extra node flags for A only, e.g. "--max-semi-space-size=32").
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { fire, measureCpu, median, prepare, type Fired } from './lib/ingest-load';
import { serveFunction } from './lib/functions';
import { seedProduct } from './lib/seed';
import { ROOT, startStack } from './lib/stack';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 40_000);
const ROUNDS = Math.max(2, Number(process.env.BENCH_ROUNDS ?? 8));
const UNLIMITED = { DUMPCATCHER_RATE_PER_PRODUCT: '100000000', DUMPCATCHER_RATE_PER_CLIENT: '100000000' };

/** Builds `ref`'s functions into .local/ab/<commit> (kept for the next run) and returns that folder. */
function buildRef(ref: string): { dir: string; commit: string } {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  const dir = join(ROOT, '.local', 'ab', commit);
  if (!existsSync(join(dir, 'lib', 'index.js'))) {
    mkdirSync(dir, { recursive: true });
    const files = ['functions', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
    const tar = execFileSync('git', ['archive', '--format=tar', commit, ...files], { cwd: ROOT, maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: dir,
        stdio: 'inherit',
      },
    );
  }
  return { dir, commit };
}

async function main(): Promise<void> {
  const ref = buildRef(process.env.BENCH_AB_REF ?? 'HEAD');
  const logDir = join(ROOT, '.local', 'bench-logs');
  const aNodeArgs = process.env.BENCH_AB_NODE_ARGS;
  const savedNodeArgs = process.env.DUMPCATCHER_FUNCTION_NODE_ARGS;
  if (aNodeArgs) process.env.DUMPCATCHER_FUNCTION_NODE_ARGS = aNodeArgs;
  const stack = await startStack({ logDir, env: UNLIMITED });
  try {
    if (aNodeArgs) process.env.DUMPCATCHER_FUNCTION_NODE_ARGS = savedNodeArgs ?? '';
    process.env.FIRESTORE_EMULATOR_HOST = stack.firestoreEmulatorHost;
    const db = getFirestore(getApps()[0] ?? initializeApp({ projectId: stack.projectId }));
    const product = await seedProduct(db, { name: 'bench-ab', ownerUid: 'bench' });
    const a = stack.functions.find((f) => f.target === 'ingest')!;
    const b = await serveFunction({
      target: 'ingest',
      source: ref.dir,
      env: { ...stack.functionEnv, ...UNLIMITED },
      logDir,
    });
    try {
      await fire(a.url, prepare(a.url, product, 1000));
      await fire(b.url, prepare(b.url, product, 1000));
      const loadA = prepare(a.url, product, REQUESTS);
      const loadB = prepare(b.url, product, REQUESTS);
      const sides = { a: { cpu: 0, seconds: 0 }, b: { cpu: 0, seconds: 0 } };
      const ratios: number[] = [];
      const unanswered: string[] = [];
      const run = async (side: 'a' | 'b', from: number, to: number): Promise<number> => {
        const served = side === 'a' ? a : b;
        const load = (side === 'a' ? loadA : loadB).slice(from, to);
        const [fired, cpu] = await measureCpu<Fired>(served.pid, () => fire(served.url, load));
        if ((fired.statuses[202] ?? 0) !== load.length) unanswered.push(`${side}: ${JSON.stringify(fired.statuses)}`);
        sides[side].cpu += cpu;
        sides[side].seconds += fired.seconds;
        return cpu;
      };
      for (let round = 0; round < ROUNDS; round++) {
        const from = Math.floor((REQUESTS * round) / ROUNDS);
        const to = Math.floor((REQUESTS * (round + 1)) / ROUNDS);
        const first: 'a' | 'b' = round % 2 === 0 ? 'a' : 'b';
        const c1 = await run(first, from, to);
        const c2 = await run(first === 'a' ? 'b' : 'a', from, to);
        ratios.push(first === 'a' ? c1 / c2 : c2 / c1);
      }
      const perRequest = (side: 'a' | 'b') => ((sides[side].cpu / REQUESTS) * 1e6).toFixed(0);
      const rate = (side: 'a' | 'b') => (REQUESTS / sides[side].seconds).toFixed(0);
      console.log(`
bench:ingest-ab  ${REQUESTS} requests per side in ${ROUNDS} rounds, concurrency 64
  A  working tree${aNodeArgs ? ` (node ${aNodeArgs})` : ''}   CPU µs/request ${perRequest('a')}   ${rate('a')} accepted/s
  B  ${ref.commit.slice(0, 10)} (${process.env.BENCH_AB_REF ?? 'HEAD'})   CPU µs/request ${perRequest('b')}   ${rate('b')} accepted/s
  A/B  ${(sides.a.cpu / sides.b.cpu).toFixed(3)}   (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(3)})${
    unanswered.length > 0 ? `\n  NOT ALL ACCEPTED: ${unanswered.join('; ')}` : ''
  }
`);
      if (unanswered.length > 0) process.exitCode = 1;
    } finally {
      await b.stop();
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

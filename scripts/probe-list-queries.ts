/**
 * Timing probe (not a bench): query shapes of the issue listing straight against the Firestore
 * emulator, no api. Seeds N issue-like documents per shape (full issue documents, slim list rows
 * with all-prefix or fewer tokens, rows without tokens) and times each query REPS times. Needs
 * FIRESTORE_EMULATOR_HOST. Figures in docs/performance.md. Options (env): N, REPS, SHAPES,
 * CONTAINS (1; 0 leaves out the array-contains queries, a minute each at 10,000).
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { initializeApp } from 'firebase-admin/app';
import { FieldPath, getFirestore, Timestamp, type Firestore, type Query } from 'firebase-admin/firestore';
import { addHash, createSketch, encodeSketch, hashClient, ISSUE_PRECISION } from '../functions/src/grouping/sketch';
import { searchWords } from '../functions/src/grouping/search-tokens';
import { issueText, tokensOf } from './lib/bench-issues';

const N = Number(process.env.N ?? 2000);
const REPS = Number(process.env.REPS ?? 3);
const SHAPES = (process.env.SHAPES ?? 'full,slim,slimfew,bare').split(',');
const CONTAINS = process.env.CONTAINS !== '0';
const DAYS = 14;

function fewTokensOf(i: number): string[] {
  // whole words + prefixes of 3..8
  const t = issueText(i);
  const out = new Set<string>();
  for (const w of [t.title, t.culprit, t.type].flatMap(searchWords)) {
    out.add(w);
    for (let n = 3; n <= Math.min(8, w.length); n++) out.add(w.slice(0, n));
  }
  return [...out, ...tokensOf(i).filter((x) => x.includes(':'))];
}
function sketchOf(n: number): Buffer {
  const s = createSketch(ISSUE_PRECISION);
  for (let i = 0; i < n; i++) addHash(s, hashClient(`c-${i}`));
  return encodeSketch(s);
}
const statuses = ['unresolved', 'unresolved', 'unresolved', 'regressed', 'resolved', 'ignored'];

function docOf(shape: string, i: number, now: number, sketch: Buffer): Record<string, unknown> {
  const id = `i${i}`;
  const lastSeen = new Date(now - (i % (DAYS * 24)) * 3_600_000);
  const count = 1 + ((i * 7919) % 5000);
  const t = issueText(i);
  const daily = Array.from({ length: DAYS }, (_, k) => ({
    day: new Date(now - (DAYS - 1 - k) * 86400000).toISOString().slice(0, 10),
    count: 1 + ((i + k) % 40),
  }));
  const row = {
    title: t.title,
    type: t.type,
    culprit: t.culprit,
    count,
    clients: 1 + (count % 700),
    status: statuses[i % 6],
    firstSeen: Timestamp.fromMillis(lastSeen.getTime() - 86400000 * (i % 30)),
    lastSeen: Timestamp.fromDate(lastSeen),
    lastVersion: t.versions[1],
    resolvedInVersion: null,
    resolvedAfterVersion: null,
    daily,
  };
  if (shape === 'bare') return { ...row, daily: [] };
  if (shape === 'slim') return { ...row, searchTokens: tokensOf(i) };
  if (shape === 'slimfew') return { ...row, searchTokens: fewTokensOf(i) };
  return {
    ...row,
    productKey: 'p',
    fingerprint: id,
    source: 'frames',
    topFrame: { file: `src/cart/line-${i % 400}.ts`, line: 10, function: 'renderItem', inApp: true },
    clientSketch: sketch,
    versions: t.versions,
    statusChangedAt: null,
    regressedInVersion: null,
    recentCrashIds: Array.from({ length: 10 }, (_, k) => createHash('sha256').update(`${i}-${k}`).digest('hex')),
    updatedAt: row.lastSeen,
    releases: t.versions.map((v) => ({ version: v, count: 3, installs: 3, sketch })),
    searchTokens: tokensOf(i),
  };
}

async function seed(db: Firestore, shape: string): Promise<void> {
  const now = Date.now();
  const sketch = sketchOf(200);
  const w = db.bulkWriter();
  const col = db.collection(`products/${shape}/issues`);
  for (let i = 0; i < N; i++)
    void w.set(col.doc(createHash('sha256').update(`${i}`).digest('hex')), docOf(shape, i, now, sketch));
  await w.close();
}

async function time(label: string, make: () => Query): Promise<void> {
  const ms: number[] = [];
  let n = 0;
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    const s = await make().get();
    ms.push(performance.now() - t0);
    n = s.size;
  }
  ms.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(58)} ${ms
      .map((m) => m.toFixed(0))
      .join(' / ')
      .padEnd(22)} ms  rows ${n}  load ${loadavg()[0]!.toFixed(1)}`,
  );
}

async function main() {
  const db = getFirestore(initializeApp({ projectId: 'demo-probe' }));
  console.log(
    `N=${N} load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const f = tokensOf(0),
    g = tokensOf(1),
    h = fewTokensOf(0),
    k = fewTokensOf(1);
  console.log(`tokens per issue: all prefixes ${f.length}/${g.length}, few ${h.length}/${k.length}`);
  for (const shape of SHAPES) {
    const t0 = performance.now();
    await seed(db, shape);
    console.log(`seeded ${shape} in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  for (const shape of SHAPES) {
    const col = db.collection(`products/${shape}/issues`);
    const ord = (q: Query) => q.orderBy('lastSeen', 'desc').orderBy(FieldPath.documentId(), 'desc').limit(26);
    await time(`${shape}: order lastSeen`, () => ord(col));
    await time(`${shape}: status + order lastSeen`, () => ord(col.where('status', '==', 'unresolved')));
    await time(`${shape}: status + order count`, () =>
      col
        .where('status', '==', 'unresolved')
        .orderBy('count', 'desc')
        .orderBy(FieldPath.documentId(), 'desc')
        .limit(26),
    );
    await time(`${shape}: type== + order`, () => ord(col.where('type', '==', 'CheckoutError')));
    await time(`${shape}: no order, limit 26`, () => col.limit(26));
    if (shape !== 'bare' && CONTAINS) {
      await time(`${shape}: contains checkout + order`, () =>
        ord(col.where('searchTokens', 'array-contains', 'checkout')),
      );
      await time(`${shape}: contains checkout + status + order`, () =>
        ord(col.where('searchTokens', 'array-contains', 'checkout').where('status', '==', 'unresolved')),
      );
      await time(`${shape}: contains checkout, no order`, () =>
        col.where('searchTokens', 'array-contains', 'checkout').limit(26),
      );
      await time(`${shape}: contains env:production + order`, () =>
        ord(col.where('searchTokens', 'array-contains', 'env:production')),
      );
      await time(`${shape}: contains zzz (none) + order`, () =>
        ord(col.where('searchTokens', 'array-contains', 'zzz')),
      );
    }
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});

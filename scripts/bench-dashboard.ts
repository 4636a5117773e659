/**
 * `npm run bench:dashboard`: the issue list of a product with 10,000 issues, in a real
 * Chromium on the local stack. Seeds the issues and their list rows (with their per-day counts, and 14 days of
 * per-issue stats, as the rollup writes them) straight into the Firestore emulator, serves the built dashboard, signs in as
 * the owner and opens the issues page BENCH_RUNS times per sort order, cold (a new page each
 * time), after one untimed load that builds the list's head. Prints the time from navigation to the first page of rows on screen, the api call's
 * own latency, the same for searched and filtered lists (`q`, `env`, `version`: a page of
 * matches and the next page), the time from a crash's 202 to the crash on an open overview,
 * and the first page's shipped bytes, with the load average beside. The baseline, in the same
 * run: a second product with the same issues stored as before list rows (no rows, not marked
 * complete), whose unfiltered lists query the issue documents. Options (env): BENCH_ISSUES
 * (10000), BENCH_RUNS (7), BENCH_SEARCH (1; 0 leaves out the searched lists, minutes each on
 * the emulator at 10,000 issues).
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { getApps, initializeApp } from 'firebase-admin/app';
import { FieldValue, getFirestore, Timestamp, type Firestore } from 'firebase-admin/firestore';
import {
  addHash,
  createSketch,
  encodeSketch,
  hashClient,
  ROW_PRECISION,
  ISSUE_PRECISION,
} from '../functions/src/grouping/sketch';
import { chromium, type BrowserContext } from 'playwright-core';
import { issueText, tokensOf } from './lib/bench-issues';
import { chromiumPath } from '../test/browser/browser';
import { newClientId, sampleCrash, sendSigned } from './lib/client';
import { buildDashboard, measureFirstPage, serveDashboard } from './lib/dashboard';
import { signInWithGoogle } from './lib/id-token';
import { seedProduct } from './lib/seed';
import { ROOT, startStack } from './lib/stack';

const ISSUES = Number(process.env.BENCH_ISSUES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const SEARCH = process.env.BENCH_SEARCH !== '0';
const DAYS = 14;
const OWNER = 'bench-owner@example.com';
const LIVE_CRASHES = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]!;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function sketchOf(n: number, precision: number): Buffer {
  const sketch = createSketch(precision);
  for (let i = 0; i < n; i++) addHash(sketch, hashClient(`client-${i}`));
  return encodeSketch(sketch);
}

/** Seeds the issues, each with its list row unless `rows` is false (issues stored before rows were kept). */
async function seedIssues(db: Firestore, productKey: string, rows: boolean): Promise<void> {
  const now = Date.now();
  const writer = db.bulkWriter();
  const small = sketchOf(3, ISSUE_PRECISION);
  const statuses = ['unresolved', 'unresolved', 'unresolved', 'regressed', 'resolved', 'ignored'] as const;
  const perDay = new Map<string, Array<{ value: string; count: number }>>();
  for (let i = 0; i < ISSUES; i++) {
    const id = createHash('sha256').update(`bench-issue-${i}`).digest('hex');
    const lastSeen = new Date(now - (i % (DAYS * 24)) * 3_600_000);
    const count = 1 + ((i * 7919) % 5000);
    // Per-day counts as the rollup keeps them on the issue: the same as the day stats for the
    // busiest 500 issues (below), one crash on the day last seen for the rest.
    const daily =
      i < 500
        ? Array.from({ length: DAYS }, (_, k) => DAYS - 1 - k).map((d) => ({
            day: new Date(now - d * 86_400_000).toISOString().slice(0, 10),
            count: 1 + ((i + d) % 40),
          }))
        : [{ day: lastSeen.toISOString().slice(0, 10), count: 1 }];
    const issue = {
      productKey,
      fingerprint: id,
      source: 'frames',
      title: issueText(i).title,
      type: issueText(i).type,
      culprit: issueText(i).culprit,
      topFrame: { file: `src/cart/line-${i % 400}.ts`, line: 10 + (i % 90), function: 'renderItem', inApp: true },
      firstSeen: Timestamp.fromMillis(lastSeen.getTime() - 86_400_000 * (i % 30)),
      lastSeen: Timestamp.fromDate(lastSeen),
      count,
      clients: 1 + (count % 700),
      clientSketch: small,
      versions: issueText(i).versions,
      lastVersion: issueText(i).versions[1]!,
      status: statuses[i % statuses.length]!,
      resolvedInVersion: null,
      statusChangedAt: null,
      regressedInVersion: null,
      recentCrashIds: [],
      updatedAt: Timestamp.fromDate(lastSeen),
      daily,
      searchTokens: tokensOf(i),
    };
    void writer.create(db.doc(`products/${productKey}/issues/${id}`), issue);
    // Its list row, as the rollup writes it with the issue (the listing queries these).
    if (!rows) continue;
    const { title, type, culprit, firstSeen, lastSeen: seen, clients, status, resolvedInVersion, lastVersion } = issue;
    void writer.create(db.doc(`products/${productKey}/issueRows/${id}`), {
      title,
      type,
      culprit,
      count,
      clients,
      status,
      resolvedInVersion,
      resolvedAfterVersion: null,
      firstSeen,
      lastSeen: seen,
      lastVersion,
      daily,
      searchTokens: issue.searchTokens,
    });
    // The rollup keeps at most 500 values per stats day; the busiest issues fill them.
    if (i < 500)
      for (let d = 0; d < DAYS; d++) {
        const day = new Date(now - d * 86_400_000).toISOString().slice(0, 10);
        const rows = perDay.get(day) ?? [];
        rows.push({ value: id, count: 1 + ((i + d) % 40) });
        perDay.set(day, rows);
      }
  }
  const rowSketch = sketchOf(2, ROW_PRECISION);
  for (const [day, rows] of perDay) {
    const total = rows.reduce((s, r) => s + r.count, 0);
    void writer.create(db.doc(`products/${productKey}/stats/${day}_issue`), {
      productKey,
      day,
      by: 'issue',
      total: { count: total, clients: 2, sketch: sketchOf(2, ISSUE_PRECISION) },
      rows: rows.map((r) => ({ ...r, clients: 2, sketch: rowSketch })),
      other: null,
      updatedAt: Timestamp.now(),
    });
  }
  await writer.close();
}

/**
 * Where a cold load's time goes, in ms from navigation start (Navigation and Resource Timing):
 * the HTML's last byte, the scripts' last byte, the config's last byte, the Auth emulator's
 * answers (the session restored), the listing call sent and answered.
 */
interface Phases {
  html: number;
  scripts: number;
  config: number;
  authSent: number;
  auth: number;
  listSent: number;
  listAnswered: number;
  /** The api's own Server-Timing: the ID token check and the route. */
  apiAuth: number;
  apiRoute: number;
  /** The first row in the document and painted (the frame after it appeared). */
  painted: number;
}

/**
 * Installed in every page before its scripts run: notes when the issue table's first row
 * appears, then the next frame (when it is painted), on the page's own clock.
 */
const ROWS_PAINTED_SCRIPT = `(() => {
  const seen = () => document.querySelector('table.issues tbody tr td a') !== null;
  const observer = new MutationObserver(() => {
    if (!seen()) return;
    observer.disconnect();
    requestAnimationFrame(() => { window.__rowsPainted = performance.now(); });
  });
  observer.observe(document, { childList: true, subtree: true });
})()`;
const PHASES_SCRIPT = `(() => {
  const res = performance.getEntriesByType('resource');
  const last = (f) => Math.max(0, ...res.filter(f).map((e) => e.responseEnd));
  const list = res.find((e) => e.name.includes('/issues?'));
  return {
    html: performance.getEntriesByType('navigation')[0].responseEnd,
    scripts: last((e) => e.initiatorType === 'script' || e.name.endsWith('.js')),
    config: last((e) => e.name.includes('config.json') || e.name.includes('init.json')),
    authSent: Math.min(...res.filter((e) => e.name.includes('identitytoolkit')).map((e) => e.startTime)),
    auth: last((e) => e.name.includes('identitytoolkit') || e.name.includes('securetoken')),
    listSent: list ? list.startTime : NaN,
    listAnswered: list ? list.responseEnd : NaN,
    apiAuth: list?.serverTiming.find((t) => t.name === 'auth')?.duration ?? NaN,
    apiRoute: list?.serverTiming.find((t) => t.name === 'route')?.duration ?? NaN,
    painted: window.__rowsPainted ?? NaN,
  };
})()`;

function describePhases(phases: Phases[]): string {
  const keys = [
    'html',
    'scripts',
    'config',
    'authSent',
    'auth',
    'listSent',
    'listAnswered',
    'apiAuth',
    'apiRoute',
    'painted',
  ] as const;
  return keys.map((k) => `${k} ${median(phases.map((p) => p[k])).toFixed(0)}`).join(', ');
}

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/**
 * RUNS cold loads of an issue list: navigation → its rows on screen (one answer renders them
 * all, so the first row is the page), or with `next`, a click on Next page → the next page's
 * first row; the listing call as the page saw it (Resource Timing: request sent → last byte);
 * and the rows shown.
 */
async function timeList(
  context: BrowserContext,
  url: string,
  next: boolean,
): Promise<{ screen: number[]; painted: number[]; apiMs: number[]; rows: number[]; phases: Phases[] }> {
  const phases: Phases[] = [];
  const painted: number[] = [];
  const screen: number[] = [];
  const apiMs: number[] = [];
  const shown: number[] = [];
  // One untimed load first: a list's first view builds its list head (issues written straight
  // into the emulator here have none; the rollup and the api keep one as they write rows).
  for (let r = -1; r < RUNS; r++) {
    const tab = await context.newPage();
    let started = Date.now();
    await tab.goto(url);
    const rows = tab.locator('table.issues tbody tr');
    const firstTitle = rows.first().locator('td a').first();
    // The Firestore emulator has no indexes: an array-contains query scans every issue there (performance.md).
    await firstTitle.waitFor({ timeout: 180_000 }).catch(async (err: unknown) => {
      const shown = await tab.locator('main').textContent();
      throw new Error(`no rows at ${url}; the page shows: ${shown ?? ''}`, { cause: err });
    });
    if (next) {
      const first = (await firstTitle.textContent()) ?? '';
      started = Date.now();
      await tab.getByRole('button', { name: 'Next page' }).click();
      await firstTitle.filter({ hasNotText: exactly(first) }).waitFor({ timeout: 180_000 });
    }
    if (r < 0) {
      await tab.close();
      continue;
    }
    screen.push(Date.now() - started);
    shown.push(await rows.count());
    const durations = (await tab.evaluate(
      "performance.getEntriesByType('resource').filter((e) => e.name.includes('/issues?')).map((e) => e.duration)",
    )) as number[];
    apiMs.push(durations[next ? 1 : 0] ?? NaN);
    if (!next) phases.push((await tab.evaluate(PHASES_SCRIPT)) as Phases);
    // Once painted, after the click for a next page.
    const paintedAt = (await tab.evaluate('window.__rowsPainted ?? NaN')) as number;
    painted.push(next ? NaN : paintedAt);
    await tab.close();
  }
  return { screen, painted, apiMs, rows: shown, phases };
}

async function main(): Promise<void> {
  const stack = await startStack({ logDir: join(ROOT, '.local', 'bench-logs') });
  let stopDashboard: (() => Promise<void>) | undefined;
  try {
    process.env.FIRESTORE_EMULATOR_HOST = stack.firestoreEmulatorHost;
    const db = getFirestore(getApps()[0] ?? initializeApp({ projectId: stack.projectId }));
    const owner = await signInWithGoogle(stack.authEmulatorHost, { email: OWNER, name: 'Bench Owner' });
    const { productKey, secret } = await seedProduct(db, { name: 'Ten thousand issues', ownerUid: owner.localId });
    const seedStarted = Date.now();
    await seedIssues(db, productKey, true);
    // The baseline: the same issues in a product from before rows, listed from its issue documents.
    const baseline = await seedProduct(db, { name: 'Before list rows', ownerUid: owner.localId });
    await db.doc(`products/${baseline.productKey}`).update({ issueRowsComplete: FieldValue.delete() });
    await seedIssues(db, baseline.productKey, false);
    console.log(`Seeded ${ISSUES} issues twice in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s.`);

    await buildDashboard({ quiet: true });
    const weight = measureFirstPage();
    const dashboard = await serveDashboard({
      apiUrl: stack.apiUrl,
      projectId: stack.projectId,
      authEmulatorHost: stack.authEmulatorHost,
      ingestUrl: stack.ingestUrl,
    });
    stopDashboard = dashboard.stop;
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    const context = await browser.newContext();
    await context.addInitScript(ROWS_PAINTED_SCRIPT);
    const page = await context.newPage();
    await page.goto(dashboard.url);
    await page.getByLabel('Email').fill(OWNER);
    await page.getByRole('button', { name: /^Sign in/ }).click();
    await page.getByRole('heading', { name: 'Your products' }).waitFor();

    console.log(
      `\nIssue list, ${ISSUES} issues, first page of 25 rows, ${RUNS} cold loads each (Chromium, local stack):`,
    );
    console.log(`load average before: ${load()}`);
    console.log(
      'list                               | navigation → rows painted p50 / p90 | as the driver saw it p50 / p90 | api call p50 / p90 | rows',
    );
    const lists: Array<[string, string, string]> = [
      ['sort=lastSeen', productKey, 'sort=lastSeen'],
      ['  baseline: issue documents', baseline.productKey, 'sort=lastSeen'],
      ['sort=count', productKey, 'sort=count'],
      ['  baseline: issue documents', baseline.productKey, 'sort=count'],
      ['sort=clients', productKey, 'sort=clients'],
      ['  baseline: issue documents', baseline.productKey, 'sort=clients'],
    ];
    if (SEARCH)
      lists.push(
        ['q=checkout', productKey, 'q=checkout'],
        ['q=checkout, production', productKey, 'q=checkout&env=production'],
        ['q=checkout, production, 2.3.0', productKey, 'q=checkout&env=production&version=2.3.0'],
        ['  … its next page', productKey, 'q=checkout&env=production&version=2.3.0'],
      );
    for (const [name, key, query] of lists) {
      const next = name.includes('next page');
      const { screen, painted, apiMs, rows, phases } = await timeList(
        context,
        `${dashboard.url}/p/${key}/issues?${query}`,
        next,
      );
      const paint = next ? '—' : `${median(painted).toFixed(0)} ms / ${p90(painted).toFixed(0)} ms`;
      console.log(
        `${name.padEnd(34)} | ${paint.padEnd(35)} | ${`${median(screen)} ms / ${p90(screen)} ms`.padEnd(29)} | ${median(apiMs).toFixed(0)} ms / ${p90(apiMs).toFixed(0)} ms | ${median(rows)} rows`,
      );
      if (phases.length > 0) console.log(`${' '.repeat(36)}p50 ms after navigation: ${describePhases(phases)}`);
    }
    console.log(`load average after: ${load()}`);
    // Freshness as a person sees it: a crash's 202 to the crash on the open overview, no reload.
    const overview = await context.newPage();
    await overview.goto(`${dashboard.url}/p/${productKey}`);
    await overview.getByText('No crashes received yet').waitFor();
    const clientId = newClientId();
    const arrivals: number[] = [];
    for (let i = 1; i <= LIVE_CRASHES; i++) {
      const message = `bench live crash ${i}`;
      const answer = await sendSigned({
        baseUrl: stack.ingestUrl,
        productKey,
        secret,
        clientId,
        counter: i,
        body: sampleCrash({
          exception: {
            type: 'BenchError',
            message,
            stacktrace: `BenchError: ${message}\n    at main (/srv/app/main.js:1:1)`,
          },
        }),
      });
      if (answer.status !== 202) throw new Error(`the ingest answered ${answer.status}`);
      const accepted = Date.now();
      await overview.locator('.feed li', { hasText: message }).waitFor({ timeout: 30_000 });
      arrivals.push(Date.now() - accepted);
    }
    console.log(
      `\nA crash on the open overview after its 202 (${LIVE_CRASHES} crashes, polled every 2 s): p50 ${median(arrivals)} ms, max ${Math.max(...arrivals)} ms`,
    );
    console.log(
      `\nFirst page ships ${(weight.js / 1024).toFixed(1)} KB of gzipped JavaScript and ${(weight.css / 1024).toFixed(1)} KB of CSS.`,
    );
    await browser.close();
  } finally {
    await stopDashboard?.();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:dashboard failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});

/**
 * Issues per environment end to end on the emulators: signed crashes of three issues in
 * production (one SDK naming no environment) and staging, over two releases, the real rollup,
 * then the releases routes and the crash feed with and without `environment=`: a release's new
 * and top issues are only those seen in the environment, with that environment's crashes and
 * installs, and the feed lists only its crashes.
 */
import { FieldValue } from 'firebase-admin/firestore';
import { fixtureIssueId } from '../unit/rollup/reports';
import { callApi, productWithViewer, rollUpToTheEnd, sdkInstall, viewerGet } from './api-client';
import { testDb } from './helpers';

const ISSUE_A = 'python/checkout-1.3.0-checkout';
const ISSUE_B = 'java/checkout-1.3.0-shipping';
const ISSUE_C = 'node/checkout-1.3.0-checkout';
const [A, B, C] = [ISSUE_A, ISSUE_B, ISSUE_C].map(fixtureIssueId) as [string, string, string];

type IssueRow = { id: string; releaseCrashes: number; releaseInstalls: number };
type ReleaseDetail = { newIssues: number; firstSeenIssues: IssueRow[]; topIssues: IssueRow[] };

describe('issues per environment through the releases routes and the crash feed', () => {
  const day = new Date().toISOString().slice(0, 10);
  const range = `from=${day}&to=${day}`;
  let s: Awaited<ReturnType<typeof productWithViewer>>;
  const get = (path: string) => viewerGet(s, path);
  const release = async (version: string, env = '') =>
    (await get(`/releases/${version}?${range}${env}`)) as unknown as ReleaseDetail;
  const rows = (issues: IssueRow[]) => issues.map((i) => [i.id, i.releaseCrashes, i.releaseInstalls]);
  const newIssues = async (env: string) =>
    ((await get(`/releases?${range}${env}`)).releases as Array<{ version: string; newIssues: number }>).map((r) => [
      r.version,
      r.newIssues,
    ]);

  beforeAll(async () => {
    s = await productWithViewer();
    // p0's SDK names no environment (stored as production); p1's names production.
    const p0 = sdkInstall(s.productKey, s.secret, 'install-prod-0');
    const p1 = sdkInstall(s.productKey, s.secret, 'install-prod-1', 'production');
    const s0 = sdkInstall(s.productKey, s.secret, 'install-stage-0', 'staging');
    const s1 = sdkInstall(s.productKey, s.secret, 'install-stage-1', 'staging');
    // In this order: A first crashes in 1.0.0 in production, and in 2.0.0 in staging, before B.
    await p0.crash(ISSUE_A, '1.0.0');
    await p1.crash(ISSUE_C, '1.0.0');
    await p1.crash(ISSUE_A, '2.0.0');
    await s0.crash(ISSUE_A, '2.0.0');
    await s1.crash(ISSUE_A, '2.0.0');
    await s0.crash(ISSUE_B, '2.0.0');
    await s0.crash(ISSUE_B, '2.0.0');
    await rollUpToTheEnd();
  });

  it('keeps each environment’s crashes and first crash on the issue', async () => {
    const issue = await testDb().doc(`products/${s.productKey}/issues/${A}`).get();
    const environments = issue.get('environments') as Record<string, { count: number; firstVersion: string }>;
    expect(
      Object.fromEntries(Object.entries(environments).map(([name, e]) => [name, [e.count, e.firstVersion]])),
    ).toEqual({ production: [2, '1.0.0'], staging: [2, '2.0.0'] });
  });

  it('counts each release’s new issues in the environment asked for', async () => {
    expect(await newIssues('')).toEqual([
      ['2.0.0', 1],
      ['1.0.0', 2],
    ]);
    // A is new in staging with 2.0.0, where it first crashed there.
    expect(await newIssues('&environment=staging')).toEqual([['2.0.0', 2]]);
    expect(await newIssues('&environment=production')).toEqual([
      ['2.0.0', 0],
      ['1.0.0', 2],
    ]);
  });

  it('lists a release’s new and top issues of every environment together, as before', async () => {
    const all = await release('2.0.0');
    expect(all.newIssues).toBe(1);
    expect(rows(all.firstSeenIssues)).toEqual([[B, 2, 1]]);
    expect(rows(all.topIssues)).toEqual([
      [A, 3, 3],
      [B, 2, 1],
    ]);
  });

  it('lists only the issues seen in the environment, with its crashes and installs', async () => {
    const staging = await release('2.0.0', '&environment=staging');
    expect(staging.newIssues).toBe(2);
    expect(rows(staging.firstSeenIssues)).toEqual([
      [B, 2, 1],
      [A, 2, 2],
    ]);
    expect(rows(staging.topIssues)).toEqual([
      [A, 2, 2],
      [B, 2, 1],
    ]);

    const production = await release('2.0.0', '&environment=production');
    expect([production.newIssues, rows(production.firstSeenIssues)]).toEqual([0, []]);
    expect(rows(production.topIssues)).toEqual([[A, 1, 1]]);

    const older = await release('1.0.0', '&environment=production');
    expect(rows(older.firstSeenIssues)).toEqual([
      [C, 1, 1],
      [A, 1, 1],
    ]);
    // Equal installs and crashes: by id.
    expect(rows(older.topIssues)).toEqual([A, C].sort().map((id) => [id, 1, 1]));
    const none = await callApi(s.viewer.token, 'GET', `${s.base}/releases/1.0.0?${range}&environment=staging`);
    expect(none.status).toBe(404);
  });

  it('lists each issue with its crashes in the environment asked for, also from a row written before', async () => {
    type IssueList = { issues: Array<{ id: string; count: number }>; environment: string | null };
    const list = async (env: string) => {
      const page = (await get(`/issues?sort=count${env}`)) as unknown as IssueList;
      return [page.environment, page.issues.map((i) => [i.id, i.count])];
    };
    // Sorted by every environment's count (A has 4 crashes in all), showing staging's.
    expect(await list('&environment=staging')).toEqual([
      'staging',
      [
        [A, 2],
        [B, 2],
      ],
    ]);
    expect(await list('&environment=production')).toEqual([
      'production',
      [
        [A, 2],
        [C, 1],
      ],
    ]);
    expect(await list('')).toEqual([
      null,
      [
        [A, 4],
        [B, 2],
        [C, 1],
      ],
    ]);
    // A list row written before rows kept their environments' counts: read from the issue.
    const row = testDb().doc(`products/${s.productKey}/issueRows/${A}`);
    expect(Object.keys((await row.get()).get('environmentCounts') as object).sort()).toEqual(['production', 'staging']);
    await row.update({ environmentCounts: FieldValue.delete() });
    expect((await list('&environment=staging'))[1]).toEqual([
      [A, 2],
      [B, 2],
    ]);
  });

  it('feeds only the environment’s latest crashes, and refuses a malformed environment', async () => {
    type Feed = { crashes: Array<{ issueId: string | null; environment?: string }>; cursor: string };
    const feed = async (env: string) => (await get(`/crashes?limit=50${env}`)) as unknown as Feed;
    const all = await feed('');
    const staging = await feed('&environment=staging');
    const production = await feed('&environment=production');
    expect(all.crashes.map((c) => c.issueId)).toEqual([B, B, A, A, A, C, A]);
    expect(staging.crashes.map((c) => c.issueId)).toEqual([B, B, A, A]);
    expect(production.crashes.map((c) => c.issueId)).toEqual([A, C, A]);
    const after = (await get(
      `/crashes?environment=staging&after=${encodeURIComponent(staging.cursor)}`,
    )) as unknown as Feed;
    expect(after.crashes).toEqual([]);
    const bad = await callApi(s.viewer.token, 'GET', `${s.base}/crashes?environment=has%20space`);
    expect([bad.status, (bad.json.error?.details as { issues: Array<{ path: string }> }).issues[0]?.path]).toEqual([
      400,
      'environment',
    ]);
  });

  it('stores an environment with dots as one name, and one Firestore reserves (__x__) in the totals only', async () => {
    const other = await productWithViewer();
    await sdkInstall(other.productKey, other.secret, 'install-dots', 'eu.west-1').crash(ISSUE_A, '1.0.0');
    await sdkInstall(other.productKey, other.secret, 'install-reserved', '__x__').crash(ISSUE_A, '1.0.0');
    await rollUpToTheEnd();
    const issue = await testDb().doc(`products/${other.productKey}/issues/${A}`).get();
    expect(issue.get('count')).toBe(2);
    expect(Object.keys(issue.get('environments') as object)).toEqual(['eu.west-1']);
    const top = (await viewerGet(other, `/releases/1.0.0?${range}&environment=eu.west-1`)) as unknown as ReleaseDetail;
    expect(rows(top.topIssues)).toEqual([[A, 1, 1]]);
  });
});

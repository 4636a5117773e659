/**
 * Environments end to end on the emulators: signed crash, usage and sessions reports in
 * production (named, and not named at all) and staging, the real rollup, then the api with and
 * without `environment=`: each environment's figures are exact, and all of them add up to the
 * all-environments figures, which are what they were before environments existed.
 */
import { fixtureIssueId } from '../unit/rollup/reports';
import { callApi, hourString, productWithViewer, rollUpToTheEnd, sdkInstall, viewerGet } from './api-client';
import { testDb } from './helpers';

const ISSUE_A = 'python/checkout-1.3.0-checkout';
const ISSUE_B = 'java/checkout-1.3.0-shipping';
const DIMENSIONS = ['type', 'label', 'line', 'version', 'issue'] as const;

type Counted = { count: number; clients: number };
type StatsAnswer = { total: Counted; rows: Array<Counted & { value: string }>; series: Array<{ count: number }> };

describe('environments through the api', () => {
  const hour = hourString(Date.now());
  const day = hour.slice(0, 10);
  const range = `from=${day}&to=${day}`;
  let s: Awaited<ReturnType<typeof productWithViewer>>;
  const get = (path: string) => viewerGet(s, path);

  beforeAll(async () => {
    s = await productWithViewer();
    // Production: p0's SDK names no environment (an old SDK), p1's names production.
    const p0 = sdkInstall(s.productKey, s.secret, 'install-prod-0');
    const p1 = sdkInstall(s.productKey, s.secret, 'install-prod-1', 'production');
    const st = [0, 1, 2].map((n) => sdkInstall(s.productKey, s.secret, `install-stage-${n}`, 'staging'));
    await p0.crash(ISSUE_A, '2.0.0');
    await p1.crash(ISSUE_A, '2.0.0');
    await st[0]!.crash(ISSUE_B, '2.1.0-beta');
    await st[0]!.crash(ISSUE_B, '2.1.0-beta');
    await st[1]!.crash(ISSUE_B, '2.1.0-beta');
    await st[2]!.crash(ISSUE_A, '2.0.0');
    await p0.usage('2.0.0', { runs: 1, mode: 'cli' });
    await p1.usage('2.0.0', { runs: 1, mode: 'cli' });
    for (const install of st) await install.usage('2.1.0-beta', { runs: 2, mode: 'ci' });
    await p0.sessions('2.0.0', [[hour, { ok: 3 }]]);
    await p1.sessions('2.0.0', [[hour, { crashed: 1 }]]);
    await st[0]!.sessions('2.1.0-beta', [[hour, { ok: 1, crashed: 1 }]]);
    await st[1]!.sessions('2.1.0-beta', [[hour, { crashed: 1 }]]);
    await st[2]!.sessions('2.0.0', [[hour, { ok: 2 }]]);
    await rollUpToTheEnd();
  });

  it('stores every report with its environment, production when the report named none', async () => {
    const product = testDb().collection('products').doc(s.productKey);
    for (const kind of ['crashes', 'usage', 'sessions']) {
      const docs = (await product.collection(kind).get()).docs.map((d) => [d.get('installId'), d.get('environment')]);
      const environments = new Map(docs.map(([install, environment]) => [install as string, environment as string]));
      expect([kind, Object.fromEntries(environments)]).toEqual([
        kind,
        {
          'install-prod-0': 'production',
          'install-prod-1': 'production',
          'install-stage-0': 'staging',
          'install-stage-1': 'staging',
          'install-stage-2': 'staging',
        },
      ]);
    }
  });

  it('lists the environments seen for the picker', async () => {
    const json = await get('/environments');
    expect((json.environments as Array<{ name: string }>).map((e) => e.name)).toEqual(['production', 'staging']);
  });

  it('answers crash stats of one environment exactly, and all environments as their sum', async () => {
    for (const by of DIMENSIONS) {
      const [all, prod, staging] = (await Promise.all(
        ['', '&environment=production', '&environment=staging'].map((env) =>
          get(`/stats?by=${by}&${range}&series=day${env}`),
        ),
      )) as unknown as StatsAnswer[];
      expect([by, all!.total, prod!.total, staging!.total]).toEqual([
        by,
        { count: 6, clients: 5 },
        { count: 2, clients: 2 },
        { count: 4, clients: 3 },
      ]);
      expect(all!.series[0]!.count).toBe(prod!.series[0]!.count + staging!.series[0]!.count);
      const sum = new Map<string, number>();
      for (const row of [...prod!.rows, ...staging!.rows]) sum.set(row.value, (sum.get(row.value) ?? 0) + row.count);
      expect(new Map(all!.rows.map((r) => [r.value, r.count]))).toEqual(sum);
    }
    const versions = (await get(`/stats?by=version&${range}&environment=staging`)) as unknown as StatsAnswer;
    expect(versions.rows.map((r) => [r.value, r.count, r.clients])).toEqual([
      ['2.1.0-beta', 3, 2],
      ['2.0.0', 1, 1],
    ]);
    const issues = (await get(`/stats?by=issue&${range}&environment=production`)) as unknown as StatsAnswer;
    expect(issues.rows.map((r) => [r.value, r.count])).toEqual([[fixtureIssueId(ISSUE_A), 2]]);
  });

  it('answers usage of one environment exactly, and all environments as their sum', async () => {
    const all = await get(`/stats?by=usage&${range}`);
    const prod = await get(`/stats?by=usage&${range}&environment=production`);
    const staging = await get(`/stats?by=usage&${range}&environment=staging`);
    expect([all.reports, prod.reports, staging.reports]).toEqual([5, 2, 3]);
    expect([all.installs, prod.installs, staging.installs]).toEqual([5, 2, 3]);
    expect(staging.rows).toEqual([
      { metric: 'mode', value: 'ci', count: 3 },
      { metric: 'runs', count: 3, sum: 6, min: 2, max: 2 },
    ]);
    expect(all.rows).toEqual([
      { metric: 'mode', value: 'ci', count: 3 },
      { metric: 'mode', value: 'cli', count: 2 },
      { metric: 'runs', count: 5, sum: 8, min: 1, max: 2 },
    ]);
  });

  it('answers release health of one environment exactly, and all environments as their sum', async () => {
    const all = await get(`/releases?${range}`);
    const prod = await get(`/releases?${range}&environment=production`);
    const staging = await get(`/releases?${range}&environment=staging`);
    const figures = (json: Record<string, unknown>) =>
      (json.releases as Array<Record<string, unknown>>).map((r) => [
        r.version,
        r.sessions,
        r.crashedSessions,
        r.installs,
        r.crashedInstalls,
        r.crashFreeSessions,
        r.crashFreeInstalls,
        r.crashes,
      ]);
    expect(figures(prod)).toEqual([['2.0.0', 4, 1, 2, 1, 0.75, 0.5, 2]]);
    expect(figures(staging)).toEqual([
      ['2.1.0-beta', 3, 2, 2, 2, 1 - 2 / 3, 0, 3],
      ['2.0.0', 2, 0, 1, 0, 1, 1, 1],
    ]);
    expect(figures(all)).toEqual([
      ['2.1.0-beta', 3, 2, 2, 2, 1 - 2 / 3, 0, 3],
      ['2.0.0', 6, 1, 3, 1, 1 - 1 / 6, 1 - 1 / 3, 3],
    ]);
    expect([all.total, prod.total, staging.total].map((t) => (t as { sessions: number }).sessions)).toEqual([9, 4, 5]);
    expect((staging.releases as Array<{ adoption: number }>).map((r) => r.adoption)).toEqual([2 / 3, 1 / 3]);

    const one = await get(`/releases/2.0.0?${range}&environment=staging`);
    expect(one).toMatchObject({ version: '2.0.0', sessions: 2, crashedSessions: 0, installs: 1, crashes: 1 });
    expect((one.series as Array<{ sessions: number }>).map((d) => d.sessions)).toEqual([2]);
    expect(await get(`/releases/2.0.0?${range}`)).toMatchObject({ sessions: 6, installs: 3, crashes: 3 });
  });

  it('answers an environment never seen with empty figures, and a release there with 404', async () => {
    const stats = await get(`/stats?by=type&${range}&environment=qa`);
    expect([stats.total, stats.rows]).toEqual([{ count: 0, clients: 0 }, []]);
    expect(await get(`/stats?by=usage&${range}&environment=qa`)).toMatchObject({ reports: 0, installs: 0, rows: [] });
    expect((await get(`/releases?${range}&environment=qa`)).releases).toEqual([]);
    const release = await callApi(s.viewer.token, 'GET', `${s.base}/releases/2.0.0?${range}&environment=qa`);
    expect(release.status).toBe(404);
    // Environments are case-sensitive: Staging is not staging.
    expect((await get(`/stats?by=type&${range}&environment=Staging`)).total).toEqual({ count: 0, clients: 0 });
  });

  it.each([
    ['a space', 'has%20space'],
    ['a slash', 'a%2Fb'],
    ['an empty value', ''],
    ['65 characters', 'x'.repeat(65)],
  ])('refuses an environment with %s with a 400 naming environment on every filtered route', async (_name, env) => {
    for (const path of [
      `/stats?by=type&${range}`,
      `/stats?by=usage&${range}`,
      `/releases?${range}`,
      `/releases/2.0.0?${range}`,
    ]) {
      const res = await callApi(s.viewer.token, 'GET', `${s.base}${path}&environment=${env}`);
      expect([path, res.status, res.json.error?.code]).toEqual([path, 400, 'invalid_argument']);
      const issues = (res.json.error?.details as { issues: Array<{ path: string }> }).issues;
      expect(issues.map((i) => i.path)).toEqual(['environment']);
    }
  });

  it('lists no environments to someone who is not a member (404, as for no product)', async () => {
    const stranger = await callApi(s.owner.token, 'GET', '/v1/products/pk_nosuchproduct1/environments');
    expect(stranger.status).toBe(404);
  });
});

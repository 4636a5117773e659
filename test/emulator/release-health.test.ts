/**
 * Release health end to end on the emulators: signed /v1/sessions and /v1/crashes reports of
 * many installs over two releases and two days, the real rollup, then the api's exact figures.
 */
import { fixtureIssueId } from '../unit/rollup/reports';
import { callApi, googleUser, hourString, productWithViewer, rollUpToTheEnd, sdkInstall } from './api-client';

const HOUR_MS = 3_600_000;
const ISSUE_A = 'python/checkout-1.3.0-checkout';
const ISSUE_B = 'java/checkout-1.3.0-shipping';
const ISSUE_C = 'node/checkout-1.3.0-preview';

describe('release health through the api', () => {
  const now = Date.now();
  const thisHour = hourString(now);
  const yesterdayHour = hourString(now - 24 * HOUR_MS);
  const today = thisHour.slice(0, 10);
  const yesterday = yesterdayHour.slice(0, 10);
  let s: Awaited<ReturnType<typeof productWithViewer>>;

  beforeAll(async () => {
    s = await productWithViewer();
    const { productKey } = s;
    const secret = s.secret;
    const i = Array.from({ length: 10 }, (_, n) => sdkInstall(productKey, secret, `install-2x-${n}`));
    const j = Array.from({ length: 4 }, (_, n) => sdkInstall(productKey, secret, `install-1x-${n}`));
    // 1.0.0, mostly yesterday: i0 ran it before upgrading; j1's crash makes issue A, first seen in 1.0.0.
    await i[0]!.sessions('1.0.0', [[yesterdayHour, { ok: 1 }]]);
    await j[0]!.sessions('1.0.0', [[yesterdayHour, { ok: 3 }]]);
    await j[1]!.crash(ISSUE_A, '1.0.0');
    await j[1]!.sessions('1.0.0', [[yesterdayHour, { crashed: 2 }]]);
    await j[2]!.sessions('1.0.0', [[thisHour, { errored: 1 }]]);
    await j[3]!.sessions('1.0.0', [[thisHour, { abnormal: 1, ok: 1 }]]);
    // 2.0.0: six clean runs, a handled error, a crash, a kill, and a late report of yesterday's runs.
    for (let n = 0; n < 6; n++) await i[n]!.sessions('2.0.0', [[thisHour, { ok: 1 }]]);
    await i[6]!.crash(ISSUE_B, '2.0.0');
    await i[6]!.sessions('2.0.0', [[thisHour, { errored: 1 }]]);
    await i[7]!.crash(ISSUE_B, '2.0.0');
    await i[7]!.sessions('2.0.0', [[thisHour, { crashed: 1 }]]);
    await i[8]!.sessions('2.0.0', [[thisHour, { abnormal: 1 }]]);
    await i[9]!.crash(ISSUE_A, '2.0.0');
    await i[9]!.sessions('2.0.0', [
      [yesterdayHour, { ok: 2 }],
      [thisHour, { crashed: 1 }],
    ]);
    // 0.9.0: an SDK from before sessions sends crashes only.
    await sdkInstall(productKey, secret, 'install-old-0').crash(ISSUE_C, '0.9.0');
    await rollUpToTheEnd();
  });

  it('lists both releases, newest first, with exact sessions, installs, rates, adoption, crashes and new issues', async () => {
    const res = await callApi(s.viewer.token, 'GET', `${s.base}/releases?from=${yesterday}&to=${today}`);
    expect(res.status).toBe(200);
    const releases = res.json.releases as Array<Record<string, unknown>>;
    expect(releases.map((r) => r.version)).toEqual(['2.0.0', '1.0.0', '0.9.0']);
    const [v2, v1, old] = releases;
    expect(v2).toEqual({
      version: '2.0.0',
      firstSeen: new Date(yesterdayHour).toISOString(),
      lastSeen: new Date(thisHour).toISOString(),
      installs: 10,
      crashedInstalls: 2,
      sessions: 12,
      crashedSessions: 2,
      erroredSessions: 1,
      abnormalSessions: 1,
      crashFreeSessions: 1 - 2 / 12,
      crashFreeInstalls: 1 - 2 / 10,
      adoption: 10 / 14,
      crashes: 3,
      newIssues: 1,
    });
    expect(v1).toEqual({
      version: '1.0.0',
      firstSeen: new Date(yesterdayHour).toISOString(),
      lastSeen: new Date(thisHour).toISOString(),
      installs: 5,
      crashedInstalls: 1,
      sessions: 9,
      crashedSessions: 2,
      erroredSessions: 1,
      abnormalSessions: 1,
      crashFreeSessions: 1 - 2 / 9,
      crashFreeInstalls: 1 - 1 / 5,
      adoption: 5 / 14,
      crashes: 1,
      newIssues: 1,
    });
    // No session: counts of 0 and no rate, but its crashes and new issue still count.
    expect(old).toEqual({
      version: '0.9.0',
      firstSeen: null,
      lastSeen: null,
      installs: 0,
      crashedInstalls: 0,
      sessions: 0,
      crashedSessions: 0,
      erroredSessions: 0,
      abnormalSessions: 0,
      crashFreeSessions: null,
      crashFreeInstalls: null,
      adoption: null,
      crashes: 1,
      newIssues: 1,
    });
  });

  it('shows one release with a point per day, its new issues and its top issues by installs affected', async () => {
    const res = await callApi(s.viewer.token, 'GET', `${s.base}/releases/2.0.0?from=${yesterday}&to=${today}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ version: '2.0.0', sessions: 12, installs: 10, crashes: 3, newIssues: 1 });
    const series = res.json.series as Array<Record<string, unknown>>;
    expect(series).toEqual([
      {
        day: yesterday,
        installs: 1,
        crashedInstalls: 0,
        sessions: 2,
        crashedSessions: 0,
        erroredSessions: 0,
        abnormalSessions: 0,
        crashFreeSessions: 1,
        crashFreeInstalls: 1,
        // yesterday's installs: i0, j0, j1 (1.0.0) and i9 (2.0.0)
        adoption: 1 / 4,
        crashes: 0,
      },
      {
        day: today,
        installs: 10,
        crashedInstalls: 2,
        sessions: 10,
        crashedSessions: 2,
        erroredSessions: 1,
        abnormalSessions: 1,
        crashFreeSessions: 0.8,
        crashFreeInstalls: 0.8,
        // today's installs: i0..i9 (2.0.0), j2 and j3 (1.0.0)
        adoption: 10 / 12,
        crashes: 3,
      },
    ]);
    const first = res.json.firstSeenIssues as Array<{ id: string; releaseInstalls: number }>;
    expect(first.map((i) => [i.id, i.releaseInstalls])).toEqual([[fixtureIssueId(ISSUE_B), 2]]);
    const top = res.json.topIssues as Array<{ id: string; releaseInstalls: number; releaseCrashes: number }>;
    expect(top.map((i) => [i.id, i.releaseInstalls, i.releaseCrashes])).toEqual([
      [fixtureIssueId(ISSUE_B), 2, 2],
      [fixtureIssueId(ISSUE_A), 1, 1],
    ]);
  });

  it("adds the installs an issue affected, in all and per release, to the issue's detail", async () => {
    const a = await callApi(s.viewer.token, 'GET', `${s.base}/issues/${fixtureIssueId(ISSUE_A)}`);
    expect(a.json.installs).toEqual({
      total: 2,
      releases: [
        { version: '2.0.0', installs: 1, crashes: 1 },
        { version: '1.0.0', installs: 1, crashes: 1 },
      ],
    });
    const b = await callApi(s.viewer.token, 'GET', `${s.base}/issues/${fixtureIssueId(ISSUE_B)}`);
    expect(b.json.installs).toEqual({ total: 2, releases: [{ version: '2.0.0', installs: 2, crashes: 2 }] });
  });

  it('answers an empty range with no releases, and a release without data in the range with 404', async () => {
    const res = await callApi(s.owner.token, 'GET', `${s.base}/releases?from=2020-01-01&to=2020-01-31`);
    expect(res.status).toBe(200);
    expect(res.json.releases).toEqual([]);
    const missing = await callApi(s.owner.token, 'GET', `${s.base}/releases/9.9.9?from=${yesterday}&to=${today}`);
    expect(missing.status).toBe(404);
    // A version is one percent-encoded path segment.
    const encoded = await callApi(
      s.owner.token,
      'GET',
      `${s.base}/releases/${encodeURIComponent('2.0.0')}?from=${today}&to=${today}`,
    );
    expect(encoded.json).toMatchObject({ version: '2.0.0', sessions: 10 });
  });

  it('adds every release together (an install that ran two releases counted once) and each day of sessions to the list', async () => {
    const res = await callApi(s.viewer.token, 'GET', `${s.base}/releases?from=${yesterday}&to=${today}`);
    expect(res.status).toBe(200);
    // 21 sessions (4 crashed) from 14 installs (i0 ran 1.0.0 and 2.0.0), 3 of them with a crash (j1, i7, i9);
    // the crashes include 0.9.0's, which sent no session.
    expect(res.json.total).toEqual({
      installs: 14,
      crashedInstalls: 3,
      sessions: 21,
      crashedSessions: 4,
      erroredSessions: 2,
      abnormalSessions: 2,
      crashFreeSessions: 1 - 4 / 21,
      crashFreeInstalls: 1 - 3 / 14,
      crashes: 5,
    });
    const series = res.json.series as Array<{ day: string; releases: Array<{ version: string }> }>;
    const byVersion = series.map((d) => ({
      ...d,
      releases: [...d.releases].sort((a, b) => (a.version < b.version ? -1 : 1)),
    }));
    expect(byVersion).toEqual([
      {
        day: yesterday,
        sessions: 8,
        crashedSessions: 2,
        releases: [
          { version: '1.0.0', sessions: 6, crashedSessions: 2 },
          { version: '2.0.0', sessions: 2, crashedSessions: 0 },
        ],
      },
      {
        day: today,
        sessions: 13,
        crashedSessions: 2,
        releases: [
          { version: '1.0.0', sessions: 3, crashedSessions: 0 },
          { version: '2.0.0', sessions: 10, crashedSessions: 2 },
        ],
      },
    ]);
    const empty = await callApi(s.owner.token, 'GET', `${s.base}/releases?from=2020-01-01&to=2020-01-02`);
    expect(empty.json).toMatchObject({
      total: { installs: 0, sessions: 0, crashFreeSessions: null, crashFreeInstalls: null, crashes: 0 },
      series: [
        { day: '2020-01-01', sessions: 0, crashedSessions: 0, releases: [] },
        { day: '2020-01-02', sessions: 0, crashedSessions: 0, releases: [] },
      ],
    });
  });

  it('refuses a stranger with 404, and a bad range with 400 naming it', async () => {
    const stranger = await googleUser('stranger');
    for (const path of [
      `${s.base}/releases?from=${today}&to=${today}`,
      `${s.base}/releases/2.0.0?from=${today}&to=${today}`,
    ]) {
      const res = await callApi(stranger.token, 'GET', path);
      expect([path, res.status, res.json.error?.code]).toEqual([path, 404, 'not_found']);
    }
    const noFrom = await callApi(s.viewer.token, 'GET', `${s.base}/releases?to=${today}`);
    expect(noFrom.status).toBe(400);
    expect(noFrom.json.error?.details?.issues?.map((i) => i.path)).toEqual(['from']);
    const tooLong = await callApi(s.viewer.token, 'GET', `${s.base}/releases?from=2026-01-01&to=2026-12-31`);
    expect(tooLong.status).toBe(400);
    const reversed = await callApi(s.viewer.token, 'GET', `${s.base}/releases/2.0.0?from=${today}&to=${yesterday}`);
    expect(reversed.status).toBe(400);
  });
});

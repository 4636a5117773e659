import { randomUUID } from 'node:crypto';
import { fixtureCrash, fixtureIssueId } from '../unit/rollup/reports';
import { callApi, googleUser, productWithViewer, rollUpToTheEnd } from './api-client';

const call = callApi;
const rollUp = rollUpToTheEnd;

const fingerprintOf = fixtureIssueId;

const setup = productWithViewer;

const today = () => new Date().toISOString().slice(0, 10);

describe('issues and stats through the api', () => {
  it('lists issues by last seen or count and by status, and shows one with its recent crashes', async () => {
    const s = await setup();
    await s.send('/v1/crashes', fixtureCrash('python/checkout-1.3.0-shipping', { version: '1.0' }));
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push(await s.send('/v1/crashes', fixtureCrash('python/checkout-1.3.0-checkout', { version: '1.0' })));
    await s.send('/v1/crashes', fixtureCrash('python/checkout-1.3.0-preview', { version: '1.0' }));
    await rollUp();

    const byLastSeen = await call(s.viewer.token, 'GET', `${s.base}/issues`);
    expect(byLastSeen.status).toBe(200);
    const issues = byLastSeen.json.issues as Array<{ id: string; count: number; status: string; title: string }>;
    expect(issues.map((i) => i.id)).toEqual([
      fingerprintOf('python/checkout-1.3.0-preview'),
      fingerprintOf('python/checkout-1.3.0-checkout'),
      fingerprintOf('python/checkout-1.3.0-shipping'),
    ]);
    expect(issues[1]).toMatchObject({
      type: 'KeyError',
      title: "KeyError: 'BOGUS'",
      culprit: 'checkout.py in apply_discount',
      count: 3,
      status: 'unresolved',
    });
    expect(Object.keys(issues[1]!).sort()).toEqual(
      [
        'assigneeUid',
        'clients',
        'count',
        'daily',
        'culprit',
        'firstSeen',
        'id',
        'lastSeen',
        'lastVersion',
        'resolvedAfterVersion',
        'resolvedInVersion',
        'status',
        'title',
        'type',
      ].sort(),
    );
    const byCount = await call(s.viewer.token, 'GET', `${s.base}/issues?sort=count&limit=1`);
    expect((byCount.json.issues as Array<{ id: string }>).map((i) => i.id)).toEqual([
      fingerprintOf('python/checkout-1.3.0-checkout'),
    ]);

    const detail = await call(
      s.viewer.token,
      'GET',
      `${s.base}/issues/${fingerprintOf('python/checkout-1.3.0-checkout')}`,
    );
    expect(detail.status).toBe(200);
    const crashes = detail.json.recentCrashes as Array<{ id: string; exception: { type: string; stacktrace: string } }>;
    expect(crashes.map((c) => c.id)).toEqual([...ids].reverse());
    expect(crashes[0]!.exception.stacktrace).toContain('apply_discount');
    expect(detail.json).toMatchObject({
      versions: ['1.0'],
      source: 'frames',
      topFrame: { function: 'apply_discount', line: 17 },
    });

    const none = await call(s.viewer.token, 'GET', `${s.base}/issues?status=resolved`);
    expect(none.json).toMatchObject({ issues: [], nextCursor: null });
  });

  it('lets only the owner resolve; a crash in an older version keeps it resolved, one at or above reopens it', async () => {
    const s = await setup();
    const id = fingerprintOf('node/checkout-1.3.0-checkout');
    await s.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.2.0' }));
    await rollUp();
    const path = `${s.base}/issues/${id}`;
    const denied = await call(s.viewer.token, 'PATCH', path, { status: 'resolved', resolvedInVersion: '1.3' });
    expect([denied.status, denied.json.error?.code]).toEqual([403, 'permission_denied']);
    const bad = await call(s.owner.token, 'PATCH', path, { status: 'ignored', resolvedInVersion: '1.3' });
    expect([bad.status, bad.json.error?.code]).toEqual([400, 'invalid_body']);
    const resolved = await call(s.owner.token, 'PATCH', path, { status: 'resolved', resolvedInVersion: '1.3' });
    expect(resolved.status).toBe(200);
    expect(resolved.json).toMatchObject({ status: 'resolved', resolvedInVersion: '1.3' });

    await s.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.2.5' }));
    await rollUp();
    expect((await call(s.viewer.token, 'GET', path)).json).toMatchObject({ status: 'resolved', count: 2 });

    await s.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.3.0' }));
    await rollUp();
    expect((await call(s.viewer.token, 'GET', path)).json).toMatchObject({
      status: 'regressed',
      regressedInVersion: '1.3.0',
      count: 3,
    });
    const listed = await call(s.viewer.token, 'GET', `${s.base}/issues?status=regressed`);
    expect((listed.json.issues as Array<{ id: string }>).map((i) => i.id)).toEqual([id]);
  });

  it('resolved in the next release, stays resolved on the same build and regresses on a newer one', async () => {
    const s = await setup();
    const id = fingerprintOf('node/checkout-1.3.0-checkout');
    await s.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.3.0' }));
    await s.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.2.0' }));
    await rollUp();
    const path = `${s.base}/issues/${id}`;
    expect((await call(s.viewer.token, 'GET', path)).json).toMatchObject({
      newestVersion: '1.3.0',
      lastVersion: '1.2.0',
    });
    // The client cannot name the version: the api takes the newest from the stored issue.
    const forged = await call(s.owner.token, 'PATCH', path, {
      status: 'resolved',
      resolution: { kind: 'nextRelease', version: '9.0.0' },
    });
    expect([forged.status, forged.json.error?.code]).toEqual([400, 'invalid_body']);
    const resolved = await call(s.owner.token, 'PATCH', path, {
      status: 'resolved',
      resolution: { kind: 'nextRelease' },
    });
    expect([resolved.status, resolved.json.resolvedAfterVersion, resolved.json.resolvedInVersion]).toEqual([
      200,
      '1.3.0',
      null,
    ]);

    await s.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.3.0' }));
    await rollUp();
    expect((await call(s.viewer.token, 'GET', path)).json).toMatchObject({ status: 'resolved', count: 3 });

    await s.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.3.1' }));
    await rollUp();
    expect((await call(s.viewer.token, 'GET', path)).json).toMatchObject({
      status: 'regressed',
      regressedInVersion: '1.3.1',
      count: 4,
    });
  });

  it('answers stats per dimension over a day range, and usage per metric', async () => {
    const s = await setup();
    await s.send(
      '/v1/crashes',
      fixtureCrash('java/checkout-1.3.0-checkout', { version: '1.3.0', label: 'pay', installId: 'install-0001' }),
    );
    await s.send(
      '/v1/crashes',
      fixtureCrash('java/checkout-1.3.0-checkout', { version: '1.3.0', label: 'pay', installId: 'install-0002' }),
    );
    await s.send('/v1/crashes', fixtureCrash('java/orders', { version: '1.2.0', installId: 'install-0001' }));
    await s.send('/v1/usage', {
      reportId: randomUUID(),
      occurredAt: new Date().toISOString(),
      app: { name: 'shop', version: '1.3.0' },
      installId: 'install-0001',
      metrics: { launches: 3, plan: 'pro' },
    });
    await rollUp();
    const day = today();
    const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    const byLabel = await call(s.viewer.token, 'GET', `${s.base}/stats?by=label&from=${day}&to=${day}`);
    expect(byLabel.json).toEqual({
      by: 'label',
      from: day,
      to: day,
      total: { count: 3, clients: 2 },
      rows: [{ value: 'pay', count: 2, clients: 2 }],
      other: null,
    });
    const byVersion = await call(s.viewer.token, 'GET', `${s.base}/stats?by=version&from=${monthAgo}&to=${day}`);
    expect(byVersion.json.rows).toEqual([
      { value: '1.3.0', count: 2, clients: 2 },
      { value: '1.2.0', count: 1, clients: 1 },
    ]);
    const usage = await call(s.viewer.token, 'GET', `${s.base}/stats?by=usage&from=${day}&to=${day}`);
    expect(usage.json).toEqual({
      by: 'usage',
      from: day,
      to: day,
      reports: 1,
      installs: 1,
      rows: [
        { metric: 'launches', count: 1, sum: 3, min: 3, max: 3 },
        { metric: 'plan', value: 'pro', count: 1 },
      ],
    });
    const tooLong = await call(s.viewer.token, 'GET', `${s.base}/stats?by=type&from=2020-01-01&to=${day}`);
    expect([tooLong.status, tooLong.json.error?.details?.maxDays]).toEqual([400, 92]);
    const reversed = await call(s.viewer.token, 'GET', `${s.base}/stats?by=type&from=${day}&to=2020-01-01`);
    expect([reversed.status, reversed.json.error?.code]).toEqual([400, 'invalid_argument']);
    const unknown = await call(s.viewer.token, 'GET', `${s.base}/stats?by=colour&from=${day}&to=${day}`);
    expect([unknown.status, unknown.json.error?.code]).toEqual([400, 'invalid_argument']);
  });

  it('answers 404 to someone who is not a member, as for a product that does not exist', async () => {
    const s = await setup();
    const stranger = await googleUser('stranger');
    for (const path of [
      `${s.base}/issues`,
      `${s.base}/stats?by=type&from=${today()}&to=${today()}`,
      '/v1/products/pk_does_not_exist/issues',
    ]) {
      const res = await call(stranger.token, 'GET', path);
      expect([res.status, res.json.error?.code]).toEqual([404, 'not_found']);
    }
    const missing = await call(s.owner.token, 'GET', `${s.base}/issues/${'0'.repeat(64)}`);
    expect([missing.status, missing.json.error?.code]).toEqual([404, 'not_found']);
  });
});

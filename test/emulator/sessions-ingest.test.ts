import { sendSigned, newClientId } from '../../scripts/lib/client';
import { reportShard } from '../../functions/src/ingest/stored-report';
import { countDocs, newProduct, requireEnv, testDb } from './helpers';

const baseUrl = () => requireEnv('DUMPCATCHER_INGEST_URL');

async function setup() {
  const product = await newProduct();
  const base = {
    baseUrl: baseUrl(),
    productKey: product.productKey,
    secret: product.secret,
    clientId: newClientId(),
    path: '/v1/sessions',
  };
  return { product, base };
}

/** A valid sessions report, as the wire format (sessions-wire) describes it. */
function sessionsReport(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    reportId: crypto.randomUUID(),
    occurredAt: new Date().toISOString(),
    app: { name: 'cli', version: '2.3.0' },
    installId: 'inst_sessions_0001',
    sessions: [
      { started: '2026-12-07T10:00:00Z', ok: 3, errored: 1, crashed: 0, abnormal: 0 },
      { started: '2026-12-07T11:00:00Z', ok: 0, errored: 0, crashed: 1, abnormal: 2 },
    ],
    ...overrides,
  };
}

const bucket = (fields: Record<string, unknown>) => ({
  started: '2026-12-07T10:00:00Z',
  ok: 1,
  errored: 0,
  crashed: 0,
  abnormal: 0,
  ...fields,
});

describe('POST /v1/sessions over HTTP on the Firestore emulator', () => {
  it('stores a signed sessions report once, as one document with receivedAt and shard', async () => {
    const { product, base } = await setup();
    const report = sessionsReport();
    const res = await sendSigned({ ...base, counter: 1, body: report });
    expect(res.status).toBe(202);
    const id = res.json.id as string;
    const doc = await testDb().collection('products').doc(product.productKey).collection('sessions').doc(id).get();
    expect(doc.get('reportId')).toBe(report.reportId);
    expect(doc.get('app')).toEqual({ name: 'cli', version: '2.3.0' });
    expect(doc.get('installId')).toBe('inst_sessions_0001');
    expect(doc.get('sessions')).toEqual(report.sessions);
    expect(doc.get('clientId')).toBe(base.clientId);
    expect(doc.get('shard')).toBe(reportShard(id));
    const receivedAt = doc.get('receivedAt').toDate() as Date;
    expect(Math.abs(receivedAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await countDocs(product.productKey, 'sessions')).toBe(1);
    expect(await countDocs(product.productKey, 'usage')).toBe(0);
    expect(await countDocs(product.productKey, 'crashes')).toBe(0);
  });

  it('answers a retry with 200 duplicate and a reused counter with 409, writing nothing more', async () => {
    const { product, base } = await setup();
    const report = sessionsReport();
    expect((await sendSigned({ ...base, counter: 4, body: report })).status).toBe(202);
    const again = await sendSigned({ ...base, counter: 4, body: report });
    expect(again.status).toBe(200);
    expect(again.json.duplicate).toBe(true);
    const reused = await sendSigned({ ...base, counter: 4, body: sessionsReport() });
    expect(reused.status).toBe(409);
    expect(await countDocs(product.productKey, 'sessions')).toBe(1);
  });

  it('accepts a report without installId (the user opted out of the install id)', async () => {
    const { product, base } = await setup();
    const report = sessionsReport();
    delete report.installId;
    expect((await sendSigned({ ...base, counter: 1, body: report })).status).toBe(202);
    expect(await countDocs(product.productKey, 'sessions')).toBe(1);
  });

  it('refuses an unsigned sessions report with 401', async () => {
    const { product, base } = await setup();
    const res = await sendSigned({ ...base, secret: 'not-the-secret', counter: 1, body: sessionsReport() });
    expect(res.status).toBe(401);
    expect(await countDocs(product.productKey, 'sessions')).toBe(0);
  });

  const badBodies: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown top-level field', { device: 'pixel' }, 'device'],
    ['no buckets', { sessions: [] }, 'sessions'],
    ['101 buckets', { sessions: Array.from({ length: 101 }, () => bucket({})) }, 'sessions'],
    ['a start with minutes', { sessions: [bucket({ started: '2026-12-07T10:30:00Z' })] }, 'sessions.0.started'],
    ['a start with seconds', { sessions: [bucket({ started: '2026-12-07T10:00:05Z' })] }, 'sessions.0.started'],
    ['a start with an offset', { sessions: [bucket({ started: '2026-12-07T10:00:00+01:00' })] }, 'sessions.0.started'],
    [
      'a start with milliseconds',
      { sessions: [bucket({ started: '2026-12-07T10:00:00.000Z' })] },
      'sessions.0.started',
    ],
    [
      'a start on a day that does not exist',
      { sessions: [bucket({ started: '2026-02-30T10:00:00Z' })] },
      'sessions.0.started',
    ],
    ['a negative count', { sessions: [bucket({ ok: -1 })] }, 'sessions.0.ok'],
    ['a fractional count', { sessions: [bucket({ crashed: 0.5 })] }, 'sessions.0.crashed'],
    ['a count over 1,000,000', { sessions: [bucket({ abnormal: 1_000_001 })] }, 'sessions.0.abnormal'],
    [
      'a missing status',
      { sessions: [{ started: '2026-12-07T10:00:00Z', ok: 1, errored: 0, crashed: 0 }] },
      'sessions.0.abnormal',
    ],
    ['an unknown bucket field', { sessions: [bucket({ exited: 1 })] }, 'sessions.0.exited'],
    ['an empty bucket', { sessions: [bucket({ ok: 0 })] }, 'sessions.0'],
    [
      'more than 100,000 sessions in all',
      { sessions: [bucket({ ok: 60_000 }), bucket({ started: '2026-12-07T11:00:00Z', errored: 40_001, ok: 0 })] },
      'sessions',
    ],
    ['a bad install id', { installId: 'no spaces allowed' }, 'installId'],
    ['no app version', { app: { name: 'cli' } }, 'app.version'],
  ];
  it.each(badBodies)('refuses %s with 400 naming the field, and stores nothing', async (_name, overrides, path) => {
    const { product, base } = await setup();
    const res = await sendSigned({ ...base, counter: 1, body: sessionsReport(overrides) });
    expect(res.status).toBe(400);
    const error = res.json.error as { code: string; message: string; details: { issues: Array<{ path: string }> } };
    expect(error.code).toBe('invalid_body');
    expect(error.message).toMatch(/^Invalid sessions report: /);
    expect(error.details.issues.map((i) => i.path)).toContain(path);
    expect(await countDocs(product.productKey, 'sessions')).toBe(0);
  });

  it('accepts exactly 100,000 sessions and 100 buckets', async () => {
    const { product, base } = await setup();
    const sessions = Array.from({ length: 100 }, (_, i) =>
      bucket({
        started: new Date(Date.UTC(2026, 11, 1) + i * 3_600_000).toISOString().replace('.000Z', 'Z'),
        ok: 1000,
      }),
    );
    const res = await sendSigned({ ...base, counter: 1, body: sessionsReport({ sessions }) });
    expect(res.status).toBe(202);
    expect(await countDocs(product.productKey, 'sessions')).toBe(1);
  });
});

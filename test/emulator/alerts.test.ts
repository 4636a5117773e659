import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { runRollup } from '../../functions/src/rollup/rollup';
import { createFirestoreRollupStore } from '../../functions/src/rollup/store';
import { fixtureCrash } from '../unit/rollup/reports';
import { callApi, googleUser, signedSender } from './api-client';
import { requireEnv, rollUpToTheEnd, testDb } from './helpers';

const call = callApi;

const rollUp = rollUpToTheEnd;

/** A request the receiver got. */
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on 127.0.0.1 that answers each request with the next status of `statuses` (then 200). */
class Receiver {
  readonly received: Received[] = [];
  statuses: number[] = [];
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(this.statuses.shift() ?? 200, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}${path}`;
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const receiver = new Receiver();
beforeAll(() => receiver.start());
afterAll(() => receiver.stop());

/** A product made through the api, with a viewer, a webhook destination on its own path, and a signed sender. */
async function setup(
  options: {
    kind?: 'webhook' | 'slack';
    events?: string[];
    spikeThreshold?: number;
    extra?: Record<string, unknown>;
  } = {},
) {
  const owner = await googleUser('owner');
  const viewer = await googleUser('viewer');
  const created = await call(owner.token, 'POST', '/v1/products', { name: 'Shop' });
  const { productKey, secret } = created.json as { productKey: string; secret: string };
  const invited = await call(owner.token, 'POST', `/v1/products/${productKey}/invitations`, { email: viewer.email });
  expect((await call(viewer.token, 'POST', `/v1/invitations/${invited.json.id as string}/accept`)).status).toBe(200);
  const base = `/v1/products/${productKey}`;
  const path = `/hook/${randomUUID()}`;
  const destination = await call(owner.token, 'POST', `${base}/alerts`, {
    kind: options.kind ?? 'webhook',
    url: receiver.url(path),
    events: options.events ?? ['issue.new', 'issue.regressed'],
    ...(options.spikeThreshold === undefined ? {} : { spikeThreshold: options.spikeThreshold }),
    ...options.extra,
  });
  expect(destination.status).toBe(201);
  const send = signedSender(productKey, secret);
  const crash = async (fixtureId: string, version = '1.0') => {
    await send('/v1/crashes', fixtureCrash(fixtureId, { version }));
  };
  const sessions = async (version: string, counts: { ok?: number; crashed?: number }) => {
    const started = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString().replace('.000Z', 'Z');
    await send('/v1/sessions', {
      reportId: randomUUID(),
      occurredAt: new Date().toISOString(),
      app: { name: 'shop', version },
      sessions: [{ started, ok: counts.ok ?? 0, errored: 0, crashed: counts.crashed ?? 0, abnormal: 0 }],
    });
  };
  return {
    owner,
    viewer,
    productKey,
    base,
    path,
    sessions,
    alertId: destination.json.id as string,
    whsec: destination.json.secret as string | undefined,
    crash,
    received: () => receiver.on(path),
  };
}

type WebhookBody = {
  type: string;
  id: string;
  product: { key: string; name: string };
  issues: Array<{ id: string; title: string; status: string; url: string | null }>;
  more: number;
  releases?: Array<{
    version: string;
    sessions: number;
    crashedSessions: number;
    threshold: number;
    minSessions: number;
  }>;
};

/** Verifies a request with the standardwebhooks package, as a receiver would; throws when it does not verify. */
function verified(secret: string, request: Received): WebhookBody {
  const headers = {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  };
  return new Webhook(secret).verify(request.body, headers) as WebhookBody;
}

/** The product's queued messages, straight from Firestore. */
async function deliveriesOf(productKey: string) {
  const snap = await testDb().collection('alertDeliveries').where('productKey', '==', productKey).get();
  return snap.docs;
}

describe('alert destinations through the api', () => {
  it('shows a webhook secret once to the owner and lists destinations to a viewer without secrets', async () => {
    const s = await setup();
    expect(s.whsec).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    const slack = await call(s.owner.token, 'POST', `${s.base}/alerts`, {
      kind: 'slack',
      url: receiver.url('/services/T000/B000/XXXX'),
      events: ['issue.regressed'],
    });
    expect(slack.status).toBe(201);
    expect(slack.json).not.toHaveProperty('secret');

    const asOwner = await call(s.owner.token, 'GET', `${s.base}/alerts`);
    expect(asOwner.status).toBe(200);
    const owned = asOwner.json.alerts as Array<Record<string, unknown>>;
    expect(owned.map((a) => [a.kind, a.url])).toEqual([
      ['webhook', receiver.url(s.path)],
      ['slack', receiver.url('/services/T000/B000/XXXX')],
    ]);
    expect(owned[0]).toMatchObject({
      events: ['issue.new', 'issue.regressed'],
      status: { lastSuccessAt: null, lastFailureAt: null, lastFailure: null, failing: false },
    });
    for (const alert of owned) expect(alert).not.toHaveProperty('secret');

    const asViewer = await call(s.viewer.token, 'GET', `${s.base}/alerts`);
    expect(asViewer.status).toBe(200);
    const seen = asViewer.json.alerts as Array<{ url: string }>;
    expect(seen.map((a) => a.url)).toEqual([receiver.url('/…'), receiver.url('/…')]);
    expect(JSON.stringify(asViewer.json)).not.toContain('XXXX');

    const denied = await call(s.viewer.token, 'POST', `${s.base}/alerts`, {
      kind: 'webhook',
      url: receiver.url('/x'),
      events: ['issue.new'],
    });
    expect([denied.status, denied.json.error?.code]).toEqual([403, 'permission_denied']);
    for (const [method, suffix] of [
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/rotate'],
      ['POST', '/test'],
    ] as const) {
      const body = method === 'PATCH' ? { events: ['issue.new'] } : undefined;
      const refused = await call(s.viewer.token, method, `${s.base}/alerts/${s.alertId}${suffix}`, body);
      expect([method, suffix, refused.status]).toEqual([method, suffix, 403]);
    }
    const stranger = await googleUser('stranger');
    expect((await call(stranger.token, 'GET', `${s.base}/alerts`)).status).toBe(404);

    const patched = await call(s.owner.token, 'PATCH', `${s.base}/alerts/${s.alertId}`, { events: ['issue.new'] });
    expect([patched.status, patched.json.events]).toEqual([200, ['issue.new']]);
    const badEvent = await call(s.owner.token, 'PATCH', `${s.base}/alerts/${s.alertId}`, { events: ['issue.spiked'] });
    expect([badEvent.status, badEvent.json.error?.code]).toEqual([400, 'invalid_body']);
    expect(badEvent.json.error?.message).toContain('events');

    const rotated = await call(s.owner.token, 'POST', `${s.base}/alerts/${s.alertId}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(s.whsec);
    const tested = await call(s.owner.token, 'POST', `${s.base}/alerts/${s.alertId}/test`);
    expect(tested.json).toMatchObject({ delivered: true, status: 200, error: null });
    const [test] = s.received();
    expect(verified(rotated.json.secret as string, test!)).toMatchObject({ type: 'test', issues: [], more: 0 });
    expect(() => verified(s.whsec!, test!)).toThrow();

    const deleted = await call(s.owner.token, 'DELETE', `${s.base}/alerts/${s.alertId}`);
    expect(deleted.json).toEqual({ id: s.alertId, productKey: s.productKey, deleted: true });
    expect((await testDb().collection('alertSecrets').doc(s.alertId).get()).exists).toBe(false);
    expect((await call(s.owner.token, 'DELETE', `${s.base}/alerts/${s.alertId}`)).status).toBe(404);
  });

  it.each([
    ['plain http to a public host', 'http://example.com/hook', 'scheme_not_allowed'],
    ['a private address', 'https://10.1.2.3/hook', 'private_address'],
    ['the metadata server', 'https://169.254.169.254/computeMetadata/v1/', 'metadata_address'],
    ['a link-local address', 'https://169.254.10.1/hook', 'link_local_address'],
    ['an IPv4-mapped private address', 'https://[::ffff:192.168.0.1]/hook', 'private_address'],
    ['an IPv6 unique local address', 'https://[fd00:ec2::254]/hook', 'private_address'],
    ['local-use NAT64 of the metadata server', 'https://[64:ff9b:1::a9fe:a9fe]/', 'metadata_address'],
    ['IPv4-compatible metadata server', 'https://[::a9fe:a9fe]/', 'metadata_address'],
    ['IPv4-translated metadata server', 'https://[::ffff:0:a9fe:a9fe]/', 'metadata_address'],
    ['6to4 of the metadata server', 'https://[2002:a9fe:a9fe::1]/', 'metadata_address'],
    ['Teredo through the metadata server', 'https://[2001:0:a9fe:a9fe::1]/', 'metadata_address'],
    ['the IPv6 discard range', 'https://[100::1]/', 'reserved_address'],
    ['credentials in the URL', 'https://user:pw@127.0.0.1/hook', 'credentials_in_url'],
    ['a URL that is not one', 'not a url', 'not_a_url'],
  ])('refuses a destination at %s', async (_name, url, refusal) => {
    const s = await setup();
    const answer = await call(s.owner.token, 'POST', `${s.base}/alerts`, {
      kind: 'webhook',
      url,
      events: ['issue.new'],
    });
    expect([answer.status, answer.json.error?.code, answer.json.error?.details?.refusal]).toEqual([
      400,
      'invalid_body',
      refusal,
    ]);
    expect(answer.json.error?.message).toMatch(/^Invalid request body: url: /);
    const changed = await call(s.owner.token, 'PATCH', `${s.base}/alerts/${s.alertId}`, { url });
    expect([changed.status, changed.json.error?.details?.refusal]).toEqual([400, refusal]);
    expect(((await call(s.owner.token, 'GET', `${s.base}/alerts`)).json.alerts as unknown[]).length).toBe(1);
  });
});

describe('the destination limit', () => {
  it('refuses an eleventh destination with 409 and names the limit', async () => {
    const s = await setup();
    for (let i = 0; i < 9; i++) {
      const made = await call(s.owner.token, 'POST', `${s.base}/alerts`, {
        kind: 'slack',
        url: receiver.url(`/limit/${i}`),
        events: ['issue.new'],
      });
      expect(made.status).toBe(201);
    }
    const over = await call(s.owner.token, 'POST', `${s.base}/alerts`, {
      kind: 'slack',
      url: receiver.url('/limit/10'),
      events: ['issue.new'],
    });
    expect([over.status, over.json.error?.code, over.json.error?.details]).toEqual([
      409,
      'conflict',
      { maxAlerts: 10 },
    ]);
    expect(((await call(s.owner.token, 'GET', `${s.base}/alerts`)).json.alerts as unknown[]).length).toBe(10);
  });
});

describe('alert logs', () => {
  it('audit each change by product and route, and never carry a secret, a destination URL or a message', async () => {
    const s = await setup();
    const rotated = await call(s.owner.token, 'POST', `${s.base}/alerts/${s.alertId}/rotate`);
    receiver.statuses.push(500);
    await s.crash('java/orders');
    await rollUp();
    expect(s.received()).toHaveLength(1);
    const dir = requireEnv('DUMPCATCHER_TEST_LOG_DIR');
    const logs = readdirSync(dir)
      .filter((f) => f.startsWith('function-api-') || f.startsWith('function-rollup-'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    const audited = logs
      .split('\n')
      .filter((l) => l.includes(s.productKey) && l.includes('api change'))
      .map((l) => (JSON.parse(l) as { route: string }).route);
    expect(audited).toEqual(expect.arrayContaining(['alerts', 'alert-rotate']));
    expect(logs).not.toContain(s.whsec!.slice(6));
    expect(logs).not.toContain((rotated.json.secret as string).slice(6));
    expect(logs).not.toContain(s.path);
    expect(logs).not.toContain(s.received()[0]!.body.slice(0, 40));
  });
});

describe('deleting a product', () => {
  it('deletes its destinations, their secrets and its messages', async () => {
    const s = await setup();
    await s.crash('java/orders');
    await rollUp();
    expect(s.received()).toHaveLength(1);
    expect(await deliveriesOf(s.productKey)).toHaveLength(1);
    const deleted = await call(s.owner.token, 'DELETE', s.base);
    expect(deleted.status).toBe(200);
    expect((await testDb().collection('alertSecrets').doc(s.alertId).get()).exists).toBe(false);
    expect((await testDb().doc(`products/${s.productKey}/alerts/${s.alertId}`).get()).exists).toBe(false);
    expect(await deliveriesOf(s.productKey)).toHaveLength(0);
  });
});

describe('alert delivery from the rollup', () => {
  it('sends new issues once, batched in one signed message, and not again on the next run', async () => {
    const s = await setup();
    await s.crash('python/checkout-1.3.0-checkout');
    await s.crash('python/checkout-1.3.0-checkout');
    await s.crash('python/checkout-1.3.0-shipping');
    await rollUp();
    expect(s.received()).toHaveLength(1);
    const body = verified(s.whsec!, s.received()[0]!);
    expect(body).toMatchObject({ type: 'issue.new', product: { key: s.productKey, name: 'Shop' }, more: 0 });
    expect(body.id).toBe(s.received()[0]!.headers['webhook-id']);
    expect(body.issues.map((i) => i.title).sort()).toEqual(["KeyError: 'BOGUS'", "KeyError: 'JP'"].sort());
    expect(body.issues.every((i) => i.status === 'unresolved')).toBe(true);
    for (const issue of body.issues)
      expect(issue.url).toBe(`https://dashboard.example.invalid/p/${s.productKey}/issues/${issue.id}`);

    await rollUp();
    await s.crash('python/checkout-1.3.0-checkout'); // a known issue: no transition, no alert
    await rollUp();
    expect(s.received()).toHaveLength(1);
    const listed = await call(s.viewer.token, 'GET', `${s.base}/alerts`);
    const [status] = (listed.json.alerts as Array<{ status: { lastSuccessAt: string | null; failing: boolean } }>).map(
      (a) => a.status,
    );
    expect(status?.lastSuccessAt).not.toBeNull();
    expect(status?.failing).toBe(false);
  });

  it('sends a regression once when a resolved issue recurs at or above its resolvedInVersion', async () => {
    const s = await setup({ events: ['issue.regressed'] });
    await s.crash('node/checkout-1.3.0-checkout', '1.2.0');
    await rollUp();
    expect(s.received()).toHaveLength(0); // subscribed to regressions only
    const issues = (await call(s.owner.token, 'GET', `${s.base}/issues`)).json.issues as Array<{ id: string }>;
    const issueId = issues[0]!.id;
    const resolved = await call(s.owner.token, 'PATCH', `${s.base}/issues/${issueId}`, {
      status: 'resolved',
      resolvedInVersion: '1.3',
    });
    expect(resolved.status).toBe(200);
    await s.crash('node/checkout-1.3.0-checkout', '1.2.5');
    await rollUp();
    expect(s.received()).toHaveLength(0);
    await s.crash('node/checkout-1.3.0-checkout', '1.3.0');
    await s.crash('node/checkout-1.3.0-checkout', '1.3.1');
    await rollUp();
    await rollUp();
    expect(s.received()).toHaveLength(1);
    const body = verified(s.whsec!, s.received()[0]!);
    expect(body.type).toBe('issue.regressed');
    expect(body.issues).toEqual([expect.objectContaining({ id: issueId, status: 'regressed' })]);
  });

  it('sends a spike once to each destination whose threshold the hourly count crossed', async () => {
    const s = await setup({ events: ['issue.spike'], spikeThreshold: 10 });
    const path25 = `/hook/${randomUUID()}`;
    const at25 = await call(s.owner.token, 'POST', `${s.base}/alerts`, {
      kind: 'webhook',
      url: receiver.url(path25),
      events: ['issue.spike'],
      spikeThreshold: 25,
    });
    expect([at25.status, at25.json.spikeThreshold]).toEqual([201, 25]);
    for (let i = 0; i < 10; i++) await s.crash('java/orders');
    for (let i = 0; i < 3; i++) await s.crash('java/plugins');
    await rollUp();
    expect(s.received()).toHaveLength(1);
    const body = verified(s.whsec!, s.received()[0]!);
    expect(body.type).toBe('issue.spike');
    expect(body.issues.map((i) => i.title)).toHaveLength(1);
    expect(receiver.on(path25)).toHaveLength(0);

    for (let i = 0; i < 15; i++) await s.crash('java/orders');
    await rollUp();
    await rollUp();
    expect(s.received()).toHaveLength(1); // 10 was crossed once; 25 is not this destination's
    const [spike25] = receiver.on(path25);
    expect(verified(at25.json.secret as string, spike25!).issues).toEqual([
      expect.objectContaining({ id: body.issues[0]!.id, count: 25 }),
    ]);
  });

  it('refuses a spike event without a threshold, and a threshold off the ladder', async () => {
    const s = await setup();
    const url = receiver.url('/x');
    const missing = await call(s.owner.token, 'POST', `${s.base}/alerts`, {
      kind: 'slack',
      url,
      events: ['issue.spike'],
    });
    expect([missing.status, missing.json.error?.message]).toEqual([
      400,
      'Invalid request body: spikeThreshold: spikeThreshold is required with issue.spike and allowed only with it.',
    ]);
    const odd = await call(s.owner.token, 'POST', `${s.base}/alerts`, {
      kind: 'slack',
      url,
      events: ['issue.spike'],
      spikeThreshold: 7,
    });
    expect([odd.status, odd.json.error?.code]).toEqual([400, 'invalid_body']);
    expect(odd.json.error?.message).toContain('must be one of 10, 25, 50');
    const patched = await call(s.owner.token, 'PATCH', `${s.base}/alerts/${s.alertId}`, { events: ['issue.spike'] });
    expect(patched.status).toBe(400);
    const both = await call(s.owner.token, 'PATCH', `${s.base}/alerts/${s.alertId}`, {
      events: ['issue.new', 'issue.spike'],
      spikeThreshold: 50,
    });
    expect([both.status, both.json.spikeThreshold, both.json.events]).toEqual([200, 50, ['issue.new', 'issue.spike']]);
  });

  it('sends release.unhealthy once per crossing per destination, with its own threshold and minimum', async () => {
    // Destination A: below 90 % crash-free on at least 20 sessions; B: the defaults, 99 % and 50.
    const s = await setup({
      events: ['release.unhealthy'],
      extra: { unhealthyThreshold: 0.9, unhealthyMinSessions: 20 },
    });
    const pathB = `/hook/${randomUUID()}`;
    const b = await call(s.owner.token, 'POST', `${s.base}/alerts`, {
      kind: 'webhook',
      url: receiver.url(pathB),
      events: ['release.unhealthy'],
    });
    expect([b.status, b.json.unhealthyThreshold, b.json.unhealthyMinSessions]).toEqual([201, 0.99, 50]);
    const releasesOf = (r: Received, secret: string) => verified(secret, r).releases;

    await s.sessions('2.0.0', { ok: 25, crashed: 5 }); // 30 sessions, 83 % crash-free
    await rollUp();
    expect(s.received()).toHaveLength(1);
    const first = verified(s.whsec!, s.received()[0]!);
    expect(first.type).toBe('release.unhealthy');
    expect(first.issues).toEqual([]);
    expect(first.releases).toEqual([
      expect.objectContaining({ version: '2.0.0', sessions: 30, crashedSessions: 5, threshold: 0.9, minSessions: 20 }),
    ]);
    expect(receiver.on(pathB)).toHaveLength(0); // 30 sessions: too few for B

    await s.sessions('2.0.0', { ok: 27, crashed: 3 }); // 60 sessions, 8 crashed: still unhealthy for A, now for B too
    await rollUp();
    expect(s.received()).toHaveLength(1);
    expect(receiver.on(pathB)).toHaveLength(1);
    expect(releasesOf(receiver.on(pathB)[0]!, b.json.secret as string)).toEqual([
      expect.objectContaining({ version: '2.0.0', sessions: 60, crashedSessions: 8 }),
    ]);

    await s.sessions('2.0.0', { ok: 200 }); // 260 sessions, 97 %: A recovers, B (99 %) does not
    await rollUp();
    expect([s.received().length, receiver.on(pathB).length]).toEqual([1, 1]);

    await s.sessions('2.0.0', { crashed: 40 }); // 300 sessions, 48 crashed: A crosses again
    await rollUp();
    await rollUp();
    expect(s.received()).toHaveLength(2);
    expect(releasesOf(s.received()[1]!, s.whsec!)).toEqual([
      expect.objectContaining({ version: '2.0.0', sessions: 300, crashedSessions: 48 }),
    ]);
    expect(receiver.on(pathB)).toHaveLength(1);
  });

  it('refuses release.unhealthy settings without the event or out of range, naming the field', async () => {
    const s = await setup();
    const url = receiver.url('/x');
    const without = await call(s.owner.token, 'POST', `${s.base}/alerts`, {
      kind: 'slack',
      url,
      events: ['issue.new'],
      unhealthyThreshold: 0.95,
    });
    expect([without.status, without.json.error?.details?.issues?.map((i) => i.path)]).toEqual([
      400,
      ['unhealthyThreshold'],
    ]);
    const above = await call(s.owner.token, 'POST', `${s.base}/alerts`, {
      kind: 'slack',
      url,
      events: ['release.unhealthy'],
      unhealthyThreshold: 1.5,
      unhealthyMinSessions: 0,
    });
    expect(above.status).toBe(400);
    expect(above.json.error?.details?.issues?.map((i) => i.path).sort()).toEqual([
      'unhealthyMinSessions',
      'unhealthyThreshold',
    ]);
    const patched = await call(s.owner.token, 'PATCH', `${s.base}/alerts/${s.alertId}`, { unhealthyMinSessions: 10 });
    expect([patched.status, patched.json.error?.details?.issues?.map((i) => i.path)]).toEqual([
      400,
      ['unhealthyMinSessions'],
    ]);
    const added = await call(s.owner.token, 'PATCH', `${s.base}/alerts/${s.alertId}`, {
      events: ['issue.new', 'release.unhealthy'],
      unhealthyMinSessions: 10,
    });
    expect([added.status, added.json.unhealthyThreshold, added.json.unhealthyMinSessions]).toEqual([200, 0.99, 10]);
    const listed = await call(s.viewer.token, 'GET', `${s.base}/alerts`);
    expect(listed.json.alerts).toEqual([
      expect.objectContaining({ unhealthyThreshold: 0.99, unhealthyMinSessions: 10 }),
    ]);
  });

  it('sends once when two rollups run at once', async () => {
    const s = await setup();
    await s.crash('java/orders');
    const rollupUrl = requireEnv('DUMPCATCHER_ROLLUP_URL');
    const answers = await Promise.all([1, 2].map(() => fetch(rollupUrl, { method: 'POST' })));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await rollUp();
    expect(s.received()).toHaveLength(1);
    expect(verified(s.whsec!, s.received()[0]!).type).toBe('issue.new');
  });

  it('sends once after a run that committed its batch and stopped before delivering', async () => {
    const s = await setup();
    await s.crash('java/plugins');
    // The rollup's own code in this process: it commits the batch (and its outbox) and then
    // stops, as a run killed right after its transaction would.
    await runRollup({
      store: createFirestoreRollupStore(testDb()),
      clock: () => new Date(),
      config: {
        DUMPCATCHER_ROLLUP_LAG_SECONDS: 0,
        DUMPCATCHER_ROLLUP_BUDGET_SECONDS: 50,
        DUMPCATCHER_ROLLUP_BATCH_SIZE: 500,
      },
    });
    const queued = await testDb().collection('alertOutbox').where('productKey', '==', s.productKey).get();
    expect(queued.size).toBe(1);
    expect(s.received()).toHaveLength(0);
    await rollUp();
    await rollUp();
    expect(s.received()).toHaveLength(1);
    expect(verified(s.whsec!, s.received()[0]!).issues).toHaveLength(1);
  });

  it('retries after a 500 with the same webhook-id, and records the failure meanwhile', async () => {
    const s = await setup();
    receiver.statuses.push(500);
    await s.crash('java/orders');
    await rollUp();
    expect(s.received()).toHaveLength(1);
    const listed = await call(s.owner.token, 'GET', `${s.base}/alerts`);
    expect((listed.json.alerts as Array<{ status: unknown }>)[0]!.status).toMatchObject({
      lastSuccessAt: null,
      lastFailure: 'HTTP 500',
      failing: false,
    });
    await rollUp();
    expect(s.received()).toHaveLength(1); // the first retry waits a minute

    const [delivery] = await deliveriesOf(s.productKey);
    expect(delivery!.get('attempts')).toBe(1);
    await delivery!.ref.update({ nextAttemptAt: new Date(Date.now() - 1000) });
    await rollUp();
    const [first, second] = s.received();
    expect(second).toBeDefined();
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.body).toBe(first!.body);
    expect(verified(s.whsec!, second!).type).toBe('issue.new');
    expect((await delivery!.ref.get()).get('status')).toBe('sent');
    await rollUp();
    expect(s.received()).toHaveLength(2);
  });

  it('gives a message up after the retry window and marks its destination failing', async () => {
    const s = await setup();
    receiver.statuses.push(503, 503);
    await s.crash('java/orders');
    await rollUp();
    expect(s.received()).toHaveLength(1);
    const [delivery] = await deliveriesOf(s.productKey);
    const dayAgo = new Date(Date.now() - 24 * 3_600_000 - 1000);
    await delivery!.ref.update({ createdAt: dayAgo, nextAttemptAt: new Date(Date.now() - 1000) });
    await rollUp();
    expect(s.received()).toHaveLength(2);
    const after = await delivery!.ref.get();
    expect([after.get('status'), after.get('nextAttemptAt'), after.get('lastError')]).toEqual([
      'failed',
      null,
      'HTTP 503',
    ]);
    const listed = await call(s.viewer.token, 'GET', `${s.base}/alerts`);
    expect((listed.json.alerts as Array<{ status: unknown }>)[0]!.status).toMatchObject({
      failing: true,
      lastFailure: 'HTTP 503',
    });
    await rollUp();
    expect(s.received()).toHaveLength(2);
  });

  it('refuses at send time a destination whose address is no longer allowed, without connecting', async () => {
    const s = await setup();
    // Only an address check at send time stops this: the api would refuse this URL.
    await testDb().doc(`products/${s.productKey}/alerts/${s.alertId}`).update({ url: 'https://10.20.30.40/hook' });
    await s.crash('java/orders');
    await rollUp();
    const [delivery] = await deliveriesOf(s.productKey);
    expect(delivery!.get('lastError')).toBe('refused: the URL resolves to a private address');
    expect(s.received()).toHaveLength(0);
  });

  it('sends a Slack message with text and blocks, unsigned', async () => {
    const s = await setup({ kind: 'slack' });
    expect(s.whsec).toBeUndefined();
    await s.crash('python/checkout-1.3.0-checkout');
    await rollUp();
    const [message] = s.received();
    expect(message!.headers['webhook-signature']).toBeUndefined();
    const body = JSON.parse(message!.body) as { text: string; blocks: Array<{ type: string }> };
    expect(body.text).toContain('[Shop] New issue');
    expect(body.text).toContain('KeyError');
    expect(body.blocks.map((b) => b.type)).toEqual(['section', 'section']);
  });
});

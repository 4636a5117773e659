import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createClient } from '../src/client.ts';
import type { DumpcatcherClient } from '../src/client.ts';
import type { QueueEntry } from '../src/queue.ts';
import { SEND_WINDOW } from '../src/sender.ts';
import { startFakeIngest } from './helpers/fake-ingest.ts';
import type { FakeIngest } from './helpers/fake-ingest.ts';
import { startTestProxy } from './helpers/proxy.ts';
import {
  freePort,
  makeTempDir,
  PRODUCT_KEY,
  queueFiles,
  removeDir,
  SECRET,
  testOptions,
  testRuntime,
  waitUntil,
} from './helpers/env.ts';

describe('delivery to the ingest', () => {
  let dir: string;
  let ingest: FakeIngest | null;
  const clients: DumpcatcherClient[] = [];
  const track = (c: DumpcatcherClient): DumpcatcherClient => {
    clients.push(c);
    return c;
  };

  beforeEach(() => {
    dir = makeTempDir();
    ingest = null;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await ingest?.close();
    removeDir(dir);
  });

  it('writes the report to disk before the first send attempt starts, then sends it signed (202) and deletes it', async () => {
    const filesAtArrival: string[][] = [];
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      onRequest: () => filesAtArrival.push(queueFiles(dir)),
    });
    const client = track(createClient(testOptions(ingest.url, dir), testRuntime()));
    const id = client.captureException(new Error('boom'));
    // capture returns with the file on disk and nothing sent yet: sending is off the caller's stack.
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const files = queueFiles(dir);
    expect(files).toHaveLength(1);
    const stored = JSON.parse(readFileSync(join(dir, files[0] as string), 'utf8')) as QueueEntry;
    expect(stored).toMatchObject({
      v: 1,
      path: '/v1/crashes',
      clientId: client.clientId,
      counter: 1,
      body: { reportId: id },
    });
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(ingest.requests).toHaveLength(0);

    expect(await client.flush(3000)).toBe(true);
    expect(filesAtArrival).toEqual([files]);
    const req = ingest.requests[0];
    expect(req?.signatureValid).toBe(true);
    expect(req?.answeredStatus).toBe(202);
    expect(req?.path).toBe('/v1/crashes');
    expect(req?.headers['x-dumpcatcher-client']).toBe(client.clientId);
    expect(req?.headers['x-dumpcatcher-counter']).toBe('1');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.body).toMatchObject({
      reportId: id,
      exception: { type: 'Error', message: 'boom' },
      app: { name: 'node-sdk-test', version: '1.2.3' },
    });
    expect(queueFiles(dir)).toEqual([]);
  });

  it('numbers reports 1, 2, 3 under one random client id per client, and two clients never collide', async () => {
    ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
    // Two processes of one app share the queue folder.
    const a = track(createClient(testOptions(ingest.url, dir), testRuntime()));
    const b = track(createClient(testOptions(ingest.url, dir), testRuntime()));
    a.captureException(new Error('one'));
    a.captureException(new Error('two'));
    b.captureException(new Error('three'));
    expect(await a.flush(3000)).toBe(true);
    expect(await b.flush(3000)).toBe(true);
    expect(a.clientId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.clientId).not.toBe(b.clientId);
    const stored = ingest.requests
      .filter((r) => r.answeredStatus === 202)
      .map((r) => `${String(r.headers['x-dumpcatcher-client'])}:${String(r.headers['x-dumpcatcher-counter'])}`);
    expect(stored.sort()).toEqual([`${a.clientId}:1`, `${a.clientId}:2`, `${b.clientId}:1`].sort());
    // A report both processes happened to send is answered "duplicate", never "counter reused".
    expect(ingest.requests.every((r) => r.answeredStatus === 202 || r.answeredStatus === 200)).toBe(true);
  });

  it("sends its own new reports without waiting for another live process's", async () => {
    ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
    const a = track(createClient(testOptions(ingest.url, dir), testRuntime()));
    expect(await a.flush(3000)).toBe(true);
    const b = track(createClient(testOptions(ingest.url, dir), testRuntime()));
    expect(await b.flush(3000)).toBe(true);
    b.captureException(new Error('from b'));
    a.captureException(new Error('from a'));
    await ingest.waitForRequests(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Each live process sends only its own new reports, so nothing goes twice.
    expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([202, 202]);
  });

  it('treats 200 duplicate as delivered', async () => {
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      script: [{ status: 200, body: { id: 'x', duplicate: true } }],
    });
    const logs = testRuntime({ env: { DUMPCATCHER_CONFIG: '/nonexistent', NODE_DEBUG: 'dumpcatcher' } });
    const client = track(createClient(testOptions(ingest.url, dir), logs));
    client.captureException(new Error('dup'));
    expect(await client.flush(3000)).toBe(true);
    expect(ingest.requests).toHaveLength(1);
    expect(logs.stderr.join('')).toContain('HTTP 200 (duplicate)');
  });

  it('retries a 500 with the same client id, counter and body, signed afresh', async () => {
    let t = 1_800_000_000_000;
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      serverNow: () => t,
      script: [{ status: 500, body: { error: { code: 'internal' } } }],
    });
    const client = track(createClient(testOptions(ingest.url, dir), testRuntime({ now: () => t })));
    client.captureException(new Error('flaky'));
    const first = client.flush(3000);
    await ingest.waitForRequests(1);
    t += 7000;
    expect(await first).toBe(true);
    const [r1, r2] = ingest.requests;
    expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([500, 202]);
    expect(r2?.headers['x-dumpcatcher-client']).toBe(r1?.headers['x-dumpcatcher-client']);
    expect(r2?.headers['x-dumpcatcher-counter']).toBe(r1?.headers['x-dumpcatcher-counter']);
    expect(r2?.rawBody.equals(r1?.rawBody as Buffer)).toBe(true);
    expect(Number(r2?.headers['x-dumpcatcher-timestamp'])).toBe(Number(r1?.headers['x-dumpcatcher-timestamp']) + 7);
    expect(r2?.headers['x-dumpcatcher-signature']).not.toBe(r1?.headers['x-dumpcatcher-signature']);
    expect(r2?.signatureValid).toBe(true);
  });

  it('waits at least Retry-After on 429', async () => {
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      script: [{ status: 429, headers: { 'Retry-After': '1' }, body: { error: { code: 'rate_limited' } } }],
    });
    const client = track(createClient(testOptions(ingest.url, dir), testRuntime()));
    client.captureException(new Error('busy'));
    expect(await client.flush(200)).toBe(false);
    expect(queueFiles(dir)).toHaveLength(1);
    expect(await client.flush(3000)).toBe(true);
    const [r1, r2] = ingest.requests;
    expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([429, 202]);
    expect((r2?.receivedAt ?? 0) - (r1?.receivedAt ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("waits out a huge Retry-After without overflowing a timer or writing to the host app's stderr", async () => {
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      script: [{ status: 429, headers: { 'Retry-After': '99999999999' }, body: { error: { code: 'rate_limited' } } }],
    });
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const client = track(createClient(testOptions(ingest.url, dir), testRuntime()));
      client.captureException(new Error('busy'));
      expect(await client.flush(300)).toBe(false);
      await waitUntil(() => ingest?.requests.length === 1, 5000, 'the first attempt');
      // A timer that overflowed would fire after 1 ms and send again at once.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ingest.requests).toHaveLength(1);
      expect(queueFiles(dir)).toHaveLength(1);
      // A flush timeout beyond what a timer takes is clamped too.
      void client.flush(1e12);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).toEqual([]);
  });

  it('delivers through the proxy that HTTP_PROXY names', async () => {
    ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
    const proxy = await startTestProxy();
    try {
      const runtime = testRuntime();
      runtime.env = { ...runtime.env, HTTP_PROXY: proxy.url };
      const client = track(createClient(testOptions(ingest.url, dir), runtime));
      client.captureException(new Error('via proxy'));
      expect(await client.flush(3000)).toBe(true);
      expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([202]);
      expect(proxy.seen).toEqual([`POST ${ingest.url}/v1/crashes`]);
    } finally {
      await proxy.close();
    }
  });

  it('keeps the report through connection refused and sends it once the ingest is up', async () => {
    const port = await freePort();
    const runtime = testRuntime({
      random: () => 0.3,
      env: { DUMPCATCHER_CONFIG: '/nonexistent', NODE_DEBUG: 'dumpcatcher' },
    });
    const client = track(createClient(testOptions(`http://127.0.0.1:${port}`, dir), runtime));
    client.captureException(new Error('offline'));
    await waitUntil(() => runtime.stderr.join('').includes('ECONNREFUSED'), 3000, 'a refused attempt');
    expect(queueFiles(dir)).toHaveLength(1);
    ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY, port });
    expect(await client.flush(3000)).toBe(true);
    expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([202]);
    expect(queueFiles(dir)).toEqual([]);
  });

  it('corrects its clock once from the Date of a 401 and is accepted', async () => {
    // The ingest's clock is 2 hours ahead of the client's.
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      serverNow: () => Date.now() + 7_200_000,
    });
    const runtime = testRuntime({ env: { DUMPCATCHER_CONFIG: '/nonexistent', NODE_DEBUG: 'dumpcatcher' } });
    const client = track(createClient(testOptions(ingest.url, dir), runtime));
    client.captureException(new Error('skewed'));
    expect(await client.flush(3000)).toBe(true);
    expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([401, 202]);
    expect(runtime.stderr.join('')).toContain('clock differs');
    // The offset is remembered: the next report goes through at the first attempt.
    client.captureException(new Error('skewed again'));
    expect(await client.flush(3000)).toBe(true);
    expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([401, 202, 202]);
  });

  it('corrects the clock for every report in flight when their 401s come back', async () => {
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      serverNow: () => Date.now() + 7_200_000,
    });
    const runtime = testRuntime({ env: { DUMPCATCHER_CONFIG: '/nonexistent', NODE_DEBUG: 'dumpcatcher' } });
    const client = track(createClient(testOptions(ingest.url, dir), runtime));
    for (let i = 0; i < 3; i += 1) client.captureException(new Error(`skewed ${i}`));
    expect(await client.flush(3000)).toBe(true);
    const byCounter = new Map<string, number[]>();
    for (const r of ingest.requests) {
      const counter = String(r.headers['x-dumpcatcher-counter']);
      byCounter.set(counter, [...(byCounter.get(counter) ?? []), r.answeredStatus]);
    }
    // Whichever answer corrected the clock, each report ends stored, none sent more than twice.
    expect([...byCounter.keys()].sort()).toEqual(['1', '2', '3']);
    for (const statuses of byCounter.values()) expect(statuses[statuses.length - 1]).toBe(202);
    expect(ingest.requests.length).toBeLessThanOrEqual(6);
    expect(runtime.stderr.join('').split('clock differs').length - 1).toBe(1);
    expect(queueFiles(dir)).toEqual([]);
  });

  it('drops reports after a 401 that is not about the clock (wrong secret), without retrying; says so once, and flush() says false', async () => {
    ingest = await startFakeIngest({ secret: 'a-different-secret', productKey: PRODUCT_KEY });
    const runtime = testRuntime();
    const client = track(createClient(testOptions(ingest.url, dir), runtime));
    client.captureException(new Error('bad secret'));
    client.captureException(new TypeError('bad secret again'));
    expect(await client.flush(3000)).toBe(false);
    expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([401, 401]);
    expect(runtime.stderr).toEqual([
      '[dumpcatcher] a report was dropped: the ingest answered 401, it does not know this productKey or secret\n',
    ]);
    expect(queueFiles(dir)).toEqual([]);
    // Nothing dropped since: the next flush is true again.
    expect(await client.flush(1000)).toBe(true);
  });

  it('drops a report answered 404 by something that is not the ingest (the Firestore port), asking whether the endpoint is the ingest URL', async () => {
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      script: [{ status: 404, body: { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } } }],
    });
    const runtime = testRuntime();
    const client = track(createClient(testOptions(ingest.url, dir), runtime));
    client.captureException(new Error('to the wrong port'));
    expect(await client.flush(3000)).toBe(false);
    expect(runtime.stderr).toEqual([
      '[dumpcatcher] a report was dropped: the endpoint answered HTTP 404; is this the ingest URL?\n',
    ]);
  });

  it('drops a report on 400 with a debug log and goes on with the next', async () => {
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      script: [{ status: 400, body: { error: { code: 'invalid_body', message: 'bad' } } }],
    });
    const runtime = testRuntime({ env: { DUMPCATCHER_CONFIG: '/nonexistent', NODE_DEBUG: 'dumpcatcher' } });
    const client = track(createClient(testOptions(ingest.url, dir), runtime));
    client.captureException(new Error('invalid'));
    client.captureException(new TypeError('fine'));
    expect(await client.flush(3000)).toBe(false);
    expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([400, 202]);
    expect(runtime.stderr.join('')).toMatch(/a report was dropped: refused by the ingest \(HTTP 400 invalid_body\)/);
    expect(queueFiles(dir)).toEqual([]);
  });

  it('gzips bodies at or above gzipThresholdBytes', async () => {
    ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
    // No source context: the small body must stay under the threshold.
    const client = track(
      createClient(testOptions(ingest.url, dir, { gzipThresholdBytes: 1024, sourceContext: false }), testRuntime()),
    );
    client.captureException(new Error('small'));
    client.captureException(new Error('large'), { extra: { text: 'lorem ipsum '.repeat(500) } });
    expect(await client.flush(3000)).toBe(true);
    // Two requests may be in flight at once, so they are told apart by content, not arrival.
    const small = ingest.requests.find((r) => r.body.extra === undefined);
    const large = ingest.requests.find((r) => r.body.extra !== undefined);
    expect(ingest.requests).toHaveLength(2);
    expect(small?.headers['x-dumpcatcher-body-encoding']).toBe('identity');
    expect(large?.headers['x-dumpcatcher-body-encoding']).toBe('gzip');
    expect(large?.headers['content-type']).toBe('application/octet-stream');
    expect(large?.headers['content-encoding']).toBeUndefined();
    expect(large?.signatureValid).toBe(true);
    expect(JSON.parse(gunzipSync(large?.rawBody as Buffer).toString('utf8'))).toMatchObject({
      extra: { text: expect.stringContaining('lorem') },
    });
  });

  it('fits a crash with the 100 largest breadcrumbs and a big extra under the limit, after beforeSend, and it is accepted', async () => {
    ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
    const runtime = testRuntime({ env: { ...testRuntime().env, NODE_DEBUG: 'dumpcatcher' } });
    const seen: Array<{ extra: boolean; breadcrumbs: number }> = [];
    const client = track(
      createClient(
        testOptions(ingest.url, dir, {
          autoBreadcrumbs: false,
          beforeSend: (report) => {
            seen.push({ extra: report.extra !== undefined, breadcrumbs: report.breadcrumbs?.length ?? 0 });
            return report;
          },
        }),
        runtime,
      ),
    );
    // The largest breadcrumbs the SDK keeps, of three-byte characters: about 1.9 MB of JSON.
    for (let i = 0; i < 100; i += 1) {
      const data = Object.fromEntries(
        Array.from({ length: 20 }, (_, k) => [`k${String(k).padStart(2, '0')}`.padEnd(64, 'k'), '\u20ac'.repeat(256)]),
      );
      client.addBreadcrumb({ category: `crumb-${i}`, message: '\u20ac'.repeat(1024), data });
    }
    const id = client.captureException(new Error('too big to send whole'), {
      extra: { dump: 'z'.repeat(1100 * 1024) },
    });
    expect(await client.flush(5000)).toBe(true);
    expect(seen).toEqual([{ extra: true, breadcrumbs: 100 }]);
    const [request] = ingest.requests;
    // The fake ingest refuses more than 1 MiB (as sent or after gunzip) with 413, as the real one does.
    expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([202]);
    const sent =
      request?.headers['x-dumpcatcher-body-encoding'] === 'gzip' ? gunzipSync(request.rawBody) : request?.rawBody;
    expect(sent?.length).toBeLessThanOrEqual(1_000_000);
    const body = request?.body as { reportId?: string; extra?: unknown; breadcrumbs?: Array<{ category: string }> };
    expect(body.reportId).toBe(id);
    expect(body.extra).toBeUndefined();
    expect(body.breadcrumbs?.map((b) => b.category)).toEqual(Array.from({ length: 50 }, (_, i) => `crumb-${50 + i}`));
    const said = runtime.stderr.join('');
    expect(said).toContain('extra left out');
    expect(said).toContain('kept the newest 50 of 100 breadcrumbs');
  });

  it("sends what an earlier run left, with that run's client id and counter, re-signed now", async () => {
    const port = await freePort();
    const first = track(
      createClient(
        testOptions(`http://127.0.0.1:${port}`, dir, { requestTimeoutMs: 500, shutdownTimeoutMs: 100 }),
        testRuntime({ random: () => 0.99 }),
      ),
    );
    first.captureException(new Error('left behind'));
    const leftover = queueFiles(dir);
    expect(leftover).toHaveLength(1);
    const stored = JSON.parse(readFileSync(join(dir, leftover[0] as string), 'utf8')) as QueueEntry;
    await first.close();

    ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY, port });
    const second = track(createClient(testOptions(ingest.url, dir), testRuntime()));
    expect(await second.flush(3000)).toBe(true);
    const req = ingest.requests.find((r) => r.body.reportId === stored.body.reportId);
    expect(req?.headers['x-dumpcatcher-client']).toBe(stored.clientId);
    expect(req?.headers['x-dumpcatcher-client']).not.toBe(second.clientId);
    expect(req?.headers['x-dumpcatcher-counter']).toBe(String(stored.counter));
    expect(req?.signatureValid).toBe(true);
    expect(existsSync(join(dir, leftover[0] as string))).toBe(false);
  });

  it('stops after 8 attempts in one process and leaves the report for the next start', async () => {
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      script: Array.from({ length: 20 }, () => ({ status: 500, body: { error: { code: 'internal' } } })),
    });
    const client = track(createClient(testOptions(ingest.url, dir, { shutdownTimeoutMs: 100 }), testRuntime()));
    client.captureException(new Error('server keeps failing'));
    expect(await client.flush(3000)).toBe(false);
    expect(ingest.requests).toHaveLength(8);
    expect(queueFiles(dir)).toHaveLength(1);
  });

  it('returns false from flush when the ingest never answers in time, and the report stays queued', async () => {
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      script: [{ status: 503, headers: { 'Retry-After': '60' } }],
    });
    const client = track(createClient(testOptions(ingest.url, dir, { shutdownTimeoutMs: 100 }), testRuntime()));
    client.captureException(new Error('later'));
    expect(await client.flush(500)).toBe(false);
    expect(queueFiles(dir)).toHaveLength(1);
  });

  it('keeps at most SEND_WINDOW requests in flight, started oldest first', async () => {
    const started: number[] = [];
    const answers: Array<() => void> = [];
    const runtime = testRuntime({
      makeTransport: () => ({
        send: (entry) =>
          new Promise((resolve) => {
            started.push(entry.counter);
            answers.push(() => resolve({ kind: 'delivered', status: 202, duplicate: false }));
          }),
        destroy: () => undefined,
      }),
    });
    const client = track(createClient(testOptions('http://127.0.0.1:9', dir), runtime));
    for (let i = 0; i < 10; i += 1) client.captureException(new Error(`report ${i}`));
    const flushed = client.flush(3000);
    await waitUntil(() => started.length === SEND_WINDOW, 3000, 'the first requests');
    // Nothing more starts until an answer is in, however many turns of the event loop pass.
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([1, 2, 3, 4]);
    answers.shift()?.();
    await waitUntil(() => started.length === SEND_WINDOW + 1, 3000, 'the next request');
    expect(started).toEqual([1, 2, 3, 4, 5]);
    while (started.length < 10 || answers.length > 0) {
      answers.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await flushed).toBe(true);
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(queueFiles(dir)).toEqual([]);
  });

  it('starts nothing new once a report must wait, and waits the longest Retry-After of the pass', async () => {
    ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      script: [
        { status: 429, headers: { 'Retry-After': '1' } },
        { status: 429, headers: { 'Retry-After': '2' } },
      ],
    });
    const client = track(createClient(testOptions(ingest.url, dir), testRuntime()));
    for (let i = 0; i < 8; i += 1) client.captureException(new Error(`busy ${i}`));
    expect(await client.flush(500)).toBe(false);
    // At most one window's worth went out before the 429s stopped the pass.
    expect(ingest.requests.length).toBeLessThanOrEqual(SEND_WINDOW);
    const firstPass = ingest.requests.length;
    const lastOfFirstPass = Math.max(...ingest.requests.map((r) => r.receivedAt));
    expect(await client.flush(5000)).toBe(true);
    const later = ingest.requests.slice(firstPass);
    expect(Math.min(...later.map((r) => r.receivedAt)) - lastOfFirstPass).toBeGreaterThanOrEqual(1950);
    expect(new Set(ingest.requests.filter((r) => r.answeredStatus === 202).map((r) => r.body.reportId)).size).toBe(8);
  });
});

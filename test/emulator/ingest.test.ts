import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sendSigned, newClientId, sampleCrash, type SignedRequestInput } from '../../scripts/lib/client';
import { reportShard } from '../../functions/src/ingest/stored-report';
import { signInWithGoogle } from '../../scripts/lib/id-token';
import { callApi } from './api-client';
import { countDocs, newProduct, requireEnv, testDb } from './helpers';

const baseUrl = () => requireEnv('DUMPCATCHER_INGEST_URL');

async function setup() {
  const product = await newProduct();
  const base = { baseUrl: baseUrl(), productKey: product.productKey, secret: product.secret, clientId: newClientId() };
  return { product, base };
}

function deepObject(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

describe('ingest over HTTP on the Firestore emulator', () => {
  it('stores a signed crash once with the server fields and answers 202 with its id', async () => {
    const { product, base } = await setup();
    const crash = sampleCrash({ label: 'checkout', tags: { region: 'eu' }, extra: { cart: { items: [1, 2] } } });
    const res = await sendSigned({ ...base, counter: 1, body: crash });
    expect(res.status).toBe(202);
    expect(typeof res.json.id).toBe('string');
    const doc = await testDb()
      .collection('products')
      .doc(product.productKey)
      .collection('crashes')
      .doc(res.json.id as string)
      .get();
    expect(doc.exists).toBe(true);
    expect(doc.get('reportId')).toBe(crash.reportId);
    expect(doc.get('exception.type')).toBe('ZeroDivisionError');
    expect(doc.get('label')).toBe('checkout');
    expect(doc.get('clientId')).toBe(base.clientId);
    expect(doc.get('counter')).toBe(1);
    expect(doc.get('productKey')).toBe(product.productKey);
    expect(doc.get('shard')).toBe(reportShard(res.json.id as string));
    expect(JSON.parse(doc.get('extraJson'))).toEqual({ cart: { items: [1, 2] } });
    // receivedAt is Firestore's time of the write; the retention counts from the ingest's clock.
    const receivedAt = doc.get('receivedAt').toDate() as Date;
    expect(Math.abs(receivedAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(Math.abs(doc.get('expireAt').toDate().getTime() - receivedAt.getTime() - 90 * 86_400_000)).toBeLessThan(
      5_000,
    );
    expect(await countDocs(product.productKey, 'crashes')).toBe(1);
  });

  it('answers a retry of the same counter and report with 200 duplicate and writes nothing new', async () => {
    const { product, base } = await setup();
    const crash = sampleCrash();
    const first = await sendSigned({ ...base, counter: 7, body: crash });
    const again = await sendSigned({ ...base, counter: 7, body: crash, timestamp: Math.floor(Date.now() / 1000) - 5 });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ id: first.json.id, duplicate: true });
    expect(await countDocs(product.productKey, 'crashes')).toBe(1);
  });

  it('refuses a counter reused for a different report with 409 and keeps the first report', async () => {
    const { product, base } = await setup();
    const first = sampleCrash();
    await sendSigned({ ...base, counter: 3, body: first });
    const res = await sendSigned({ ...base, counter: 3, body: sampleCrash() });
    expect(res.status).toBe(409);
    expect((res.json.error as { code: string }).code).toBe('counter_reused');
    const snap = await testDb().collection('products').doc(product.productKey).collection('crashes').get();
    expect(snap.docs.map((d) => d.get('reportId'))).toEqual([first.reportId]);
  });

  it('lets another client use the same counter', async () => {
    const { product, base } = await setup();
    expect((await sendSigned({ ...base, counter: 1, body: sampleCrash() })).status).toBe(202);
    expect((await sendSigned({ ...base, clientId: newClientId(), counter: 1, body: sampleCrash() })).status).toBe(202);
    expect(await countDocs(product.productKey, 'crashes')).toBe(2);
  });

  describe('401 with one body for every authentication failure', () => {
    const cases: Array<[string, (b: SignedRequestInput) => SignedRequestInput]> = [
      ['an unknown product key', (b) => ({ ...b, productKey: 'pk_unknown_key_123' })],
      ['a signature made with another secret', (b) => ({ ...b, secret: 'sk_wrong' })],
      ['a missing signature', (b) => ({ ...b, signature: '', headers: {} })],
      ['a malformed signature', (b) => ({ ...b, signature: 'v1=XYZ' })],
      ['a body changed after signing', (b) => ({ ...b, signature: undefined as never, headers: {} })],
      ['a timestamp 301 s in the past', (b) => ({ ...b, timestamp: Math.floor(Date.now() / 1000) - 301 })],
      ['a timestamp 301 s in the future', (b) => ({ ...b, timestamp: Math.floor(Date.now() / 1000) + 301 })],
    ];
    it.each(cases)('refuses %s and stores nothing', async (name, mutate) => {
      const { product, base } = await setup();
      let input = mutate({ ...base, counter: 1, body: sampleCrash() });
      if (name === 'a missing signature')
        input = { ...input, signature: undefined as never, headers: { 'X-Dumpcatcher-Signature': '' } };
      if (name === 'a body changed after signing') {
        const signed = (await import('../../scripts/lib/client')).buildSignedRequest(input);
        input = { ...input, signature: signed.headers['X-Dumpcatcher-Signature']!, body: sampleCrash() };
      }
      const res = await sendSigned(input);
      expect(res.status).toBe(401);
      expect(res.json).toEqual({
        error: { code: 'unauthenticated', message: 'The request is not signed with a valid product key and secret.' },
      });
      expect(res.headers.get('date')).toMatch(/GMT$/);
      expect(await countDocs(product.productKey, 'crashes')).toBe(0);
    });
  });

  describe('400 naming what is wrong', () => {
    const headerCases: Array<[string, Record<string, string>, string]> = [
      ['a counter with a leading zero', { 'X-Dumpcatcher-Counter': '012' }, 'x-dumpcatcher-counter'],
      ['a zero counter', { 'X-Dumpcatcher-Counter': '0' }, 'x-dumpcatcher-counter'],
      ['a counter above 2^53-1', { 'X-Dumpcatcher-Counter': '9007199254740992' }, 'x-dumpcatcher-counter'],
      ['a short client id', { 'X-Dumpcatcher-Client': 'abc' }, 'x-dumpcatcher-client'],
      ['a product key with a dot', { 'X-Dumpcatcher-Key': 'pk.bad.key.123' }, 'x-dumpcatcher-key'],
      ['a non-numeric timestamp', { 'X-Dumpcatcher-Timestamp': 'yesterday' }, 'x-dumpcatcher-timestamp'],
    ];
    it.each(headerCases)('refuses %s', async (_name, headers, header) => {
      const { product, base } = await setup();
      const res = await sendSigned({ ...base, counter: 1, body: sampleCrash(), headers });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'invalid_header', details: { header } });
      expect(await countDocs(product.productKey, 'crashes')).toBe(0);
    });

    it('refuses invalid JSON', async () => {
      const { product, base } = await setup();
      const res = await sendSigned({
        ...base,
        counter: 1,
        body: Buffer.from('{"reportId": '),
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'invalid_json' });
      expect(await countDocs(product.productKey, 'crashes')).toBe(0);
    });

    it('refuses invalid JSON sent as application/json with 400 (the framework parses that type) and stores nothing', async () => {
      const { product, base } = await setup();
      const res = await sendSigned({ ...base, counter: 1, body: Buffer.from('{"reportId": ') });
      expect(res.status).toBe(400);
      expect(await countDocs(product.productKey, 'crashes')).toBe(0);
    });

    it('names every missing required field', async () => {
      const { product, base } = await setup();
      const crash = sampleCrash({ app: { name: 'x' } });
      delete (crash.exception as Record<string, unknown>).type;
      const res = await sendSigned({ ...base, counter: 1, body: crash });
      expect(res.status).toBe(400);
      const details = (res.json.error as { details: { issues: Array<{ path: string }> } }).details;
      expect(details.issues.map((i) => i.path).sort()).toEqual(['app.version', 'exception.type']);
      expect(await countDocs(product.productKey, 'crashes')).toBe(0);
    });

    it('refuses JSON nested deeper than 32 levels', async () => {
      const { product, base } = await setup();
      const res = await sendSigned({ ...base, counter: 1, body: sampleCrash({ extra: { deep: deepObject(40) } }) });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'too_deep', details: { maxDepth: 32 } });
      expect(await countDocs(product.productKey, 'crashes')).toBe(0);
    });
  });

  it('accepts a gzip body and stores the decoded report', async () => {
    const { product, base } = await setup();
    const crash = sampleCrash();
    const res = await sendSigned({ ...base, counter: 1, body: crash, encoding: 'gzip' });
    expect(res.status).toBe(202);
    const doc = await testDb()
      .collection('products')
      .doc(product.productKey)
      .collection('crashes')
      .doc(res.json.id as string)
      .get();
    expect(doc.get('reportId')).toBe(crash.reportId);
  });

  it('refuses a body over 1 MiB as sent with 413', async () => {
    const { product, base } = await setup();
    const body = Buffer.from(JSON.stringify(sampleCrash({ extra: { pad: 'x'.repeat(1024 * 1024) } })));
    const res = await sendSigned({ ...base, counter: 1, body });
    expect(res.status).toBe(413);
    expect(res.json.error).toMatchObject({ code: 'payload_too_large' });
    expect(await countDocs(product.productKey, 'crashes')).toBe(0);
  });

  it('stops inflating a gzip bomb at the limit and answers 413', async () => {
    const { product, base } = await setup();
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)); // 64 MiB of spaces in ~64 KiB
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await sendSigned({ ...base, counter: 1, body: bomb, encoding: 'gzip' });
    expect(res.status).toBe(413);
    expect((res.json.error as { message: string }).message).toContain('after gunzip');
    expect(await countDocs(product.productKey, 'crashes')).toBe(0);
  });

  it('refuses Content-Encoding and unknown body encodings with 415', async () => {
    const { product, base } = await setup();
    const a = await sendSigned({
      ...base,
      counter: 1,
      body: gzipSync(JSON.stringify(sampleCrash())),
      headers: { 'Content-Encoding': 'gzip' },
    });
    const b = await sendSigned({
      ...base,
      counter: 2,
      body: sampleCrash(),
      headers: { 'X-Dumpcatcher-Body-Encoding': 'br' },
    });
    expect([a.status, b.status]).toEqual([415, 415]);
    expect(a.json.error).toMatchObject({ code: 'unsupported_encoding', details: { header: 'content-encoding' } });
    expect(b.json.error).toMatchObject({
      code: 'unsupported_encoding',
      details: { header: 'x-dumpcatcher-body-encoding' },
    });
    expect(await countDocs(product.productKey, 'crashes')).toBe(0);
  });

  it('answers 429 with Retry-After above the product rate limit and stores nothing for it', async () => {
    const { product, base } = await setup();
    await testDb().collection('productSecrets').doc(product.productKey).update({ rateLimitPerMinute: 2 });
    await new Promise((r) => setTimeout(r, 1100)); // the test stack caches products for 1 s
    const statuses = [];
    for (let counter = 1; counter <= 3; counter++)
      statuses.push((await sendSigned({ ...base, counter, body: sampleCrash() })).status);
    const limited = await sendSigned({ ...base, counter: 4, body: sampleCrash() });
    expect(statuses).toEqual([202, 202, 429]);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.json.error).toMatchObject({ code: 'rate_limited', details: { scope: 'product' } });
    expect(await countDocs(product.productKey, 'crashes')).toBe(2);
  });

  it('truncates a stack trace that does not fit, with a marker, instead of refusing it', async () => {
    const { product, base } = await setup();
    const long = 'Error: boom\n' + '    at frame (/srv/app/x.js:1:1)\n'.repeat(20_000);
    const crash = sampleCrash({ exception: { type: 'Error', message: 'boom', stacktrace: long } });
    const res = await sendSigned({ ...base, counter: 1, body: crash, encoding: 'gzip' });
    expect(res.status).toBe(202);
    const doc = await testDb()
      .collection('products')
      .doc(product.productKey)
      .collection('crashes')
      .doc(res.json.id as string)
      .get();
    const stored = doc.get('exception.stacktrace') as string;
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(256 * 1024);
    expect(stored).toMatch(/… \[truncated by dumpcatcher: \d+ bytes omitted\]$/);
    expect(doc.get('exception.stacktraceTruncated')).toBe(true);
  });

  it('stores usage reports in the usage collection', async () => {
    const { product, base } = await setup();
    const usage = {
      reportId: crypto.randomUUID(),
      occurredAt: new Date().toISOString(),
      app: { name: 'demo', version: '2.0.0' },
      installId: 'inst_0123456789',
      metrics: { 'os.name': 'linux', 'cpu.count': 2, 'feature.dark_mode': true },
    };
    const res = await sendSigned({ ...base, path: '/v1/usage', counter: 1, body: usage });
    expect(res.status).toBe(202);
    const doc = await testDb()
      .collection('products')
      .doc(product.productKey)
      .collection('usage')
      .doc(res.json.id as string)
      .get();
    expect(doc.get('metrics')).toEqual(usage.metrics);
    expect(await countDocs(product.productKey, 'crashes')).toBe(0);
  });

  it('answers 404 for an unknown path and 405 for GET', async () => {
    const notFound = await fetch(baseUrl() + '/v1/nothing', { method: 'POST' });
    const get = await fetch(baseUrl() + '/v1/crashes');
    expect(notFound.status).toBe(404);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('logs a broken product document by key, never its secret or the request', async () => {
    const { product, base } = await setup();
    await testDb()
      .collection('productSecrets')
      .doc(product.productKey)
      .update({ secrets: [{ secret: product.secret, expiresAt: 'not a date' }] });
    await new Promise((r) => setTimeout(r, 1100)); // the test stack caches products for 1 s
    const res = await sendSigned({ ...base, counter: 1, body: sampleCrash({ tags: { marker: 'log-check' } }) });
    expect(res.status).toBe(401);
    const dir = requireEnv('DUMPCATCHER_TEST_LOG_DIR');
    const logs = readdirSync(dir)
      .filter((f) => f.startsWith('function-ingest-'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    const lines = logs.split('\n').filter((l) => l.includes(product.productKey));
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toContain(
      'could not load product secrets',
    );
    expect(logs).not.toContain(product.secret);
    expect(logs).not.toContain('log-check');
    expect(await countDocs(product.productKey, 'crashes')).toBe(0);
  });

  it('accepts a crash signed with a secret rotated a moment earlier, right after wrong-secret requests (6 of 6)', async () => {
    const owner = await signInWithGoogle(requireEnv('FIREBASE_AUTH_EMULATOR_HOST'), {
      email: `rotation-${crypto.randomUUID().slice(0, 8)}@example.com`,
    });
    const api = async (path: string) => {
      const res = await callApi<{ productKey: string; secret: string }>(
        owner.idToken,
        'POST',
        path,
        path === '/v1/products' ? { name: 'rotation' } : {},
      );
      expect(res.status).toBeLessThan(300);
      return res.json;
    };
    const { productKey, secret } = await api('/v1/products');
    const base = { baseUrl: baseUrl(), productKey, clientId: newClientId() };
    let counter = 0;
    const send = async (withSecret: string) =>
      (await sendSigned({ ...base, secret: withSecret, counter: ++counter, body: sampleCrash() })).status;
    expect(await send(secret)).toBe(202); // the product is cached now
    const answers: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const wrong = [await send('sk_revoked_build'), await send('sk_attacker'), await send('sk_revoked_build')];
      expect(wrong).toEqual([401, 401, 401]);
      const rotated = await api(`/v1/products/${productKey}/rotate`);
      answers.push(await send(rotated.secret));
    }
    expect(answers).toEqual([202, 202, 202, 202, 202, 202]);
    expect(await countDocs(productKey, 'crashes')).toBe(7);
  }, 120_000);

  describe('exactly once under concurrency', () => {
    it('gives one 202 and nineteen 200 for twenty copies of one request', async () => {
      const { product, base } = await setup();
      const crash = sampleCrash();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => sendSigned({ ...base, counter: 1, body: crash })),
      );
      const counts = results.reduce<Record<number, number>>(
        (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
        {},
      );
      expect(counts).toEqual({ 200: 19, 202: 1 });
      expect(new Set(results.map((r) => r.json.id)).size).toBe(1);
      expect(await countDocs(product.productKey, 'crashes')).toBe(1);
    });

    it('gives one 202 and nineteen 409 for twenty reports on one counter', async () => {
      const { product, base } = await setup();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => sendSigned({ ...base, counter: 1, body: sampleCrash() })),
      );
      const counts = results.reduce<Record<number, number>>(
        (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
        {},
      );
      expect(counts).toEqual({ 202: 1, 409: 19 });
      expect(await countDocs(product.productKey, 'crashes')).toBe(1);
    });
  });
});

/** The stored document of an accepted report. */
function storedReport(productKey: string, kind: 'crashes' | 'usage', id: string) {
  return testDb().collection('products').doc(productKey).collection(kind).doc(id).get();
}

describe('ingest: lone surrogates (Python surrogateescape file names) are stored as U+FFFD, never a 500', () => {
  const LONE = 'caf\udce9.py';
  const FIXED = 'caf\ufffd.py';

  it.each(['identity', 'gzip'] as const)(
    'a crash with one in every free-text field is stored, noted on the report (%s)',
    async (encoding) => {
      const { product, base } = await setup();
      const crash = sampleCrash({
        exception: {
          type: `Err${LONE}`,
          message: `open ${LONE}`,
          stacktrace: `Traceback:\n  File "/srv/${LONE}", line 1\n`,
        },
        app: { name: `app ${LONE}`, version: `1.0${LONE}` },
        runtime: { name: `py${LONE}`, version: `3.${LONE}` },
        os: { name: `os${LONE}`, version: `v${LONE}`, arch: `a${LONE}` },
        label: `label ${LONE}`,
        tags: { file: LONE, lone_high: 'x\ud800' },
        extra: { [`key ${LONE}`]: { nested: [LONE, 1, true] } },
        fingerprint: `fp ${LONE}`,
      });
      const res = await sendSigned({
        ...base,
        counter: 1,
        body: crash,
        ...(encoding === 'gzip' ? { bodyEncoding: 'gzip' } : {}),
      });
      expect(res.status).toBe(202);
      const doc = await storedReport(product.productKey, 'crashes', res.json.id as string);
      expect(doc.get('exception')).toEqual({
        type: `Err${FIXED}`,
        message: `open ${FIXED}`,
        stacktrace: `Traceback:\n  File "/srv/${FIXED}", line 1\n`,
      });
      expect(doc.get('app')).toEqual({ name: `app ${FIXED}`, version: `1.0${FIXED}` });
      expect(doc.get('runtime')).toEqual({ name: `py${FIXED}`, version: `3.${FIXED}` });
      expect(doc.get('os')).toEqual({ name: `os${FIXED}`, version: `v${FIXED}`, arch: `a${FIXED}` });
      expect(doc.get('label')).toBe(`label ${FIXED}`);
      expect(doc.get('tags')).toEqual({ file: FIXED, lone_high: 'x\ufffd' });
      expect(JSON.parse(doc.get('extraJson') as string)).toEqual({ [`key ${FIXED}`]: { nested: [FIXED, 1, true] } });
      expect(doc.get('fingerprint')).toBe(`fp ${FIXED}`);
      expect(doc.get('loneSurrogatesReplaced')).toBe(16);
    },
  );

  it('a usage report with one in its label, app and a metric is stored, noted on the report', async () => {
    const { product, base } = await setup();
    const usage = {
      reportId: crypto.randomUUID(),
      occurredAt: new Date().toISOString(),
      app: { name: `demo${LONE}`, version: '2.0.0' },
      label: `daily ${LONE}`,
      metrics: { 'last.file': LONE, 'cpu.count': 2 },
    };
    const res = await sendSigned({ ...base, path: '/v1/usage', counter: 1, body: usage });
    expect(res.status).toBe(202);
    const doc = await storedReport(product.productKey, 'usage', res.json.id as string);
    expect([doc.get('app.name'), doc.get('label'), doc.get('metrics')]).toEqual([
      `demo${FIXED}`,
      `daily ${FIXED}`,
      { 'last.file': FIXED, 'cpu.count': 2 },
    ]);
    expect(doc.get('loneSurrogatesReplaced')).toBe(3);
  });

  it('a report without any has no note', async () => {
    const { product, base } = await setup();
    const res = await sendSigned({ ...base, counter: 1, body: sampleCrash({ label: 'caf\u00e9 \ud83d\ude00' }) });
    expect(res.status).toBe(202);
    const doc = await storedReport(product.productKey, 'crashes', res.json.id as string);
    expect([doc.get('label'), doc.get('loneSurrogatesReplaced')]).toEqual(['caf\u00e9 \ud83d\ude00', undefined]);
  });

  it.each([
    ['a tag name', { tags: { [`t${LONE}`]: 'v' } }, 'tags'],
    ['a reportId', { reportId: `0${LONE}` }, 'reportId'],
    ['occurredAt', { occurredAt: `2026-01-01T00:00:00Z${LONE}` }, 'occurredAt'],
    ['installId', { installId: `inst_${LONE}_0123` }, 'installId'],
    ['an unknown field name', { [`x${LONE}`]: 1 }, ''],
  ])(
    'one in %s, where the schema allows no such character, is a 400 naming the field',
    async (_what, overrides, path) => {
      const { base } = await setup();
      const res = await sendSigned({ ...base, counter: 1, body: sampleCrash(overrides) });
      expect(res.status).toBe(400);
      const issues = (res.json.error as { details: { issues: Array<{ path: string }> } }).details.issues;
      expect(issues.map((i) => i.path).join(' ')).toContain(path);
    },
  );

  it('3 poisoned reports to one product, sent with 11 valid ones to another: all 14 stored exactly once', async () => {
    const poisoned = await setup();
    const valid = await setup();
    const sends = [
      ...Array.from({ length: 3 }, (_, i) =>
        sendSigned({
          ...poisoned.base,
          counter: i + 1,
          body: sampleCrash({
            label: `bad\udc80${i}`,
            exception: { type: 'E', message: '\ud800', stacktrace: 'x\udfff' },
          }),
        }),
      ),
      ...Array.from({ length: 11 }, (_, i) =>
        sendSigned({ ...valid.base, counter: i + 1, body: sampleCrash({ label: `good ${i}` }) }),
      ),
    ];
    const answers = await Promise.all(sends);
    expect(answers.map((a) => a.status)).toEqual(Array(14).fill(202));
    expect(await countDocs(valid.product.productKey, 'crashes')).toBe(11);
    expect(await countDocs(poisoned.product.productKey, 'crashes')).toBe(3);
  });
});

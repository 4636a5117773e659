import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { callApi, googleUser, rollUpToTheEnd, sendApi, signedSender, type Answer } from './api-client';
import { requireEnv, testDb } from './helpers';

const FIXTURES = join(__dirname, '../fixtures/android');
const read = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

const call = callApi;

const upload = (
  token: string,
  path: string,
  body: Buffer | string,
  headers: Record<string, string> = { 'Content-Type': 'text/plain' },
): Promise<Answer> => sendApi(token, 'PUT', path, { body, headers });

const rollUp = rollUpToTheEnd;

async function setup() {
  const owner = await googleUser('owner');
  const viewer = await googleUser('viewer');
  const created = await call(owner.token, 'POST', '/v1/products', { name: 'Notes' });
  const { productKey, secret } = created.json as { productKey: string; secret: string };
  const invited = await call(owner.token, 'POST', `/v1/products/${productKey}/invitations`, { email: viewer.email });
  expect((await call(viewer.token, 'POST', `/v1/invitations/${invited.json.id as string}/accept`)).status).toBe(200);
  const send = signedSender(productKey, secret);
  const sendCrash = async (trace: string, type: string, version: string) => {
    await send('/v1/crashes', {
      reportId: randomUUID(),
      occurredAt: new Date().toISOString(),
      exception: { type, message: 'no note', stacktrace: trace },
      app: { name: 'notes', version },
      runtime: { name: 'android', version: '34' },
    });
  };
  return { owner, viewer, productKey, sendCrash, base: `/v1/products/${productKey}` };
}

async function chunkCount(productKey: string, mapId: string): Promise<number> {
  const chunks = testDb().collection(`products/${productKey}/mappings/${mapId}/chunks`);
  return (await chunks.count().get()).data().count;
}

describe('mappings api (real emulators)', () => {
  it('stores, lists, replaces and deletes a mapping for the owner; viewers only read', async () => {
    const { owner, viewer, productKey, base } = await setup();
    const text = read('r8-notes-2.0-mapping.txt');
    const put = await upload(owner.token, `${base}/mappings/7f3c2a1`, text);
    expect(put.status).toBe(201);
    expect(put.json).toMatchObject({
      mapId: '7f3c2a1',
      sizeBytes: Buffer.byteLength(text),
      pgMapId: '7f3c2a1',
      classCount: 4,
      uploadedBy: { kind: 'user' },
    });
    expect((await upload(owner.token, `${base}/mappings/7f3c2a1`, text)).status).toBe(200);
    const denied = await upload(viewer.token, `${base}/mappings/7f3c2a1`, text);
    expect(denied.status).toBe(403);
    expect((await call(viewer.token, 'GET', `${base}/mappings/7f3c2a1`)).json.sha256).toBe(put.json.sha256);
    const list = await call(viewer.token, 'GET', `${base}/mappings`);
    expect((list.json.mappings as Array<{ mapId: string }>).map((m) => m.mapId)).toEqual(['7f3c2a1']);
    // The replaced upload's chunks are gone; only the current generation is left.
    expect(await chunkCount(productKey, '7f3c2a1')).toBe(1);
    expect((await call(viewer.token, 'DELETE', `${base}/mappings/7f3c2a1`)).status).toBe(403);
    expect((await call(owner.token, 'DELETE', `${base}/mappings/7f3c2a1`)).json).toEqual({
      productKey,
      deleted: true,
      mapId: '7f3c2a1',
    });
    expect((await call(owner.token, 'GET', `${base}/mappings/7f3c2a1`)).status).toBe(404);
    expect(await chunkCount(productKey, '7f3c2a1')).toBe(0);
    const outsider = await googleUser('outsider');
    expect((await call(outsider.token, 'GET', `${base}/mappings`)).status).toBe(404);
  });

  it('refuses what is not a mapping, and stores nothing of it', async () => {
    const { owner, base } = await setup();
    const path = `${base}/mappings/1.0.0`;
    const cases: Array<[Buffer | string, Record<string, string>, number, string]> = [
      ['just some text\n', { 'Content-Type': 'text/plain' }, 400, 'invalid_body'],
      [Buffer.from([0x1f, 0x8b, 1, 2, 3]), { 'Content-Type': 'application/gzip' }, 400, 'invalid_body'],
      [read('r8-notes-2.0-mapping.txt'), { 'Content-Type': 'application/xml' }, 415, 'unsupported_encoding'],
      [
        gzipSync(read('r8-notes-2.0-mapping.txt')),
        { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' },
        415,
        'unsupported_encoding',
      ],
    ];
    for (const [body, headers, status, code] of cases) {
      const answer = await upload(owner.token, path, body, headers);
      expect([answer.status, answer.json.error?.code]).toEqual([status, code]);
    }
    const badId = await upload(owner.token, `${base}/mappings/bad%20id`, read('r8-notes-2.0-mapping.txt'));
    expect([badId.status, badId.json.error?.code]).toEqual([400, 'invalid_argument']);
    expect((await call(owner.token, 'GET', `${base}/mappings`)).json.mappings).toEqual([]);
  });

  it('lets a build server upload a gzipped mapping with an upload token of that product only', async () => {
    const { owner, viewer, productKey, base } = await setup();
    const other = await setup();
    expect((await call(viewer.token, 'POST', `${base}/upload-tokens`, { name: 'ci' })).status).toBe(403);
    const created = await call(owner.token, 'POST', `${base}/upload-tokens`, { name: 'ci' });
    expect(created.status).toBe(201);
    const token = created.json.token as string;
    expect(token).toMatch(/^dcu_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const listed = await call(owner.token, 'GET', `${base}/upload-tokens`);
    expect(listed.json.tokens).toEqual([
      {
        id: created.json.id,
        name: 'ci',
        scope: 'mappings',
        createdAt: created.json.createdAt,
        createdBy: expect.any(String),
      },
    ]);
    const stored = await testDb()
      .doc(`products/${productKey}/uploadTokens/${created.json.id as string}`)
      .get();
    expect(JSON.stringify(stored.data())).not.toContain(token.slice(-43));

    const text = read('r8-notes-2.1-mapping.txt');
    const put = await upload(token, `${base}/mappings/91be04d`, gzipSync(text), { 'Content-Type': 'application/gzip' });
    expect(put.status).toBe(201);
    expect(put.json).toMatchObject({
      sizeBytes: Buffer.byteLength(text),
      uploadedBy: { kind: 'token', id: created.json.id },
    });
    expect((await upload(token, `${base}/mappings/91be04d`, text)).status).toBe(200);
    expect((await upload(token, `${other.base}/mappings/91be04d`, text)).status).toBe(401);
    for (const [method, path] of [
      ['DELETE', `${base}/mappings/91be04d`],
      ['GET', `${base}/mappings`],
      ['POST', `${base}/upload-tokens`],
      ['GET', base],
    ] as const) {
      const answer = await call(token, method, path);
      expect([method, path, answer.status, answer.json.error?.details?.reason]).toEqual([
        method,
        path,
        403,
        'upload_token_scope',
      ]);
    }
    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect((await upload(forged, `${base}/mappings/91be04d`, text)).status).toBe(401);
    expect((await call(owner.token, 'DELETE', `${base}/upload-tokens/${created.json.id as string}`)).status).toBe(200);
    const revoked = await upload(token, `${base}/mappings/91be04d`, text);
    expect([revoked.status, revoked.json.error?.details?.reason]).toEqual([401, 'invalid_upload_token']);
    // Every change is in the api's log with the product, and no token is.
    const dir = requireEnv('DUMPCATCHER_TEST_LOG_DIR');
    const logs = readdirSync(dir)
      .filter((f) => f.startsWith('function-api-'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    const changes = logs
      .split('\n')
      .filter((line) => line.includes(productKey) && line.includes('api change'))
      .map((line) => JSON.parse(line) as { route: string; method: string; uid: string });
    expect(changes.map((c) => [c.route, c.method, c.uid.startsWith('upload-token:') ? c.uid : 'user'])).toEqual([
      ['products', 'POST', 'user'],
      ['invitations', 'POST', 'user'],
      ['accept', 'POST', 'user'],
      ['upload-tokens', 'POST', 'user'],
      ['mapping', 'PUT', `upload-token:${created.json.id as string}`],
      ['mapping', 'PUT', `upload-token:${created.json.id as string}`],
      ['upload-token', 'DELETE', 'user'],
    ]);
    expect(logs).not.toContain(token.slice(-43));
  });

  it('deletes the mappings, their chunks and the upload tokens with the product', async () => {
    const { owner, productKey, base } = await setup();
    const created = await call(owner.token, 'POST', `${base}/upload-tokens`, { name: 'ci' });
    const token = created.json.token as string;
    expect((await upload(token, `${base}/mappings/7f3c2a1`, read('r8-notes-2.0-mapping.txt'))).status).toBe(201);
    expect((await call(owner.token, 'DELETE', base)).status).toBe(200);
    const left = await testDb().collection(`products/${productKey}/mappings`).listDocuments();
    expect([left.length, await chunkCount(productKey, '7f3c2a1')]).toEqual([0, 0]);
    expect((await testDb().collection(`products/${productKey}/uploadTokens`).count().get()).data().count).toBe(0);
    expect((await upload(token, `${base}/mappings/7f3c2a1`, read('r8-notes-2.0-mapping.txt'))).status).toBe(401);
  }, 60_000);

  it('stores a mapping of tens of megabytes in compressed chunks', async () => {
    const { owner, productKey, base } = await setup();
    const lines: string[] = ['# pg_map_id: big0001'];
    let i = 0;
    while (lines.length * 60 < 30 * 1024 * 1024) {
      lines.push(`com.acme.generated.Class${i} -> a${i.toString(36)}:`);
      for (let m = 0; m < 8; m++)
        lines.push(
          `    ${m * 10 + 1}:${m * 10 + 9}:java.lang.String method${m}Of${i}(java.lang.String):${m * 20 + 5}:${m * 20 + 13} -> ${String.fromCharCode(97 + m)}`,
        );
      i++;
    }
    const text = lines.join('\n') + '\n';
    const gz = gzipSync(text);
    const started = performance.now();
    const put = await upload(owner.token, `${base}/mappings/big0001`, gz, { 'Content-Type': 'application/gzip' });
    const ms = performance.now() - started;
    expect(put.status).toBe(201);
    expect(put.json.sizeBytes).toBe(Buffer.byteLength(text));
    expect(put.json.classCount).toBe(i);
    const chunks = await chunkCount(productKey, 'big0001');
    expect(chunks).toBe(Math.ceil((put.json.storedBytes as number) / (900 * 1024)));
    process.stdout.write(
      `mapping upload: ${(text.length / 1048576).toFixed(1)} MiB text, ${(gz.length / 1048576).toFixed(1)} MiB sent, ${chunks} chunks, ${Math.round(ms)} ms\n`,
    );
  }, 120_000);

  it('retraces obfuscated Android crashes in the rollup: two releases, one readable issue; a missing mapping is named', async () => {
    const { owner, base, sendCrash } = await setup();
    expect((await upload(owner.token, `${base}/mappings/7f3c2a1`, read('r8-notes-2.0-mapping.txt'))).status).toBe(201);
    expect((await upload(owner.token, `${base}/mappings/91be04d`, read('r8-notes-2.1-mapping.txt'))).status).toBe(201);
    await sendCrash(read('r8-notes-2.0.txt'), 'b.b', '2.0');
    await sendCrash(read('r8-notes-2.1.txt'), 'b.d', '2.1');
    await sendCrash(read('r8-notes-2.1.txt').replaceAll('91be04d', 'deadbee'), 'b.d', '2.2');
    await rollUp();
    const list = await call(owner.token, 'GET', `${base}/issues`);
    const issues = list.json.issues as Array<{ id: string; title: string; count: number; culprit: string }>;
    expect(issues.map((i) => [i.title, i.count]).sort()).toEqual([
      ['b.d: no note', 1],
      ['com.acme.notes.data.MissingNoteException: no note', 2],
    ]);
    const readable = issues.find((i) => i.count === 2)!;
    expect(readable.culprit).toBe('com.acme.notes.data.NoteRepository.requireNote');
    const detail = await call(owner.token, 'GET', `${base}/issues/${readable.id}`);
    expect(detail.json.retrace).toEqual({ status: 'retraced', mapId: '91be04d', source: 'map_id' });
    expect(detail.json.topFrame).toMatchObject({ module: 'com.acme.notes.data.NoteRepository', line: 37 });
    const obfuscated = issues.find((i) => i.count === 1)!;
    const missing = await call(owner.token, 'GET', `${base}/issues/${obfuscated.id}`);
    expect(missing.json.retrace).toEqual({ status: 'missing_mapping', mapId: 'deadbee', source: 'map_id' });
    // The crash feed and the issue page retrace as the rollup did: same issue ids, both texts kept.
    const feed = await call(owner.token, 'GET', `${base}/crashes`);
    const crashes = feed.json.crashes as Array<{
      issueId: string;
      exception: { stacktrace: string };
      retracedStacktrace: string | null;
      retrace: { status: string } | null;
      frames: Array<{ module?: string; function?: string }>;
    }>;
    expect(crashes.map((c) => [c.issueId, c.retrace?.status]).sort()).toEqual(
      [
        [readable.id, 'retraced'],
        [readable.id, 'retraced'],
        [obfuscated.id, 'missing_mapping'],
      ].sort(),
    );
    for (const crash of crashes.filter((c) => c.issueId === readable.id)) {
      expect(crash.exception.stacktrace).toContain('(r8-map-id-');
      expect(crash.retracedStacktrace).toContain(
        'at com.acme.notes.data.NoteRepository.requireNote(NoteRepository.kt:',
      );
      expect(crash.frames[0]).toMatchObject({ module: 'com.acme.notes.data.NoteRepository', function: 'requireNote' });
    }
    const recent = (detail.json.recentCrashes as typeof crashes).map((c) => c.frames[0]?.function);
    expect(recent).toEqual(['requireNote', 'requireNote']);
  }, 120_000);
});

import { gzipSync } from 'node:zlib';
import { gzipBomb, residentBytes, sendBomb } from '../../scripts/lib/bombs';
import { sampleCrash } from '../../scripts/lib/client';
import { callApi, googleUser } from './api-client';
import { requireEnv } from './helpers';

const MiB = 1024 * 1024;
// The bodies of #23: 130 KB that inflate to 128 MiB, and 1 MB that inflate to 1 GiB.
const BOMBS = [
  { name: '128 MiB', inflated: 128 * MiB },
  { name: '1 GiB', inflated: 1024 * MiB },
];
// Unauthenticated targets in both functions: the framework inflated all of these before.
const TARGETS = [
  { fn: 'ingest', method: 'POST', path: '/v1/crashes', type: 'application/json' },
  { fn: 'api', method: 'POST', path: '/v1/me', type: 'application/json' },
  { fn: 'api', method: 'PUT', path: '/v1/products/abcdefgh12/mappings/1.0', type: 'text/plain' },
] as const;
// Headroom for allocator noise and the bounded 1 MiB inflation; the unbounded parse grew ~900 MB.
const MAX_GROWTH_BYTES = 24 * MiB;

const urlOf = (fn: 'ingest' | 'api') => requireEnv(fn === 'ingest' ? 'DUMPCATCHER_INGEST_URL' : 'DUMPCATCHER_API_URL');
const pidOf = (fn: 'ingest' | 'api') =>
  Number(requireEnv(fn === 'ingest' ? 'DUMPCATCHER_INGEST_PID' : 'DUMPCATCHER_API_PID'));

describe('bodies sent with Content-Encoding, over HTTP to the served functions', () => {
  const bombs = new Map<string, Buffer>();
  beforeAll(async () => {
    for (const bomb of BOMBS) bombs.set(bomb.name, await gzipBomb(bomb.inflated));
  });

  for (const target of TARGETS)
    for (const bomb of BOMBS)
      it(`${target.fn} ${target.method} ${target.path}: the ${bomb.name} bomb gets our JSON 413 naming the limit, memory stays put`, async () => {
        const pid = pidOf(target.fn);
        // Warm the process first, so the baseline is the serving process, not a cold one.
        await sendBomb(urlOf(target.fn) + target.path, target.method, gzipSync('{}'), target.type);
        const before = residentBytes(pid);
        const answer = await sendBomb(
          urlOf(target.fn) + target.path,
          target.method,
          bombs.get(bomb.name)!,
          target.type,
        );
        const after = residentBytes(pid);
        expect(answer.contentType).toMatch(/^application\/json/);
        expect({ status: answer.status, body: JSON.parse(answer.text) as unknown }).toEqual({
          status: 413,
          body: {
            error: {
              code: 'payload_too_large',
              message: 'The body is larger than 1048576 bytes after Content-Encoding: gzip.',
              details: { limitBytes: MiB, encoding: 'gzip' },
            },
          },
        });
        expect(after - before).toBeLessThan(MAX_GROWTH_BYTES);
      });

  it('ingest: a small Content-Encoding body is inflated and refused with 415 naming the header', async () => {
    const answer = await sendBomb(
      urlOf('ingest') + '/v1/crashes',
      'POST',
      gzipSync(JSON.stringify(sampleCrash())),
      'application/json',
    );
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.text)).toMatchObject({
      error: { code: 'unsupported_encoding', details: { header: 'content-encoding' } },
    });
  });

  it('api: broken gzip gets 400 and an unknown encoding 415, both as our JSON', async () => {
    const broken = await sendBomb(urlOf('api') + '/v1/me', 'POST', Buffer.from('not gzip at all'), 'application/json');
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.text)).toMatchObject({ error: { code: 'invalid_body', details: { encoding: 'gzip' } } });
    const res = await fetch(urlOf('api') + '/v1/me', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'compress' },
      body: 'x',
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({
      error: { code: 'unsupported_encoding', details: { header: 'content-encoding' } },
    });
  });

  it('api: a gzipped JSON body within the limit still works (inflated by us, not the framework)', async () => {
    const owner = await googleUser('gzip-owner');
    const res = await fetch(urlOf('api') + '/v1/products', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${owner.token}`,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      },
      body: gzipSync(JSON.stringify({ name: 'gzipped product' })),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { productKey: string; name: string };
    expect(created.name).toBe('gzipped product');
    const listed = await callApi<{ products: Array<{ productKey: string }> }>(owner.token, 'GET', '/v1/products');
    expect(listed.json.products.map((p) => p.productKey)).toContain(created.productKey);
  });
});

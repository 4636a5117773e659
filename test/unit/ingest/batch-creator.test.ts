import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createBatchCreator,
  encodeFirestoreFields,
  FirestoreWriteError,
  type BatchCreator,
} from '../../../functions/src/ingest/batch-creator';

const DB = 'projects/demo-unit/databases/(default)';

interface Write {
  update: { name: string; fields: Record<string, unknown> };
  currentDocument: { exists: boolean };
}
interface Received {
  path: string;
  authorization: string | undefined;
  writes: Write[];
}
type Reply = (req: Received, res: ServerResponse) => void;

/** A real HTTP server standing in for Firestore's REST endpoint, answering with `reply`. */
async function fakeEndpoint(reply: Reply): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { writes: Write[] };
      const r = { path: req.url ?? '', authorization: req.headers.authorization, writes: body.writes };
      received.push(r);
      reply(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

/** Answers every write with the given codes (0 when not listed). */
function statuses(codes: (w: Write, i: number) => number): Reply {
  return (req, res) =>
    json(res, 200, {
      writeResults: req.writes.map(() => ({})),
      status: req.writes.map((w, i) => {
        const code = codes(w, i);
        return code === 0 ? {} : { code, message: `code ${code}` };
      }),
    });
}

function create(creator: BatchCreator, path: string, data: Record<string, unknown> = { a: 1 }) {
  return new Promise<'created' | 'exists'>((resolve, reject) =>
    creator.create(path, data, (err, outcome) => (err ? reject(err) : resolve(outcome!))),
  );
}

const servers: Server[] = [];
const creators: BatchCreator[] = [];
afterEach(async () => {
  for (const c of creators.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function setup(reply: Reply, options: { maxInFlight?: number; maxAttempts?: number } = {}) {
  const endpoint = await fakeEndpoint(reply);
  servers.push(endpoint.server);
  const refreshes: boolean[] = [];
  const creator = createBatchCreator({
    baseUrl: endpoint.url,
    database: () => Promise.resolve(DB),
    authorization: (refresh) => {
      refreshes.push(refresh);
      return Promise.resolve(refresh ? 'Bearer fresh' : 'Bearer stale');
    },
    backoffMs: () => 1,
    ...options,
  });
  creators.push(creator);
  return { ...endpoint, creator, refreshes };
}

describe('encodeFirestoreFields', () => {
  it('encodes every stored type as Firestore REST values and skips undefined', () => {
    const fields = JSON.parse(
      encodeFirestoreFields({
        s: 'tab\there "quoted" é',
        i: 42,
        neg: -7,
        d: 1.5,
        big: 2 ** 60,
        nan: NaN,
        inf: -Infinity,
        t: true,
        n: null,
        at: new Date('2026-11-22T10:00:00.123Z'),
        list: ['x', 1],
        map: { nested: { deep: 'y' }, empty: {} },
        gone: undefined,
      }).toString('utf8'),
    ) as Record<string, unknown>;
    expect(fields).toEqual({
      s: { stringValue: 'tab\there "quoted" é' },
      i: { integerValue: '42' },
      neg: { integerValue: '-7' },
      d: { doubleValue: 1.5 },
      big: { doubleValue: 2 ** 60 },
      nan: { doubleValue: 'NaN' },
      inf: { doubleValue: '-Infinity' },
      t: { booleanValue: true },
      n: { nullValue: null },
      at: { timestampValue: '2026-11-22T10:00:00.123Z' },
      list: { arrayValue: { values: [{ stringValue: 'x' }, { integerValue: '1' }] } },
      map: {
        mapValue: {
          fields: {
            nested: { mapValue: { fields: { deep: { stringValue: 'y' } } } },
            empty: { mapValue: { fields: {} } },
          },
        },
      },
    });
  });

  it('writes any text exactly: escapes, non-ASCII, surrogate pairs, lone surrogates, keys, large values', () => {
    const texts = [
      'plain ascii',
      'back\\slash "quote" \u0000\u001f\n\r\t',
      'é ü 漢字 \u2028\u2029',
      'emoji 😀 pair',
      'lone \ud800 high and \udc00 low',
      'x'.repeat(200_000) + 'é',
      '',
    ];
    const data = Object.fromEntries(texts.map((t, i) => [`k${i} "${t.slice(0, 20)}"`, t]));
    const fields = JSON.parse(encodeFirestoreFields(data).toString('utf8')) as Record<string, { stringValue: string }>;
    expect(Object.keys(fields)).toEqual(Object.keys(data));
    for (const [k, t] of Object.entries(data)) expect(fields[k]!.stringValue).toBe(t);
    // A second call after a large one starts clean (the scratch buffer is reused).
    expect(encodeFirestoreFields({ a: 'b' }).toString('utf8')).toBe('{"a":{"stringValue":"b"}}');
  });

  it('writes the same bytes as JSON.stringify for every control character, quote, backslash and DEL', () => {
    const all = Array.from({ length: 0x80 }, (_, c) => String.fromCharCode(c)).join('');
    const short = Array.from({ length: 0x80 }, (_, c) => `a${String.fromCharCode(c)}b`);
    for (const text of [all, ...short, `at x\n\tat y "z" \\ w`, 'x'.repeat(20_000) + '\n\u0001é', 'é\u0001']) {
      expect(encodeFirestoreFields({ a: text }).toString('utf8')).toBe(`{"a":{"stringValue":${JSON.stringify(text)}}}`);
    }
  });

  it('starts clean after a value it refused', () => {
    expect(() => encodeFirestoreFields({ a: 'x', f: Symbol('s') })).toThrow('cannot store a value of type symbol');
    expect(encodeFirestoreFields({ a: 1 }).toString('utf8')).toBe('{"a":{"integerValue":"1"}}');
  });

  it('refuses values Firestore cannot hold', () => {
    expect(() => encodeFirestoreFields({ f: () => 1 })).toThrow('cannot store a value of type function');
    expect(() => encodeFirestoreFields({ d: new Date(NaN) })).toThrow('invalid Date');
  });
});

describe('createBatchCreator', () => {
  it('sends creates with an exists:false precondition and the full document name', async () => {
    const { creator, received } = await setup(statuses(() => 0));
    await expect(create(creator, 'products/pk/crashes/abc', { x: 'y' })).resolves.toBe('created');
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe(`/v1/${DB}/documents:batchWrite`);
    expect(received[0]!.authorization).toBe('Bearer stale');
    expect(received[0]!.writes).toEqual([
      {
        update: { name: `${DB}/documents/products/pk/crashes/abc`, fields: { x: { stringValue: 'y' } } },
        currentDocument: { exists: false },
      },
    ]);
  });

  it('shares one request among creates made in one turn, and queues behind a full window', async () => {
    const { creator, received } = await setup(
      statuses(() => 0),
      { maxInFlight: 1 },
    );
    const first = Array.from({ length: 5 }, (_, i) => create(creator, `c/d${i}`));
    await Promise.all(first);
    expect(received.map((r) => r.writes.length)).toEqual([5]);
    // With one request in flight, everything created meanwhile goes in the next one.
    const a = create(creator, 'c/a');
    await new Promise((r) => setImmediate(r));
    const rest = Array.from({ length: 7 }, (_, i) => create(creator, `c/r${i}`));
    await Promise.all([a, ...rest]);
    expect(received.map((r) => r.writes.length)).toEqual([5, 1, 7]);
  });

  it('splits batches at 500 writes', async () => {
    const { creator, received } = await setup(
      statuses(() => 0),
      { maxInFlight: 4 },
    );
    await Promise.all(Array.from({ length: 1201 }, (_, i) => create(creator, `c/d${i}`)));
    expect(received.map((r) => r.writes.length).sort((x, y) => y - x)).toEqual([500, 500, 201]);
  });

  it('reports each write on its own: created, already there, or refused with its code', async () => {
    const { creator } = await setup(
      statuses((w) => (w.update.name.endsWith('dup') ? 6 : w.update.name.endsWith('bad') ? 3 : 0)),
    );
    const results = await Promise.allSettled([
      create(creator, 'c/new'),
      create(creator, 'c/dup'),
      create(creator, 'c/bad'),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'created' });
    expect(results[1]).toEqual({ status: 'fulfilled', value: 'exists' });
    expect(results[2]).toMatchObject({ status: 'rejected', reason: { code: 3, name: 'FirestoreWriteError' } });
  });

  it('retries only the writes that failed with a retryable code', async () => {
    let call = 0;
    const { creator, received } = await setup((req, res) => {
      call += 1;
      statuses((w) => (call === 1 && w.update.name.endsWith('busy') ? 10 : 0))(req, res);
    });
    await expect(Promise.all([create(creator, 'c/ok'), create(creator, 'c/busy')])).resolves.toEqual([
      'created',
      'created',
    ]);
    expect(received.map((r) => r.writes.map((w) => w.update.name.split('/').pop()))).toEqual([
      ['ok', 'busy'],
      ['busy'],
    ]);
  });

  it('retries the whole request after a 503 or a dropped connection, up to maxAttempts', async () => {
    let call = 0;
    const { creator, received } = await setup((req, res) => {
      call += 1;
      if (call === 1) return json(res, 503, { error: { message: 'try later' } });
      if (call === 2) return res.socket?.destroy();
      statuses(() => 0)(req, res);
    });
    await expect(create(creator, 'c/x')).resolves.toBe('created');
    expect(received).toHaveLength(3);
  });

  it('gives up after maxAttempts with UNAVAILABLE and the HTTP status in the message', async () => {
    const { creator, received } = await setup((_req, res) => json(res, 500, { error: 'boom' }), { maxAttempts: 2 });
    const err = await create(creator, 'c/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirestoreWriteError);
    expect(err).toMatchObject({ code: 14, message: expect.stringContaining('HTTP 500') });
    expect(received).toHaveLength(2);
  });

  it('does not retry a request Firestore rejects as invalid', async () => {
    const { creator, received } = await setup((_req, res) => json(res, 400, { error: { message: 'bad name' } }));
    await expect(create(creator, 'c/x')).rejects.toMatchObject({
      code: 3,
      message: expect.stringContaining('bad name'),
    });
    expect(received).toHaveLength(1);
  });

  it('gives up after a second 401, with UNAUTHENTICATED; a 403 is PERMISSION_DENIED', async () => {
    const denied = await setup((_req, res) => json(res, 401, {}));
    await expect(create(denied.creator, 'c/x')).rejects.toMatchObject({ code: 16 });
    expect(denied.refreshes).toEqual([false, true]);
    const forbidden = await setup((_req, res) => json(res, 403, { error: { message: 'no access' } }));
    await expect(create(forbidden.creator, 'c/x')).rejects.toMatchObject({
      code: 7,
      message: expect.stringContaining('403'),
    });
    expect(forbidden.received).toHaveLength(1);
  });

  it('asks for a fresh token once after a 401', async () => {
    const { creator, received, refreshes } = await setup((req, res) =>
      req.authorization === 'Bearer fresh' ? statuses(() => 0)(req, res) : json(res, 401, {}),
    );
    await expect(create(creator, 'c/x')).resolves.toBe('created');
    expect(refreshes).toEqual([false, true]);
    expect(received.map((r) => r.authorization)).toEqual(['Bearer stale', 'Bearer fresh']);
  });

  it('answers a document it cannot encode at once, without sending anything', async () => {
    const { creator, received } = await setup(statuses(() => 0));
    await expect(create(creator, 'c/x', { f: Symbol('no') })).rejects.toThrow('cannot store');
    expect(received).toHaveLength(0);
  });
});

describe('createBatchCreator with repeated documents', () => {
  it('never names one document twice in a request (Firestore refuses that); the repeat goes next', async () => {
    const seen = new Set<string>();
    const { creator, received } = await setup(
      (req, res) => {
        const names = req.writes.map((w) => w.update.name);
        if (new Set(names).size !== names.length) return json(res, 400, { error: { message: 'same document twice' } });
        statuses((w) => (seen.has(w.update.name) ? 6 : (seen.add(w.update.name), 0)))(req, res);
      },
      { maxInFlight: 1 },
    );
    const results = await Promise.all([
      create(creator, 'c/x'),
      create(creator, 'c/y'),
      create(creator, 'c/x'),
      create(creator, 'c/x'),
    ]);
    expect(results).toEqual(['created', 'created', 'exists', 'exists']);
    expect(received.map((r) => r.writes.length)).toEqual([2, 1, 1]);
  });
});

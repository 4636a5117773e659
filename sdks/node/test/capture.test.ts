import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '../src/client.ts';
import type { DumpcatcherClient } from '../src/client.ts';
import type { QueueEntry } from '../src/queue.ts';
import type { CrashReport } from '../src/types.ts';
import { makeTempDir, queueFiles, removeDir, testOptions, testRuntime, throwSame } from './helpers/env.ts';

// No ingest here: the endpoint is never reached because nothing is flushed and kicks are
// cancelled by close(); these tests look at what reaches the disk.
const NOWHERE = 'http://127.0.0.1:9';

// The same five innermost frames every time, as in a crash loop.
function crashLoop(client: DumpcatcherClient, times: number): Array<string | null> {
  return Array.from({ length: times }, () => client.captureException(throwSame()));
}

function readQueued(dir: string): QueueEntry[] {
  return queueFiles(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as QueueEntry);
}

describe('captureException', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('scrubs before anything touches disk', async () => {
    const client = createClient(
      testOptions(NOWHERE, dir, { label: 'for alice', tags: { who: 'alice@example.com' } }),
      testRuntime(),
    );
    const err = new Error('cannot open /home/alice-example/notes.txt for alice, Bearer abc123');
    client.captureException(err, { extra: { auth: 'auth=xyz' } });
    await client.close();
    const text = readFileSync(join(dir, queueFiles(dir)[0] as string), 'utf8');
    expect(text).not.toMatch(/alice|abc123|xyz/);
    const body = (JSON.parse(text) as QueueEntry).body as unknown as CrashReport;
    expect(body.exception.message).toBe('cannot open ~/notes.txt for <user>, Bearer <redacted>');
    expect(body.label).toBe('for <user>');
    expect(body.tags).toEqual({ who: '<email>' });
    expect(body.extra).toEqual({ auth: 'auth=<redacted>' });
  });

  it('merges per-capture tags over default tags and uses the per-capture label', async () => {
    const client = createClient(
      testOptions(NOWHERE, dir, { label: 'default', tags: { a: '1', b: '2' } }),
      testRuntime(),
    );
    client.captureException(new Error('x'), { label: 'checkout', tags: { b: 'two', c: '3' } });
    await client.close();
    const [entry] = readQueued(dir);
    expect(entry?.body).toMatchObject({ label: 'checkout', tags: { a: '1', b: 'two', c: '3' } });
  });

  it('lets beforeSend edit a report or drop it, and drops it when beforeSend throws', async () => {
    const client = createClient(
      testOptions(NOWHERE, dir, {
        beforeSend: (report) => {
          if (report.exception.message === 'drop me') return null;
          if (report.exception.message === 'explode') throw new Error('hook bug');
          return { ...report, tags: { edited: 'yes' } };
        },
      }),
      testRuntime(),
    );
    expect(client.captureException(new Error('drop me'))).toBeNull();
    expect(client.captureException(new Error('explode'))).toBeNull();
    expect(client.captureException(new Error('keep me'))).not.toBeNull();
    await client.close();
    const entries = readQueued(dir);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.body).toMatchObject({ exception: { message: 'keep me' }, tags: { edited: 'yes' } });
  });

  it('applies sampleRate before anything touches disk', async () => {
    const draws = [0.1, 0.9, 0.3, 0.6];
    const client = createClient(
      testOptions(NOWHERE, dir, { sampleRate: 0.5 }),
      testRuntime({ random: () => draws.shift() ?? 0 }),
    );
    const ids = ['a', 'b', 'c', 'd'].map((m) => client.captureException(new Error(m)));
    await client.close();
    expect(ids.map((id) => id !== null)).toEqual([true, false, true, false]);
    expect(
      readQueued(dir)
        .map((e) => (e.body as unknown as CrashReport).exception.message)
        .sort(),
    ).toEqual(['a', 'c']);
  });

  it('stops a crash loop with the per-fingerprint limiter, across restarts, and not for other errors', async () => {
    const opts = testOptions(NOWHERE, dir, { maxReportsPerFingerprint: 3 });
    const first = createClient(opts, testRuntime());
    const firstIds = crashLoop(first, 2);
    await first.close();
    const second = createClient(opts, testRuntime());
    const secondIds = crashLoop(second, 3);
    const other = second.captureException(new TypeError('elsewhere'));
    await second.close();
    expect(firstIds.every((id) => id !== null)).toBe(true);
    expect(secondIds.map((id) => id !== null)).toEqual([true, false, false]);
    expect(other).not.toBeNull();
    expect(readQueued(dir)).toHaveLength(4);
  });

  it('keeps the queue within maxQueueFiles, dropping the oldest', async () => {
    const client = createClient(
      testOptions(NOWHERE, dir, { maxQueueFiles: 2, maxReportsPerFingerprint: 100 }),
      testRuntime(),
    );
    for (const m of ['1', '2', '3', '4']) client.captureException(new Error(m));
    await client.close();
    expect(readQueued(dir).map((e) => e.counter)).toEqual([3, 4]);
  });

  it('stores a random install id once and sends it with crash reports by default', async () => {
    const a = createClient(testOptions(NOWHERE, dir), testRuntime());
    a.captureException(new Error('x'));
    await a.close();
    const b = createClient(testOptions(NOWHERE, dir, { installId: true }), testRuntime());
    b.captureException(new Error('y'));
    await b.close();
    const stored = readFileSync(join(dir, 'install-id'), 'utf8').trim();
    expect(stored).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(readQueued(dir).map((e) => (e.body as unknown as CrashReport).installId)).toEqual([stored, stored]);
  });

  it('sends no installId and stores none when installId is false', async () => {
    const client = createClient(testOptions(NOWHERE, dir, { installId: false }), testRuntime());
    client.captureException(new Error('x'));
    await client.close();
    expect(readQueued(dir)[0]?.body).not.toHaveProperty('installId');
    expect(existsSync(join(dir, 'install-id'))).toBe(false);
  });
});

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '../src/client.ts';
import { claimDeadMarkers, isWriterAlive, markerPath, parseMarker, writeMarker } from '../src/session-markers.ts';
import { createSessionBook } from '../src/sessions.ts';
import type { ProcessIdentity, ProcessProbe } from '../src/session-markers.ts';
import { startFakeIngest } from './helpers/fake-ingest.ts';
import { makeTempDir, PRODUCT_KEY, removeDir, SECRET, testOptions, testRuntime } from './helpers/env.ts';

const SELF: ProcessIdentity = { pid: 4242, startTicks: '1000', bootId: 'boot-a' };

function probe(running: Record<number, string | null>): ProcessProbe {
  return {
    self: () => SELF,
    exists: (pid) => pid in running,
    startTicksOf: (pid) => running[pid] ?? null,
  };
}

describe('isWriterAlive', () => {
  const cases: Array<[string, ProcessIdentity, Record<number, string | null>, boolean]> = [
    ['a running process with the same start time', { pid: 7, startTicks: '500', bootId: 'boot-a' }, { 7: '500' }, true],
    ['a pid that no longer exists', { pid: 7, startTicks: '500', bootId: 'boot-a' }, {}, false],
    ['a pid reused by a process started later', { pid: 7, startTicks: '500', bootId: 'boot-a' }, { 7: '900' }, false],
    ['a writer from before a reboot', { pid: 7, startTicks: '500', bootId: 'boot-b' }, { 7: '500' }, false],
    [
      'our own pid held by an earlier process (containers)',
      { pid: 4242, startTicks: '12', bootId: 'boot-a' },
      {},
      false,
    ],
    ['this very process (another client in it)', { ...SELF }, {}, true],
    [
      'a writer that could not name its pid (Java off Linux)',
      { pid: null, startTicks: null, bootId: 'boot-a' },
      {},
      true,
    ],
    [
      'a running pid when start times are unknown (no /proc)',
      { pid: 7, startTicks: null, bootId: null },
      { 7: null },
      true,
    ],
  ];
  it.each(cases)('%s', (_name, writer, running, alive) => {
    expect(isWriterAlive(writer, SELF, probe(running))).toBe(alive);
  });
});

describe('sessions of one client (in-process)', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('keeps a marker while the session runs, updates it on the first handled error, and removes it at the end', async () => {
    const client = createClient(testOptions('http://127.0.0.1:9', dir, { autoSessionTracking: true }), testRuntime());
    const marker = markerPath(dir, String(client.clientId));
    expect(existsSync(marker)).toBe(true);
    client.captureException(new Error('handled'));
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({ errored: true });
    client.endSession();
    expect(existsSync(marker)).toBe(false);
    client.startSession();
    expect(existsSync(marker)).toBe(true);
    await client.close();
    expect(existsSync(marker)).toBe(false);
  });

  it('makes the queue folder for the marker when nothing else has (installId: false)', async () => {
    const queueDir = join(dir, 'not-yet');
    const client = createClient(
      testOptions('http://127.0.0.1:9', queueDir, { autoSessionTracking: true, installId: false }),
      testRuntime(),
    );
    expect(existsSync(markerPath(queueDir, String(client.clientId)))).toBe(true);
    await client.close();
  });

  it('drops unreadable markers and leaves live ones alone', async () => {
    writeFileSync(join(dir, 'session-GarbageMarker01.json'), '{"v":1');
    const live = createClient(testOptions('http://127.0.0.1:9', dir, { autoSessionTracking: true }), testRuntime());
    const other = createClient(testOptions('http://127.0.0.1:9', dir, { autoSessionTracking: true }), testRuntime());
    expect(
      readdirSync(dir)
        .filter((n) => n.startsWith('session-'))
        .sort(),
    ).toEqual([`session-${String(live.clientId)}.json`, `session-${String(other.clientId)}.json`].sort());
    await other.close();
    await live.close();
  });

  it('after a 404 on /v1/sessions (an older ingest) says so once, not as a wrong URL, drops it, sends no more sessions and flush() stays true', async () => {
    const ingest = await startFakeIngest({
      secret: SECRET,
      productKey: PRODUCT_KEY,
      script: [{ status: 404, body: { error: { code: 'not_found' } } }],
    });
    try {
      const runtime = testRuntime({ env: { NODE_DEBUG: 'dumpcatcher', DUMPCATCHER_CONFIG: '/nonexistent' } });
      const client = createClient(testOptions(ingest.url, dir, { autoSessionTracking: true }), runtime);
      client.endSession();
      expect(await client.flush(2000)).toBe(true);
      client.startSession();
      client.endSession();
      client.captureException(new Error('still reported'));
      expect(await client.flush(2000)).toBe(true);
      await client.close();
      expect(ingest.requests.map((r) => `${r.path} ${r.answeredStatus}`)).toEqual([
        '/v1/sessions 404',
        '/v1/crashes 202',
      ]);
      const refusals = runtime.stderr.filter((line) => line.includes('does not know /v1/sessions'));
      expect(refusals).toHaveLength(1);
      // An older server, not a wrong URL.
      expect(runtime.stderr.filter((line) => line.includes('is this the ingest URL?'))).toEqual([]);
      expect(existsSync(markerPath(dir, String(client.clientId)))).toBe(false);
    } finally {
      await ingest.close();
    }
  });
});

describe('sessions and environments', () => {
  it("writes the environment into its marker, and reports a dead run's sessions in that run's environment", () => {
    const dir = makeTempDir();
    try {
      const owner = { appName: 'cli', appVersion: '2.3.0', environment: 'staging' };
      writeMarker(
        dir,
        'writer-staging-1',
        owner,
        { startedMs: Date.UTC(2026, 11, 7, 10, 15), errored: false, backgroundSinceMs: null },
        [],
        { pid: 7, startTicks: '500', bootId: 'boot-a' },
        false,
      );
      expect(JSON.parse(readFileSync(markerPath(dir, 'writer-staging-1'), 'utf8'))).toMatchObject({
        environment: 'staging',
      });
      // The writer is gone: its session is found, with its own environment.
      const found = claimDeadMarkers(dir, 'reader-production', SELF, probe({}));
      expect(found.sessions).toMatchObject([{ environment: 'staging' }]);
      const book = createSessionBook({ appName: 'cli', appVersion: '2.3.0', environment: 'production' });
      book.start(Date.UTC(2026, 11, 7, 11, 0));
      expect(book.found(found.sessions)).toEqual([
        {
          app: { name: 'cli', version: '2.3.0' },
          environment: 'staging',
          sessions: [{ started: '2026-12-07T10:00:00Z', ok: 0, errored: 0, crashed: 0, abnormal: 1 }],
        },
      ]);
    } finally {
      removeDir(dir);
    }
  });

  it('reads a marker that names no environment (an older SDK) as production', () => {
    const parsed = parseMarker(
      JSON.stringify({
        v: 1,
        started: '2026-12-07T10:15:00Z',
        app: { name: 'cli', version: '1' },
        errored: false,
        writer: { pid: 7 },
      }),
    );
    expect(parsed?.session.environment).toBe('production');
  });
});

import { createClient } from '../src/client.ts';
import { makeTempDir, removeDir, testOptions, testRuntime, throwSame } from './helpers/env.ts';

// Nothing is ever sent here: these tests look at what the SDK says when it drops a report.
const NOWHERE = 'http://127.0.0.1:9';

describe('no silent drop', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('says once, without debug mode, that the client-side limiter dropped crash reports', async () => {
    const runtime = testRuntime();
    const client = createClient(testOptions(NOWHERE, dir, { maxReportsPerFingerprint: 2 }), runtime);
    const ids = Array.from({ length: 5 }, () => client.captureException(throwSame()));
    expect(ids.filter((id) => id === null)).toHaveLength(3);
    expect(runtime.stderr).toEqual([
      '[dumpcatcher] a crash report was dropped by the client-side limiter (more than 2 per 3600 s with one fingerprint)\n',
    ]);
    await client.close();
  });

  it('says it every time in debug mode', async () => {
    const runtime = testRuntime({ env: { DUMPCATCHER_CONFIG: '/nonexistent', NODE_DEBUG: 'dumpcatcher' } });
    const client = createClient(testOptions(NOWHERE, dir, { maxReportsPerFingerprint: 1 }), runtime);
    for (let i = 0; i < 4; i++) client.captureException(throwSame());
    expect(runtime.stderr.filter((l) => l.includes('client-side limiter'))).toHaveLength(3);
    await client.close();
  });

  it('says once that a full queue dropped unsent reports, and flush() says false', async () => {
    const runtime = testRuntime();
    const client = createClient(testOptions(NOWHERE, dir, { maxQueueFiles: 2 }), runtime);
    for (let i = 0; i < 5; i++) client.captureException(new Error(`report ${i}`));
    expect(runtime.stderr).toEqual([
      '[dumpcatcher] queue full: 1 unsent report(s) dropped (maxQueueFiles 2, maxQueueBytes 10485760)\n',
    ]);
    expect(await client.flush(200)).toBe(false);
    await client.close();
  });

  it('says nothing of an opt-out without debug mode, and names it in debug mode', async () => {
    const quiet = testRuntime({ env: { DUMPCATCHER_CONFIG: '/nonexistent', DO_NOT_TRACK: '1' } });
    expect(createClient(testOptions(NOWHERE, dir), quiet).mode).toBe('off');
    expect(quiet.stderr).toEqual([]);
    const told = testRuntime({ env: { DUMPCATCHER_CONFIG: '/nonexistent', DO_NOT_TRACK: '1' } });
    expect(createClient(testOptions(NOWHERE, dir, { debug: true }), told).mode).toBe('off');
    expect(told.stderr.join('')).toMatch(/opted out by DO_NOT_TRACK/);
  });

  it('says a missing secret without debug mode, and flush() says false', async () => {
    const runtime = testRuntime();
    const client = createClient({ ...testOptions(NOWHERE, dir), secret: '' }, runtime);
    expect(client.mode).toBe('off');
    expect(runtime.stderr).toEqual(['[dumpcatcher] SDK disabled, nothing will be reported: secret is required\n']);
    expect(await client.flush(100)).toBe(false);
  });
});

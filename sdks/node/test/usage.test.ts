import { createClient } from '../src/client.ts';
import { createMetricRegistry, processLocale } from '../src/metrics.ts';
import type { UsageReport } from '../src/types.ts';
import { startFakeIngest } from './helpers/fake-ingest.ts';
import { makeTempDir, PRODUCT_KEY, removeDir, SECRET, testOptions, testRuntime } from './helpers/env.ts';

describe('metric registry', () => {
  it('holds exactly the built-in metrics of docs/sdks.md', () => {
    expect(createMetricRegistry().names().sort()).toEqual(
      [
        'app.version',
        'cpu.count',
        'locale',
        'os.arch',
        'os.name',
        'os.version',
        'runtime.name',
        'runtime.version',
      ].sort(),
    );
  });

  it('collects built-ins with the right kinds of values', () => {
    const metrics = createMetricRegistry().collect({ appName: 'a', appVersion: '9.9.9' });
    expect(metrics['app.version']).toBe('9.9.9');
    expect(metrics['runtime.name']).toBe('node');
    expect(metrics['runtime.version']).toBe(process.versions.node);
    expect(metrics['os.name']).toBe(process.platform === 'win32' ? 'windows' : process.platform);
    expect(metrics['os.arch']).toBe(process.arch);
    expect(typeof metrics['cpu.count']).toBe('number');
    expect(metrics['cpu.count']).toBeGreaterThanOrEqual(1);
  });

  it('refuses invalid names and leaves out collectors that throw or return nothing or non-finite numbers', () => {
    const registry = createMetricRegistry();
    expect(registry.define('Bad Name', () => 1)).toBe(false);
    expect(registry.define('x'.repeat(65), () => 1)).toBe(false);
    expect(registry.define('jobs.done', () => 3)).toBe(true);
    expect(registry.define('feature.dark_mode', () => true)).toBe(true);
    expect(
      registry.define('broken', () => {
        throw new Error('no');
      }),
    ).toBe(true);
    expect(registry.define('empty', () => undefined)).toBe(true);
    expect(registry.define('nan', () => NaN)).toBe(true);
    const errors: string[] = [];
    const metrics = registry.collect({ appName: 'a', appVersion: '1' }, (name) => errors.push(name));
    expect(metrics).toMatchObject({ 'jobs.done': 3, 'feature.dark_mode': true });
    expect(Object.keys(metrics)).not.toEqual(expect.arrayContaining(['broken']));
    expect('empty' in metrics || 'nan' in metrics || 'broken' in metrics).toBe(false);
    expect(errors).toEqual(['broken']);
  });

  it('reads the locale as a BCP 47 tag from the environment (the cases are in locale-v1.json)', () => {
    expect(processLocale({ LANG: 'de_DE.UTF-8' })).toBe('de-DE');
    expect(processLocale({ LANG: 'C.UTF-8' })).toBe('C');
    // Without a variable, Intl's default, also as a BCP 47 tag.
    expect(processLocale({})).toMatch(/^(?:C|[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|\d{3}))?)$/);
  });
});

describe('reportUsage', () => {
  it('enqueues one usage report with every metric to /v1/usage, not limited by the crash limiter', async () => {
    const dir = makeTempDir();
    const ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
    try {
      const registry = createMetricRegistry();
      const client = createClient(
        testOptions(ingest.url, dir, { installId: true, label: 'nightly', maxReportsPerFingerprint: 1, sampleRate: 0 }),
        testRuntime(),
        registry,
      );
      expect(client.defineMetric('jobs.done', () => 12)).toBe(true);
      const ids = [client.reportUsage(), client.reportUsage()];
      expect(ids.every((id) => typeof id === 'string')).toBe(true);
      expect(await client.flush(3000)).toBe(true);
      await client.close();
      expect(ingest.requests.map((r) => [r.path, r.answeredStatus])).toEqual([
        ['/v1/usage', 202],
        ['/v1/usage', 202],
      ]);
      const body = ingest.requests[0]?.body as unknown as UsageReport;
      expect(body.reportId).toBe(ids[0]);
      expect(body.app).toEqual({ name: 'node-sdk-test', version: '1.2.3' });
      expect(body.label).toBe('nightly');
      expect(body.installId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(body.metrics).toMatchObject({ 'jobs.done': 12, 'app.version': '1.2.3', 'runtime.name': 'node' });
      expect(Object.keys(body)).toEqual(expect.arrayContaining(['reportId', 'occurredAt', 'app', 'metrics']));
    } finally {
      await ingest.close();
      removeDir(dir);
    }
  });
});

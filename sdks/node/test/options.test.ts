import { join } from 'node:path';
import { defaultQueueDir, findOptionProblems, OPTION_DEFAULTS, resolveSettings } from '../src/options.ts';
import type { DumpcatcherOptions } from '../src/options.ts';

const BASE: DumpcatcherOptions = {
  endpoint: 'https://ingest.example.com/ingest',
  productKey: 'pk_test_0123456789',
  secret: 'sk_test_secret',
  appName: 'tool',
  appVersion: '1.0.0',
};

const withOptions = (extra: Record<string, unknown>): DumpcatcherOptions =>
  ({ ...BASE, ...extra }) as unknown as DumpcatcherOptions;

describe('findOptionProblems', () => {
  it('finds none in complete options', () => {
    expect(findOptionProblems(BASE, {})).toEqual([]);
  });

  it('names every missing or empty required option', () => {
    expect(findOptionProblems(withOptions({ endpoint: undefined, secret: '', appName: 3 }), {})).toEqual([
      'endpoint is required',
      'secret is required',
      'appName is required',
    ]);
  });

  it.each([
    ['a short product key', { productKey: 'pk' }, 'productKey must match [A-Za-z0-9_-]{8,64}'],
    ['a product key with a slash', { productKey: 'pk/01234567' }, 'productKey must match [A-Za-z0-9_-]{8,64}'],
    ['an endpoint that is not a URL', { endpoint: 'ingest.example.com' }, 'endpoint is not a URL'],
    ['an ftp endpoint', { endpoint: 'ftp://ingest.example.com' }, 'endpoint must be http(s)'],
    ['sampleRate above 1', { sampleRate: 1.5 }, 'sampleRate must be a number from 0 to 1'],
    ['sampleRate as text', { sampleRate: '0.5' }, 'sampleRate must be a number from 0 to 1'],
    ['a negative number option', { maxQueueFiles: -1 }, 'maxQueueFiles must be a non-negative number'],
    ['a NaN number option', { requestTimeoutMs: Number.NaN }, 'requestTimeoutMs must be a non-negative number'],
    ['a number option as text', { shutdownTimeoutMs: '100' }, 'shutdownTimeoutMs must be a non-negative number'],
  ])('refuses %s', (_name, extra, problem) => {
    expect(findOptionProblems(withOptions(extra), {})).toEqual([problem]);
  });
});

describe('resolveSettings', () => {
  it('uses the defaults for options left out', () => {
    expect(resolveSettings(BASE)).toEqual(OPTION_DEFAULTS);
  });

  it('has the defaults docs/sdks.md names', () => {
    expect(OPTION_DEFAULTS).toMatchObject({ sampleRate: 1, maxQueueFiles: 100, maxQueueBytes: 10 * 1024 * 1024 });
    expect(OPTION_DEFAULTS).toMatchObject({ shutdownTimeoutMs: 2000, requestTimeoutMs: 10000 });
  });

  it('keeps given values, a sampleRate of 0 included', () => {
    const settings = resolveSettings(withOptions({ sampleRate: 0, maxQueueFiles: 5, requestTimeoutMs: 250 }));
    expect(settings).toMatchObject({ sampleRate: 0, maxQueueFiles: 5, requestTimeoutMs: 250 });
  });

  it('takes a number option of 0 as its default', () => {
    expect(resolveSettings(withOptions({ maxQueueBytes: 0 })).maxQueueBytes).toBe(OPTION_DEFAULTS.maxQueueBytes);
  });
});

describe('defaultQueueDir', () => {
  const key = 'pk_test_0123456789';
  it.each([
    ['XDG_CACHE_HOME when set', { XDG_CACHE_HOME: '/var/cache/u' }, 'linux', join('/var/cache/u', 'dumpcatcher', key)],
    ['~/.cache otherwise', {}, 'darwin', join('/home/u', '.cache', 'dumpcatcher', key)],
    [
      'LOCALAPPDATA on Windows',
      { LOCALAPPDATA: 'C:/Users/u/AppData/Local' },
      'win32',
      join('C:/Users/u/AppData/Local', 'dumpcatcher', key),
    ],
    ['~/.cache on Windows without LOCALAPPDATA', {}, 'win32', join('/home/u', '.cache', 'dumpcatcher', key)],
  ] as const)('uses %s', (_name, env, platform, expected) => {
    expect(defaultQueueDir({ env, homeDir: '/home/u', platform }, key)).toBe(expected);
  });
});

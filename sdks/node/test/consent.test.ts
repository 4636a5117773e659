import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '../src/client.ts';
import type { DumpcatcherOptions } from '../src/options.ts';
import type { ClientRuntime } from '../src/runtime.ts';
import { startFakeIngest } from './helpers/fake-ingest.ts';
import type { FakeIngest } from './helpers/fake-ingest.ts';
import { allFiles, makeTempDir, PRODUCT_KEY, removeDir, SECRET, testOptions, testRuntime } from './helpers/env.ts';

describe('consent: opted out means zero requests and zero files', () => {
  let dir: string;
  let ingest: FakeIngest;
  beforeEach(async () => {
    dir = makeTempDir();
    ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
  });
  afterEach(async () => {
    await ingest.close();
    removeDir(dir);
  });

  const configFile = (content: string): string => {
    const path = join(dir, 'config', 'config.json');
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(path, content);
    return path;
  };

  async function exercise(
    options: Partial<DumpcatcherOptions>,
    runtime: Partial<ClientRuntime>,
  ): Promise<{ mode: string }> {
    const queueDir = join(dir, 'queue');
    const client = createClient(
      testOptions(ingest.url, queueDir, { autoSessionTracking: true, ...options }),
      testRuntime(runtime),
    );
    client.captureException(new Error('should not leave the machine'));
    client.reportUsage();
    const mode = client.mode;
    await client.flush(300);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.close();
    return { mode };
  }

  const cases: Array<[string, Partial<DumpcatcherOptions>, () => Partial<ClientRuntime>]> = [
    ['enabled: false', { enabled: false }, () => ({})],
    ['DO_NOT_TRACK=1', {}, () => ({ env: { DO_NOT_TRACK: '1', DUMPCATCHER_CONFIG: '/nonexistent' } })],
    ['DO_NOT_TRACK=true', {}, () => ({ env: { DO_NOT_TRACK: 'true', DUMPCATCHER_CONFIG: '/nonexistent' } })],
    ['DUMPCATCHER_DISABLED=1', {}, () => ({ env: { DUMPCATCHER_DISABLED: '1', DUMPCATCHER_CONFIG: '/nonexistent' } })],
    [
      'config file {"enabled":false} via DUMPCATCHER_CONFIG',
      {},
      () => ({ env: { DUMPCATCHER_CONFIG: configFile('{"enabled":false}') } }),
    ],
    [
      'config file {"enabled":false} in $XDG_CONFIG_HOME/dumpcatcher/',
      {},
      () => {
        mkdirSync(join(dir, 'xdg', 'dumpcatcher'), { recursive: true });
        writeFileSync(join(dir, 'xdg', 'dumpcatcher', 'config.json'), '{"enabled": false}');
        return { env: { XDG_CONFIG_HOME: join(dir, 'xdg') } };
      },
    ],
  ];

  it.each(cases)('%s', async (_name, options, runtime) => {
    const result = await exercise(options, runtime());
    expect(result.mode).toBe('off');
    expect(ingest.requests).toHaveLength(0);
    expect(allFiles(join(dir, 'queue'))).toEqual([]);
  });

  it.each([
    ['DO_NOT_TRACK=0', { DO_NOT_TRACK: '0' }],
    ['DO_NOT_TRACK=false', { DO_NOT_TRACK: 'false' }],
    ['DO_NOT_TRACK empty', { DO_NOT_TRACK: '' }],
  ])('%s does not opt out (control)', async (_name, env) => {
    const result = await exercise({}, { env: { ...env, DUMPCATCHER_CONFIG: configFile('not json') } });
    expect(result.mode).toBe('live');
    expect(ingest.requests.map((r) => r.path).sort()).toEqual(['/v1/crashes', '/v1/sessions', '/v1/usage']);
  });
});

describe('debug mode', () => {
  it('prints each scrubbed report to stderr and sends and writes nothing', async () => {
    const dir = makeTempDir();
    const ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
    try {
      const runtime = testRuntime();
      const client = createClient(
        testOptions(ingest.url, join(dir, 'queue'), { debug: true, installId: true }),
        runtime,
      );
      expect(client.mode).toBe('debug');
      const id = client.captureException(new Error(`mail alice@example.com, key ${SECRET}`));
      client.reportUsage();
      expect(await client.flush(300)).toBe(true);
      await client.close();
      const out = runtime.stderr.join('');
      expect(out).toContain('would send POST /v1/crashes');
      expect(out).toContain('would send POST /v1/usage');
      expect(out).toContain(`"reportId": "${String(id)}"`);
      expect(out).toContain('mail <email>, key <redacted>');
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain('alice@example.com');
      expect(ingest.requests).toHaveLength(0);
      expect(allFiles(join(dir, 'queue'))).toEqual([]);
    } finally {
      await ingest.close();
      removeDir(dir);
    }
  });
});

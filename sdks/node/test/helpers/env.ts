import { EventEmitter } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { DumpcatcherOptions } from '../../src/options.ts';
import type { ClientRuntime } from '../../src/runtime.ts';

export const SECRET = 'test-secret-Zq81-not-for-production';
export const PRODUCT_KEY = 'pk_test_node_sdk';

/** A temporary folder, removed by the returned cleanup. */
export function makeTempDir(prefix = 'dc-node-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Report files in a queue folder (not limiter.json, install-id, *.tmp). */
export function queueFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => /^\d+-[A-Za-z0-9_-]+-\d+\.json$/.test(n))
      .sort();
  } catch {
    return [];
  }
}

/** Everything in a folder, or [] when it does not exist. */
export function allFiles(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A runtime for in-process tests: clean env (no opt-out, no user config), captured stderr, a fake process. */
export function testRuntime(
  overrides: Partial<ClientRuntime> = {},
): ClientRuntime & { stderr: string[]; proc: EventEmitter } {
  const stderr: string[] = [];
  const proc = new EventEmitter();
  return {
    env: { DUMPCATCHER_CONFIG: join(tmpdir(), 'dumpcatcher-no-such-config.json') },
    now: () => Date.now(),
    random: () => 0,
    homeDir: '/home/alice-example',
    userName: 'alice',
    platform: 'linux',
    writeStderr: (text) => {
      stderr.push(text);
    },
    process: proc as unknown as NodeJS.Process,
    // No real child from an in-process test; handoff.test.ts records the calls.
    spawnExitSender: () => false,
    // Notices said once per process: each test client starts with none said.
    noticesSaid: new Set(),
    stderr,
    proc,
    ...overrides,
  };
}

/** Options for a client talking to `endpoint` with its queue in `queueDir` (no automatic session). */
export function testOptions(
  endpoint: string,
  queueDir: string,
  extra: Partial<DumpcatcherOptions> = {},
): DumpcatcherOptions {
  return {
    endpoint,
    productKey: PRODUCT_KEY,
    secret: SECRET,
    appName: 'node-sdk-test',
    appVersion: '1.2.3',
    queueDir,
    captureUncaught: false,
    // Sessions add a report at close; the suites about sessions turn them on.
    autoSessionTracking: false,
    ...extra,
  };
}

/** An Error thrown from the same place every call: the same five innermost frames, as in a crash loop. */
export function throwSame(): Error {
  try {
    throw new Error('same place');
  } catch (e) {
    return e as Error;
  }
}

/** A loopback port with nothing listening on it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `predicate` until true or the timeout passes. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

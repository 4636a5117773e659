import { join } from 'node:path';
import { buildDashboard, serveDashboard } from '../../scripts/lib/dashboard';
import { startStack, ROOT } from '../../scripts/lib/stack';

/**
 * Starts the real emulators and functions once for the emulator suites. Anything that cannot
 * start fails the run with a message saying what is missing; nothing is skipped.
 */
export default async function globalSetup(): Promise<void> {
  const logDir = join(ROOT, '.local', 'test-logs', String(process.pid));
  const stack = await startStack({
    logDir,
    // The suites POST the rollup when they need a run and assert what each run did (alerts sent,
    // outbox left); runs the ingest asked for would land between their steps. The trigger itself
    // is tested by test/emulator/rollup-trigger.test.ts on a stack of its own.
    rollupTrigger: 'off',
    env: {
      DUMPCATCHER_RATE_PER_CLIENT: '600',
      DUMPCATCHER_RATE_PER_PRODUCT: '60000',
      DUMPCATCHER_PRODUCT_CACHE_SECONDS: '1',
      // Tests run the rollup right after their last write; no sleep for the in-flight lag.
      DUMPCATCHER_ROLLUP_LAG_SECONDS: '0',
      // Only a prefix for the links alerts carry (the test dashboard's port is picked later); never contacted.
      DUMPCATCHER_DASHBOARD_URL: 'https://dashboard.example.invalid',
    },
  });
  let dashboard;
  try {
    await buildDashboard({ quiet: true });
    dashboard = await serveDashboard({
      apiUrl: stack.apiUrl,
      projectId: stack.projectId,
      authEmulatorHost: stack.authEmulatorHost,
      ingestUrl: stack.ingestUrl,
    });
  } catch (err) {
    await stack.stop();
    throw err;
  }
  const stopAll = async () => {
    await dashboard.stop();
    await stack.stop();
  };
  (globalThis as { __DUMPCATCHER_STACK__?: unknown }).__DUMPCATCHER_STACK__ = { stop: stopAll };
  // Jest skips globalTeardown when it is interrupted or stopped: stop the emulators anyway.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  process.env.GCLOUD_PROJECT = stack.projectId;
  process.env.FIRESTORE_EMULATOR_HOST = stack.firestoreEmulatorHost;
  process.env.FIREBASE_AUTH_EMULATOR_HOST = stack.authEmulatorHost;
  process.env.DUMPCATCHER_INGEST_URL = stack.ingestUrl;
  process.env.DUMPCATCHER_API_URL = stack.apiUrl;
  process.env.DUMPCATCHER_ROLLUP_URL = stack.rollupUrl;
  // The functions' own processes, for suites that watch their memory.
  for (const fn of stack.functions) process.env[`DUMPCATCHER_${fn.target.toUpperCase()}_PID`] = String(fn.pid);
  process.env.DUMPCATCHER_TEST_LOG_DIR = logDir;
  process.env.DUMPCATCHER_DASHBOARD_URL = dashboard.url;
}

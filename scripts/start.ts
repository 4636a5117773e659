/**
 * `npm start`: the local stack. Starts the Firestore and Auth emulators, serves the functions
 * with the Functions Framework, creates a demo product, prints how to send a first crash and
 * writes the same facts to `.local/stack.json`. Ctrl-C (SIGINT) or SIGTERM stops everything.
 */
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { buildDashboard, serveDashboard, type DashboardServer } from './lib/dashboard';
import { signInWithGoogle } from './lib/id-token';
import { LOCAL_ROLLUP_INTERVAL_SECONDS, scheduleRollups } from './lib/rollup-schedule';
import { seedProduct } from './lib/seed';
import { surviveUnexpectedErrors } from './lib/survive';
import { LOCAL_ALLOWED_USERS, ROOT, startStack, type Stack } from './lib/stack';

const LOCAL_DIR = join(ROOT, '.local');
const DEMO_EMAIL = 'demo@example.com';
const STACK_FILE = join(LOCAL_DIR, 'stack.json');

function emulatorPorts(): { firestore: number; auth: number } {
  const config = JSON.parse(readFileSync(join(ROOT, 'firebase.json'), 'utf8')) as {
    emulators: { firestore: { port: number }; auth: { port: number } };
  };
  return { firestore: config.emulators.firestore.port, auth: config.emulators.auth.port };
}

let stack: Stack | undefined;
let dashboard: DashboardServer | undefined;
/** The dashboard's local port (Hosting serves it in production). */
const DASHBOARD_PORT = Number(process.env.DUMPCATCHER_DASHBOARD_PORT ?? 8084);

async function main(): Promise<void> {
  mkdirSync(LOCAL_DIR, { recursive: true });
  const ports = emulatorPorts();
  console.log('Starting the Cloud Firestore emulator, the Auth emulator and the functions…');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack…`);
    await dashboard?.stop();
    await stack?.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  stack = await startStack({
    logDir: join(LOCAL_DIR, 'logs'),
    ports: { firestore: ports.firestore, auth: ports.auth, ingest: 8081, api: 8082, rollup: 8083 },
    // Alerts link issues to the local dashboard, served below on its fixed port.
    env: { DUMPCATCHER_DASHBOARD_URL: `http://127.0.0.1:${DASHBOARD_PORT}` },
  });
  process.env.FIRESTORE_EMULATOR_HOST = stack.firestoreEmulatorHost;
  const app = getApps()[0] ?? initializeApp({ projectId: stack.projectId });
  // The demo product belongs to a real (emulated) Google user, so the api shows it to them.
  const demoUser = await signInWithGoogle(stack.authEmulatorHost, { email: DEMO_EMAIL, name: 'Demo Developer' });
  const demoProduct = await seedProduct(getFirestore(app), { name: 'Demo product', ownerUid: demoUser.localId });

  await buildDashboard({ quiet: true });
  dashboard = await serveDashboard({
    port: DASHBOARD_PORT,
    apiUrl: stack.apiUrl,
    projectId: stack.projectId,
    authEmulatorHost: stack.authEmulatorHost,
    ingestUrl: stack.ingestUrl,
  });

  const { functions: _functions, functionEnv: _env, stop: _stop, ...info } = stack;
  const facts = {
    ...info,
    dashboardUrl: dashboard.url,
    demoProduct,
    demoUser: { email: DEMO_EMAIL, uid: demoUser.localId },
  };
  writeFileSync(STACK_FILE, JSON.stringify(facts, null, 2) + '\n');

  console.log(`
Dumpcatcher is running locally (logs in .local/logs/).

Dashboard ${dashboard.url}  (open it and sign in as ${DEMO_EMAIL})

  Ingest URL     ${stack.ingestUrl}
  API URL        ${stack.apiUrl} (docs/api.md)
  Demo user      ${DEMO_EMAIL}, owner of the demo product; an ID token for the api:
                 TOKEN=$(npx tsx scripts/get-id-token.ts ${DEMO_EMAIL})
  Sign-in        verified Google addresses ${LOCAL_ALLOWED_USERS} (DUMPCATCHER_ALLOWED_USERS)
  Rollup URL     ${stack.rollupUrl} (POSTed a few seconds after reports arrive, and every ${LOCAL_ROLLUP_INTERVAL_SECONDS} s)
  Product key    ${demoProduct.productKey}
  Secret         ${demoProduct.secret}
  Firestore      ${stack.firestoreEmulatorHost} (emulator, with firestore.rules)
  Auth           ${stack.authEmulatorHost} (emulator)
  Facts as JSON  .local/stack.json

Send a signed crash from another terminal:

  npm run send-crash

or by hand, following docs/protocol.md (the signature is an HMAC-SHA256 of nine lines):

  KEY=${demoProduct.productKey} SECRET=${demoProduct.secret} INGEST_URL=${stack.ingestUrl} \\
    npx tsx scripts/send-crash.ts

Press Ctrl-C to stop everything.
`);
  // Started: from here on, an error in the dashboard server or the rollup timer is logged, not fatal.
  surviveUnexpectedErrors((line) => console.error(`npm start: ${line}`));
  scheduleRollups(
    stack.rollupUrl,
    LOCAL_ROLLUP_INTERVAL_SECONDS * 1000,
    (run) => {
      if (run.processed || run.usageProcessed || run.sessionsProcessed)
        console.log(
          `rollup: ${run.processed} crashes, ${run.usageProcessed} usage reports, ${run.sessionsProcessed} sessions reports${run.caughtUp ? '' : ' (more to do)'}`,
        );
    },
    (message) => console.error(message),
  );
}

main().catch(async (err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  await dashboard?.stop();
  await stack?.stop();
  process.exit(1);
});

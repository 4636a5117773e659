import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_PROJECT_ID, startAuthEmulator, startFirestoreEmulator, type Emulator } from './emulators';
import { serveFunction, type ServedFunction } from './functions';
import { freePort } from './processes';

/** The local stack's facts, as written to `.local/stack.json`. */
export interface StackInfo {
  projectId: string;
  firestoreEmulatorHost: string;
  authEmulatorHost: string;
  ingestUrl: string;
  /** Base URL of the `api` function (developers, products and keys; see docs/api.md). */
  apiUrl: string;
  /**
   * URL of the `rollup` function: a POST runs one rollup. The ingest POSTs it a few seconds after
   * reports arrive (the local stand-in for Cloud Tasks); `npm start` also POSTs it every 5 minutes.
   */
  rollupUrl: string;
}

/** A running local stack. */
export interface Stack extends StackInfo {
  functions: ServedFunction[];
  functionEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export const ROOT = join(__dirname, '..', '..');

/** Who may use the local stack's api: the Auth emulator's verified Google users at example.com. */
export const LOCAL_ALLOWED_USERS = '@example.com';

/** Compiles `functions/src` to `lib/` (what the Functions Framework serves). */
export function buildFunctions(): void {
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
}

/**
 * Starts the emulators and serves the functions. Ports come from `ports` (npm start) or are
 * picked free (tests). Whatever fails to start, everything already started is stopped again.
 */
export async function startStack(options: {
  logDir: string;
  ports?: { firestore?: number; auth?: number; ingest?: number; api?: number; rollup?: number };
  env?: NodeJS.ProcessEnv;
  build?: boolean;
  /**
   * `local` (the default): the ingest asks for a rollup run per window of stored reports, as
   * deployed, and the local stand-in for Cloud Tasks POSTs the rollup when it is due. `off`: only
   * whoever POSTs the rollup runs it (the shared test stack, whose suites count their own runs).
   */
  rollupTrigger?: 'local' | 'off';
}): Promise<Stack> {
  mkdirSync(options.logDir, { recursive: true });
  if (options.build !== false) buildFunctions();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    await Promise.allSettled(stops.reverse().map((s) => s()));
  };
  try {
    const [firestore, auth]: [Emulator, Emulator] = await Promise.all([
      startFirestoreEmulator({ logDir: options.logDir, ...(options.ports?.firestore ? { port: options.ports.firestore } : {}) }).then((e) => (stops.push(e.stop), e)),
      startAuthEmulator({ logDir: options.logDir, ...(options.ports?.auth ? { port: options.ports.auth } : {}) }).then((e) => (stops.push(e.stop), e)),
    ]);
    // Picked before any function starts: the ingest is told where the rollup will listen.
    const rollupPort = options.ports?.rollup ?? (await freePort());
    const functionEnv: NodeJS.ProcessEnv = {
      GCLOUD_PROJECT: LOCAL_PROJECT_ID,
      // Every local test user (demo@, alice@, bob@, carol@ and the suites' own) is @example.com.
      DUMPCATCHER_ALLOWED_USERS: LOCAL_ALLOWED_USERS,
      // Local receivers (tests, a developer's own) listen on 127.0.0.1; deployments never set this.
      DUMPCATCHER_ALERTS_ALLOW_LOOPBACK: '1',
      FIRESTORE_EMULATOR_HOST: firestore.host,
      FIREBASE_AUTH_EMULATOR_HOST: auth.host,
      DUMPCATCHER_ROLLUP_TRIGGER: options.rollupTrigger ?? 'local',
      DUMPCATCHER_ROLLUP_URL: `http://127.0.0.1:${rollupPort}`,
      ...options.env,
    };
    const served = await Promise.allSettled([
      serveFunction({ target: 'ingest', env: functionEnv, logDir: options.logDir, ...(options.ports?.ingest ? { port: options.ports.ingest } : {}) }),
      serveFunction({ target: 'api', env: functionEnv, logDir: options.logDir, ...(options.ports?.api ? { port: options.ports.api } : {}) }),
      serveFunction({ target: 'rollup', env: functionEnv, logDir: options.logDir, port: rollupPort }),
    ]);
    for (const result of served) if (result.status === 'fulfilled') stops.push(result.value.stop);
    const [ingest, api, rollup] = served.map((result) => {
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    }) as [ServedFunction, ServedFunction, ServedFunction];
    return {
      projectId: LOCAL_PROJECT_ID,
      firestoreEmulatorHost: firestore.host,
      authEmulatorHost: auth.host,
      ingestUrl: ingest.url,
      apiUrl: api.url,
      rollupUrl: rollup.url,
      functions: [ingest, api, rollup],
      functionEnv,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

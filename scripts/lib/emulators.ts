import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answers, freePort, pidsMatching, startProcess, waitUntil } from './processes';

/** A running emulator: where it listens and how to stop it (null stop: it was already running). */
export interface Emulator {
  host: string;
  stop(): Promise<void>;
}

/** The project id used locally; the `demo-` prefix keeps every Firebase tool offline. */
export const LOCAL_PROJECT_ID = 'demo-dumpcatcher';

const ROOT = join(__dirname, '..', '..');

function have(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', env: process.env });
    return true;
  } catch {
    return false;
  }
}

/** The security rules a deployment has; the local emulator enforces the same file. */
export const RULES_FILE = join(ROOT, 'firestore.rules');

/**
 * Starts the official Cloud Firestore emulator from the Google Cloud CLI with `firestore.rules`
 * loaded (so clients without admin credentials meet the rules a deployment has), or uses
 * FIRESTORE_EMULATOR_HOST when it is already set.
 */
export async function startFirestoreEmulator(options: { port?: number; logDir: string }): Promise<Emulator> {
  const existing = process.env.FIRESTORE_EMULATOR_HOST;
  if (existing) {
    if (!(await answers(`http://${existing}/`))) {
      throw new Error(`FIRESTORE_EMULATOR_HOST=${existing} is set but nothing answers there. Start the emulator or unset the variable.`);
    }
    return { host: existing, stop: async () => {} };
  }
  if (!have('gcloud', ['--version'])) {
    throw new Error(
      'The Cloud Firestore emulator needs the Google Cloud CLI (gcloud), which is not installed.\n' +
        'Install it with the cloud-firestore-emulator component (Debian/Ubuntu: apt-get install google-cloud-cli google-cloud-cli-firestore-emulator; ' +
        'elsewhere: https://cloud.google.com/sdk/docs/install, then `gcloud components install cloud-firestore-emulator`) and Java 17+.',
    );
  }
  if (!have('java', ['-version'])) throw new Error('The Cloud Firestore emulator needs Java 17 or newer on the PATH (e.g. apt-get install openjdk-17-jre-headless).');
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const logFile = join(options.logDir, `firestore-${port}.log`);
  const proc = startProcess('firestore-emulator', 'gcloud', ['emulators', 'firestore', 'start', `--host-port=${host}`, `--rules=${RULES_FILE}`, '--quiet'], {
    logFile,
    // gcloud's Java process can end up outside gcloud's process group; find it by its port.
    extraPids: () => pidsMatching(['cloud-firestore-emulator', `--port=${port}`]),
  });
  try {
    await waitUntil('The Cloud Firestore emulator', async () => (await fetch(`http://${host}/`)).ok, { timeoutMs: 90_000, child: proc.child, logFile });
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\nIs the emulator component installed? (gcloud components install cloud-firestore-emulator, or apt-get install google-cloud-cli-firestore-emulator)`, { cause: err });
  }
  return { host, stop: () => proc.stop() };
}

/**
 * Starts the Firebase Auth emulator from firebase-tools (works offline), or uses
 * FIREBASE_AUTH_EMULATOR_HOST when it is already set.
 */
export async function startAuthEmulator(options: { port?: number; logDir: string; projectId?: string }): Promise<Emulator> {
  const existing = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  if (existing) {
    if (!(await answers(`http://${existing}/`))) throw new Error(`FIREBASE_AUTH_EMULATOR_HOST=${existing} is set but nothing answers there.`);
    return { host: existing, stop: async () => {} };
  }
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const dir = join(options.logDir, `auth-${port}`);
  mkdirSync(dir, { recursive: true });
  const config = {
    emulators: {
      auth: { host: '127.0.0.1', port },
      hub: { host: '127.0.0.1', port: await freePort() },
      logging: { host: '127.0.0.1', port: await freePort() },
      ui: { enabled: false },
      singleProjectMode: true,
    },
  };
  writeFileSync(join(dir, 'firebase.json'), JSON.stringify(config, null, 2));
  const firebase = join(ROOT, 'node_modules', '.bin', 'firebase');
  const logFile = join(options.logDir, `auth-${port}.log`);
  const proc = startProcess('auth-emulator', firebase, ['emulators:start', '--only', 'auth', '--project', options.projectId ?? LOCAL_PROJECT_ID, '--config', join(dir, 'firebase.json')], {
    logFile,
    cwd: dir,
    env: { ...process.env, NO_UPDATE_NOTIFIER: '1', FIREBASE_CLI_DISABLE_UPDATE_CHECK: 'true' },
  });
  try {
    await waitUntil('The Firebase Auth emulator', async () => (await fetch(`http://${host}/`)).ok, { timeoutMs: 90_000, child: proc.child, logFile });
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\nThe Auth emulator comes from the firebase-tools devDependency: run \`npm ci\` first.`, { cause: err });
  }
  return { host, stop: () => proc.stop() };
}

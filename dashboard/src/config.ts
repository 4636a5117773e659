/** What the page needs to know about its deployment, read once at start. */
export interface DashboardConfig {
  /** Firebase web config; Hosting serves it at `/__/firebase/init.json`. */
  firebase: { apiKey: string; authDomain: string; projectId: string };
  /** The ingest function's base URL, for the SDK set-up snippets. */
  ingestUrl: string | null;
  /** Set only by the local stack: sign in through the Auth emulator instead of Google's popup. */
  authEmulatorUrl: string | null;
}

async function getJson(path: string): Promise<unknown> {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  return res.json();
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Loads the Firebase config Hosting serves for the project, and the dashboard's own
 * `/config.json` (written by `npm run deploy`, served by the local stack).
 */
export async function loadConfig(): Promise<DashboardConfig> {
  const [init, own] = (await Promise.all([getJson('/__/firebase/init.json'), getJson('/config.json')])) as [
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  const apiKey = str(init.apiKey);
  const projectId = str(init.projectId);
  if (apiKey === null || projectId === null) throw new Error('/__/firebase/init.json has no apiKey or projectId');
  return {
    firebase: { apiKey, projectId, authDomain: str(init.authDomain) ?? `${projectId}.firebaseapp.com` },
    ingestUrl: str(own.ingestUrl),
    authEmulatorUrl: str(own.authEmulatorUrl),
  };
}

import { ApiConfigSchema } from '../../functions/src/api/schemas';
import { INDEX_SHARDS } from '../../functions/src/shared/paths';

/** One command of a deployment, as argv (never through a shell). */
export interface DeployCommand {
  what: string;
  argv: string[];
  /** A create that finds its resource from an earlier deploy: `skip` it, or run it again with `update`. */
  ifExists?: 'skip' | 'update';
}

/** The Cloud Tasks queue whose tasks run the rollup soon after reports arrive (docs/architecture.md). */
export const ROLLUP_QUEUE = 'dumpcatcher-rollup';

/** What `npm run deploy` is asked to do. */
export interface DeployOptions {
  project: string;
  region: string;
  schedule: string;
  maxInstances: number;
  serviceAccount?: string;
  /** `DUMPCATCHER_ALLOWED_USERS` for the api: comma-separated addresses and `@domain` entries. */
  allowedUsers: string;
}

/** One function's own service account and the project roles it is granted (nothing else). */
export interface RuntimeAccount {
  fn: 'ingest' | 'api' | 'rollup';
  id: string;
  roles: Array<{ role: string; why: string }>;
}

/**
 * The least each function needs. Firestore's IAM roles are database-wide (no per-collection
 * grant exists), so the narrowing is: no function gets Editor, only the two that look users up
 * get Firebase Auth read access, and nothing can change IAM, deploy or read other services.
 */
export const RUNTIME_ACCOUNTS: readonly RuntimeAccount[] = [
  {
    fn: 'ingest',
    id: 'dumpcatcher-ingest',
    roles: [{ role: 'roles/datastore.user', why: 'read productSecrets, write crashes and usage' }],
  },
  {
    fn: 'api',
    id: 'dumpcatcher-api',
    roles: [
      { role: 'roles/datastore.user', why: 'products, productSecrets, invitations, users; issues and stats' },
      { role: 'roles/firebaseauth.viewer', why: 'verifyIdToken(checkRevoked) looks the user up' },
    ],
  },
  {
    fn: 'rollup',
    id: 'dumpcatcher-rollup-run',
    roles: [
      { role: 'roles/datastore.user', why: 'read crashes and usage, write issues, stats, rollupState, users' },
      { role: 'roles/firebaseauth.viewer', why: 'the sweep that finds deleted or disabled users' },
    ],
  },
];

/** The address of a service account in the project. */
export const accountEmail = (id: string, project: string): string => `${id}@${project}.iam.gserviceaccount.com`;

/** Placeholder the dry run shows when it cannot tell who deploys. */
export const UNKNOWN_DEPLOYER = 'YOUR_GCLOUD_ACCOUNT';

const PROJECT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION_PATTERN = /^[a-z]+-[a-z]+[0-9]$/;

/**
 * Reads `--project P --region R [--schedule CRON] [--max-instances N] [--service-account SA]
 * [--allowed-users LIST] [--dry-run]`. Without `--allowed-users`, `deployer()` (the gcloud
 * account) is the only one admitted.
 */
export function parseDeployArgs(
  argv: string[],
  deployer: () => string | null = () => null,
): DeployOptions & { dryRun: boolean } {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(flag + '='))?.slice(flag.length + 1);
  };
  const project = value('--project') ?? process.env.GOOGLE_CLOUD_PROJECT;
  const region = value('--region') ?? 'us-central1';
  if (!project || !PROJECT_PATTERN.test(project)) throw new Error('--project must name a Google Cloud project id (6-30 chars: lowercase letters, digits, hyphens).');
  if (!REGION_PATTERN.test(region)) throw new Error(`--region "${region}" is not a Cloud Functions region (e.g. europe-west1).`);
  const maxInstances = Number(value('--max-instances') ?? 20);
  if (!Number.isInteger(maxInstances) || maxInstances < 1) throw new Error('--max-instances must be a positive whole number.');
  const serviceAccount = value('--service-account');
  const dryRun = argv.includes('--dry-run');
  const base = {
    project,
    region,
    schedule: value('--schedule') ?? '*/5 * * * *',
    maxInstances,
    ...(serviceAccount ? { serviceAccount } : {}),
    dryRun,
  };
  const allowedUsers = value('--allowed-users') ?? deployer();
  // A dry run still shows every command; the placeholder marks where your address would go.
  if (allowedUsers === null && dryRun) return { ...base, allowedUsers: UNKNOWN_DEPLOYER };
  if (allowedUsers === null) {
    throw new Error('could not tell your Google address from `gcloud config get-value account`; pass --allowed-users you@example.com');
  }
  // Checked by the api's own configuration schema, so a deploy never sets a value the api refuses at cold start.
  const parsed = ApiConfigSchema.shape.DUMPCATCHER_ALLOWED_USERS.safeParse(allowedUsers);
  if (!parsed.success || parsed.data.length === 0) {
    const entries = allowedUsers.split(',').map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0);
    const bad = parsed.success ? [] : parsed.error.issues.map((i) => `"${entries[Number(i.path[0])] ?? ''}"`);
    throw new Error(`--allowed-users must list addresses (ann@example.com) or domains (@example.com)${bad.length > 0 ? `; not ${bad.join(', ')}` : ''}.`);
  }
  return { ...base, allowedUsers: parsed.data.join(',') };
}

/**
 * Every command a deployment runs, in order: build, each function's own service account and its
 * roles, the rollup invoker's account, the Cloud Tasks queue the ingest asks for runs on, three
 * functions running as those accounts, the Scheduler job (the backstop), rules and indexes, and
 * the dashboard on Hosting.
 */
export function planDeploy(o: DeployOptions): DeployCommand[] {
  const sa = o.serviceAccount ?? `dumpcatcher-rollup@${o.project}.iam.gserviceaccount.com`;
  const runAs = (name: RuntimeAccount['fn']) => accountEmail(RUNTIME_ACCOUNTS.find((a) => a.fn === name)!.id, o.project);
  const fn = (name: RuntimeAccount['fn'], extra: string[]): DeployCommand => ({
    what: `deploy the ${name} function, running as ${runAs(name)}`,
    argv: [
      'gcloud', 'functions', 'deploy', name, '--gen2', '--runtime=nodejs20', `--region=${o.region}`, `--project=${o.project}`,
      '--source=.', `--entry-point=${name}`, '--trigger-http', '--memory=512Mi', `--service-account=${runAs(name)}`, ...extra,
    ],
  });
  const accounts = RUNTIME_ACCOUNTS.flatMap((a): DeployCommand[] => [
    {
      what: `create the ${a.fn} function's own service account (fails harmlessly if it exists)`,
      argv: ['gcloud', 'iam', 'service-accounts', 'create', a.id, `--project=${o.project}`, `--display-name=Dumpcatcher ${a.fn} function`],
      ifExists: 'skip',
    },
    ...a.roles.map((r) => ({
      what: `grant ${a.id} ${r.role} (${r.why})`,
      argv: [
        'gcloud', 'projects', 'add-iam-policy-binding', o.project, `--member=serviceAccount:${accountEmail(a.id, o.project)}`,
        `--role=${r.role}`, '--condition=None', '--quiet',
      ],
    })),
  ]);
  const rollupUrl = ingestUrlOf(o).replace(/ingest$/, 'rollup');
  const queue = ['--location=' + o.region, `--project=${o.project}`];
  // One run per index shard at once (a window asks for one per shard that received reports,
  // DUMPCATCHER_ROLLUP_FANOUT); a run that finds its shard another run's hands it over to that
  // run, and one refused (409) because it could not is tried again a few seconds later.
  const queueLimits = [`--max-concurrent-dispatches=${INDEX_SHARDS}`, '--max-attempts=5', '--min-backoff=5s', '--max-backoff=60s'];
  const ingestAccount = `serviceAccount:${runAs('ingest')}`;
  const trigger = [
    'DUMPCATCHER_ROLLUP_TRIGGER=cloud-tasks',
    `DUMPCATCHER_ROLLUP_QUEUE=projects/${o.project}/locations/${o.region}/queues/${ROLLUP_QUEUE}`,
    `DUMPCATCHER_ROLLUP_URL=${rollupUrl}`,
    `DUMPCATCHER_ROLLUP_INVOKER=${sa}`,
  ];
  return [
    { what: 'compile functions/src to lib/', argv: ['npm', 'run', 'build'] },
    ...accounts,
    // An account named with --service-account is the owner's own: nothing to create.
    ...(o.serviceAccount
      ? []
      : [
          {
            what: 'create the service account Cloud Scheduler and Cloud Tasks call the rollup as (fails harmlessly if it exists)',
            argv: ['gcloud', 'iam', 'service-accounts', 'create', 'dumpcatcher-rollup', `--project=${o.project}`, '--display-name=Dumpcatcher rollup invoker'],
            ifExists: 'skip' as const,
          },
        ]),
    {
      what: 'enable Cloud Tasks (nothing happens if it is enabled)',
      argv: ['gcloud', 'services', 'enable', 'cloudtasks.googleapis.com', `--project=${o.project}`],
    },
    {
      what: `create the Cloud Tasks queue ${ROLLUP_QUEUE}: the ingest asks it for a rollup run per 5-second window of reports`,
      argv: ['gcloud', 'tasks', 'queues', 'create', ROLLUP_QUEUE, ...queue, ...queueLimits],
      ifExists: 'update',
    },
    {
      what: `let the ingest add tasks to ${ROLLUP_QUEUE} (that queue only)`,
      argv: ['gcloud', 'tasks', 'queues', 'add-iam-policy-binding', ROLLUP_QUEUE, ...queue, `--member=${ingestAccount}`, '--role=roles/cloudtasks.enqueuer'],
    },
    {
      what: `let the ingest name ${sa} as the account its tasks call the rollup as (actAs on that account only)`,
      argv: ['gcloud', 'iam', 'service-accounts', 'add-iam-policy-binding', sa, `--project=${o.project}`, `--member=${ingestAccount}`, '--role=roles/iam.serviceAccountUser'],
    },
    fn('ingest', ['--allow-unauthenticated', `--max-instances=${o.maxInstances}`, '--concurrency=80', '--cpu=1', '--timeout=30s', `--update-env-vars=${trigger.join(',')}`]),
    // `^;^` makes ";" gcloud's list separator, so the commas inside the allow-list survive.
    fn('api', ['--allow-unauthenticated', '--max-instances=10', '--concurrency=80', '--cpu=1', '--timeout=60s', `--update-env-vars=^;^DUMPCATCHER_ALLOWED_USERS=${o.allowedUsers}`]),
    // Alerts link each issue to the dashboard on Hosting (see docs/alerts.md).
    // One request per instance (a run is CPU-bound between commits): a run per shard plus the
    // backstop. 1,000-crash batches: commits take turns, so capacity is batch size / commit
    // time (docs/performance.md#parallel-runs-what-the-rollup-sustains).
    fn('rollup', ['--no-allow-unauthenticated', `--max-instances=${INDEX_SHARDS + 1}`, '--concurrency=1', '--timeout=60s', `--update-env-vars=DUMPCATCHER_DASHBOARD_URL=https://${o.project}.web.app,DUMPCATCHER_ROLLUP_BATCH_SIZE=1000`]),
    {
      what: 'let the service account invoke the rollup function',
      argv: ['gcloud', 'functions', 'add-invoker-policy-binding', 'rollup', `--region=${o.region}`, `--project=${o.project}`, `--member=serviceAccount:${sa}`],
    },
    {
      what: 'schedule the backstop rollup (Cloud Scheduler, OIDC-authenticated POST): daily aggregates, and any run a task missed',
      argv: [
        'gcloud', 'scheduler', 'jobs', 'create', 'http', 'dumpcatcher-rollup', `--location=${o.region}`, `--project=${o.project}`,
        `--schedule=${o.schedule}`, `--uri=${rollupUrl}`, '--http-method=POST',
        `--oidc-service-account-email=${sa}`, '--attempt-deadline=120s',
      ],
      ifExists: 'update',
    },
    {
      what: 'deploy firestore.rules and firestore.indexes.json (composite indexes, field overrides, TTL on expireAt)',
      argv: ['npx', 'firebase', 'deploy', '--only', 'firestore:rules,firestore:indexes', '--project', o.project, '--non-interactive'],
    },
    ...planHosting(o),
  ];
}

/** The ingest's public URL, as SDKs and the dashboard's set-up snippets name it. */
export function ingestUrlOf(o: Pick<DeployOptions, 'project' | 'region'>): string {
  return `https://${o.region}-${o.project}.cloudfunctions.net/ingest`;
}

/** Where `prepare-hosting` writes the Hosting config with this deployment's region (gitignored). */
export const HOSTING_CONFIG_FILE = 'firebase.deploy.json';

/**
 * `firebase.json` with the api rewrite pointed at this deployment's region: Hosting sends
 * `/v1/**` to the `api` function's Cloud Run service, which lives where the functions do.
 */
export function hostingConfigFor(firebaseJson: unknown, region: string): unknown {
  const config = structuredClone(firebaseJson) as {
    hosting?: { rewrites?: Array<{ source: string; run?: { serviceId: string; region?: string } }> };
  };
  const rewrite = config.hosting?.rewrites?.find((r) => r.run?.serviceId === 'api');
  if (rewrite?.run === undefined) throw new Error('firebase.json has no hosting rewrite to the api service');
  rewrite.run.region = region;
  return config;
}

/** The dashboard's `/config.json` in production: where SDKs send reports, no emulator. */
export function dashboardConfigFor(o: Pick<DeployOptions, 'project' | 'region'>): { ingestUrl: string } {
  return { ingestUrl: ingestUrlOf(o) };
}

/** The dashboard's steps: build it, write its config and the Hosting config for this region, deploy Hosting. */
export function planHosting(o: Pick<DeployOptions, 'project' | 'region'>): DeployCommand[] {
  return [
    { what: 'build the dashboard into dashboard/dist (prints its gzipped weight)', argv: ['npm', 'run', 'build:dashboard'] },
    {
      what: `write dashboard/dist/config.json (ingest URL) and ${HOSTING_CONFIG_FILE} (firebase.json with the api rewrite in ${o.region})`,
      argv: ['npx', 'tsx', 'scripts/prepare-hosting.ts', `--project=${o.project}`, `--region=${o.region}`],
    },
    {
      what: 'deploy the dashboard to Firebase Hosting (/v1/** rewritten to the api, SPA fallback, CSP)',
      argv: ['npx', 'firebase', 'deploy', '--only', 'hosting', '--config', HOSTING_CONFIG_FILE, '--project', o.project, '--non-interactive'],
    },
  ];
}

/** A command as a copy-pasteable shell line. */
export function showCommand(c: DeployCommand): string {
  return c.argv.map((a) => (/^[\w@%+=:,./*-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

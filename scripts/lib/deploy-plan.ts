/** One command of a deployment, as argv (never through a shell). */
export interface DeployCommand {
  what: string;
  argv: string[];
}

/** What `npm run deploy` is asked to do. */
export interface DeployOptions {
  project: string;
  region: string;
  schedule: string;
  maxInstances: number;
  serviceAccount?: string;
}

const PROJECT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION_PATTERN = /^[a-z]+-[a-z]+[0-9]$/;

/** Reads `--project P --region R [--schedule CRON] [--max-instances N] [--service-account SA] [--dry-run]`. */
export function parseDeployArgs(argv: string[]): DeployOptions & { dryRun: boolean } {
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
  return {
    project,
    region,
    schedule: value('--schedule') ?? '*/5 * * * *',
    maxInstances,
    ...(serviceAccount ? { serviceAccount } : {}),
    dryRun: argv.includes('--dry-run'),
  };
}

/** Every command a deployment runs, in order: build, three functions, the Scheduler job, rules and indexes. */
export function planDeploy(o: DeployOptions): DeployCommand[] {
  const sa = o.serviceAccount ?? `dumpcatcher-rollup@${o.project}.iam.gserviceaccount.com`;
  const fn = (name: string, extra: string[]): DeployCommand => ({
    what: `deploy the ${name} function`,
    argv: [
      'gcloud', 'functions', 'deploy', name, '--gen2', '--runtime=nodejs20', `--region=${o.region}`, `--project=${o.project}`,
      '--source=.', `--entry-point=${name}`, '--trigger-http', '--memory=512Mi', ...extra,
    ],
  });
  return [
    { what: 'compile functions/src to lib/', argv: ['npm', 'run', 'build'] },
    fn('ingest', ['--allow-unauthenticated', `--max-instances=${o.maxInstances}`, '--concurrency=80', '--cpu=1', '--timeout=30s']),
    fn('api', ['--allow-unauthenticated', '--max-instances=10', '--concurrency=80', '--cpu=1', '--timeout=60s']),
    fn('rollup', ['--no-allow-unauthenticated', '--max-instances=1', '--timeout=60s']),
    {
      what: 'create the rollup service account (fails harmlessly if it exists)',
      argv: ['gcloud', 'iam', 'service-accounts', 'create', 'dumpcatcher-rollup', `--project=${o.project}`, '--display-name=Dumpcatcher rollup scheduler'],
    },
    {
      what: 'let the service account invoke the rollup function',
      argv: ['gcloud', 'functions', 'add-invoker-policy-binding', 'rollup', `--region=${o.region}`, `--project=${o.project}`, `--member=serviceAccount:${sa}`],
    },
    {
      what: 'schedule the rollup (Cloud Scheduler, OIDC-authenticated POST)',
      argv: [
        'gcloud', 'scheduler', 'jobs', 'create', 'http', 'dumpcatcher-rollup', `--location=${o.region}`, `--project=${o.project}`,
        `--schedule=${o.schedule}`, `--uri=https://${o.region}-${o.project}.cloudfunctions.net/rollup`, '--http-method=POST',
        `--oidc-service-account-email=${sa}`, '--attempt-deadline=120s',
      ],
    },
    {
      what: 'deploy firestore.rules and firestore.indexes.json (composite indexes, field overrides, TTL on expireAt)',
      argv: ['npx', 'firebase', 'deploy', '--only', 'firestore:rules,firestore:indexes', '--project', o.project, '--non-interactive'],
    },
  ];
}

/** A command as a copy-pasteable shell line. */
export function showCommand(c: DeployCommand): string {
  return c.argv.map((a) => (/^[\w@%+=:,./*-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

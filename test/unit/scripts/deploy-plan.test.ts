import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import {
  dashboardConfigFor,
  hostingConfigFor,
  parseDeployArgs,
  planDeploy,
  ROLLUP_QUEUE,
  RUNTIME_ACCOUNTS,
  showCommand,
} from '../../../scripts/lib/deploy-plan';

const ROOT = join(__dirname, '..', '..', '..');

describe('npm run deploy -- --dry-run', () => {
  it('prints every command for the given project and region and runs none', () => {
    const out = execFileSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        'scripts/deploy.ts',
        '--project',
        'my-crash-project',
        '--region',
        'europe-west1',
        '--allowed-users',
        'Ann@Example.com,@corp.example',
        '--dry-run',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(out).toContain('Dry run: would run 23 commands for project my-crash-project in europe-west1');
    expect(out).toContain(
      'npx firebase deploy --only hosting --config firebase.deploy.json --project my-crash-project --non-interactive',
    );
    expect(out).toContain('The api admits (DUMPCATCHER_ALLOWED_USERS): ann@example.com,@corp.example');
    expect(out).toContain("'--update-env-vars=^;^DUMPCATCHER_ALLOWED_USERS=ann@example.com,@corp.example'");
    expect(out).toContain('  rollup dumpcatcher-rollup-run@my-crash-project.iam.gserviceaccount.com');
    expect(out).toContain('         roles/firebaseauth.viewer: verifyIdToken(checkRevoked) looks the user up');
    for (const name of ['ingest', 'api', 'rollup']) {
      expect(out).toContain(
        `gcloud functions deploy ${name} --gen2 --runtime=nodejs20 --region=europe-west1 --project=my-crash-project`,
      );
    }
    expect(out).toContain('gcloud scheduler jobs create http dumpcatcher-rollup --location=europe-west1');
    expect(out).toContain("'--schedule=*/5 * * * *'");
    expect(out).toContain(
      'gcloud tasks queues create dumpcatcher-rollup --location=europe-west1 --project=my-crash-project',
    );
    expect(out).toContain('DUMPCATCHER_ROLLUP_TRIGGER=cloud-tasks');
    expect(out).toContain('npx firebase deploy --only firestore:rules,firestore:indexes --project my-crash-project');
  });

  it('refuses to run without a valid project, saying what is wrong', () => {
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/deploy.ts', '--dry-run'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, GOOGLE_CLOUD_PROJECT: '' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--project must name a Google Cloud project id');
  });
});

describe('planDeploy service accounts', () => {
  const plan = planDeploy(parseDeployArgs(['--project', 'abc-project', '--allowed-users', 'ann@example.com']));
  // Project-wide grants; grants on one queue or one account are checked below.
  const grants = (id: string) =>
    plan
      .filter(
        (c) =>
          c.argv[1] === 'projects' &&
          c.argv.includes('add-iam-policy-binding') &&
          c.argv.includes(`--member=serviceAccount:${id}@abc-project.iam.gserviceaccount.com`),
      )
      .map((c) => c.argv.find((a) => a.startsWith('--role='))?.slice('--role='.length));

  it.each([
    ['ingest', 'dumpcatcher-ingest', ['roles/datastore.user']],
    ['api', 'dumpcatcher-api', ['roles/datastore.user', 'roles/firebaseauth.viewer']],
    ['rollup', 'dumpcatcher-rollup-run', ['roles/datastore.user', 'roles/firebaseauth.viewer']],
  ])('runs %s as %s with only %j', (fn, id, roles) => {
    const deploy = plan.find((c) => c.argv.includes('deploy') && c.argv.includes(`--entry-point=${fn}`))!;
    expect(deploy.argv).toContain(`--service-account=${id}@abc-project.iam.gserviceaccount.com`);
    expect(grants(id)).toEqual(roles);
  });

  it('creates every account before any function is deployed with it', () => {
    const firstDeploy = plan.findIndex((c) => c.argv.includes('functions') && c.argv.includes('deploy'));
    for (const account of RUNTIME_ACCOUNTS) {
      const created = plan.findIndex((c) => c.argv.includes('create') && c.argv.includes(account.id));
      expect([account.id, created >= 0 && created < firstDeploy]).toEqual([account.id, true]);
    }
  });

  it('never grants a basic role (owner, editor, viewer) to anyone', () => {
    const roles = plan.flatMap((c) => c.argv.filter((a) => a.startsWith('--role=')));
    expect(roles.length).toBe(7);
    expect(roles.filter((r) => /roles\/(owner|editor|viewer)$/.test(r))).toEqual([]);
  });

  it('grants the Scheduler account nothing but invoking the rollup', () => {
    expect(grants('dumpcatcher-rollup')).toEqual([]);
    const invoker = plan.filter((c) => c.argv.some((a) => a.includes('dumpcatcher-rollup@')));
    expect(invoker.map((c) => c.argv.slice(0, 4).join(' '))).toEqual([
      // who may name it (the ingest, for its tasks), not what it may do
      'gcloud iam service-accounts add-iam-policy-binding',
      'gcloud functions deploy ingest',
      'gcloud functions add-invoker-policy-binding rollup',
      'gcloud scheduler jobs create',
    ]);
  });
});

describe('planDeploy event-driven rollup (Cloud Tasks)', () => {
  const plan = planDeploy(
    parseDeployArgs(['--project', 'abc-project', '--region', 'europe-west1', '--allowed-users', 'ann@example.com']),
  );
  const index = (words: string[]) => plan.findIndex((c) => words.every((w) => c.argv.includes(w)));
  const ingest = plan[index(['deploy', '--entry-point=ingest'])]!;
  const member = '--member=serviceAccount:dumpcatcher-ingest@abc-project.iam.gserviceaccount.com';

  it('creates the queue, and lets the ingest use it, before the ingest is deployed to use it', () => {
    const queue = index(['tasks', 'queues', 'create', ROLLUP_QUEUE]);
    const deployIngest = plan.indexOf(ingest);
    expect(queue).toBeGreaterThan(index(['services', 'enable', 'cloudtasks.googleapis.com']));
    expect(queue).toBeLessThan(deployIngest);
    expect(index(['tasks', 'queues', 'add-iam-policy-binding'])).toBeLessThan(deployIngest);
    expect(plan[queue]!.ifExists).toBe('update');
    // One run per index shard at once: the rollup's parallel runs (docs/architecture.md).
    expect(plan[queue]!.argv).toContain('--max-concurrent-dispatches=8');
    const rollup = plan[index(['deploy', '--entry-point=rollup'])]!;
    expect(rollup.argv).toEqual(expect.arrayContaining(['--max-instances=9', '--concurrency=1']));
  });

  it('beyond its Firestore role, lets the ingest enqueue on that queue only and name the invoker only', () => {
    const bindings = plan.filter((c) => c.argv.includes('add-iam-policy-binding') && c.argv.includes(member));
    expect(
      bindings.map((c) => c.argv.slice(1, 5).join(' ') + ' ' + c.argv.find((a) => a.startsWith('--role='))),
    ).toEqual([
      'projects add-iam-policy-binding abc-project --member=serviceAccount:dumpcatcher-ingest@abc-project.iam.gserviceaccount.com --role=roles/datastore.user',
      `tasks queues add-iam-policy-binding ${ROLLUP_QUEUE} --role=roles/cloudtasks.enqueuer`,
      'iam service-accounts add-iam-policy-binding dumpcatcher-rollup@abc-project.iam.gserviceaccount.com --role=roles/iam.serviceAccountUser',
    ]);
  });

  it('tells the ingest the queue, the rollup URL and the invoker the Scheduler job uses', () => {
    const env = ingest.argv.find((a) => a.startsWith('--update-env-vars='))!.slice('--update-env-vars='.length);
    expect(env.split(',')).toEqual([
      'DUMPCATCHER_ROLLUP_TRIGGER=cloud-tasks',
      `DUMPCATCHER_ROLLUP_QUEUE=projects/abc-project/locations/europe-west1/queues/${ROLLUP_QUEUE}`,
      'DUMPCATCHER_ROLLUP_URL=https://europe-west1-abc-project.cloudfunctions.net/rollup',
      'DUMPCATCHER_ROLLUP_INVOKER=dumpcatcher-rollup@abc-project.iam.gserviceaccount.com',
    ]);
    const job = plan[index(['scheduler', 'jobs', 'create'])]!;
    expect(job.argv).toContain('--uri=https://europe-west1-abc-project.cloudfunctions.net/rollup');
    expect(job.argv).toContain('--oidc-service-account-email=dumpcatcher-rollup@abc-project.iam.gserviceaccount.com');
  });
});

describe('parseDeployArgs allow-list', () => {
  it("admits only the deployer's gcloud account when no --allowed-users is given", () => {
    expect(parseDeployArgs(['--project', 'abc-project'], () => 'Dev@Example.com').allowedUsers).toBe('dev@example.com');
  });
  it('refuses a real deploy when it cannot tell who deploys', () => {
    expect(() => parseDeployArgs(['--project', 'abc-project'], () => null)).toThrow(/--allowed-users/);
  });
  it('shows a placeholder in a dry run when it cannot tell who deploys', () => {
    expect(parseDeployArgs(['--project', 'abc-project', '--dry-run'], () => null).allowedUsers).toBe(
      'YOUR_GCLOUD_ACCOUNT',
    );
  });
  it('names every entry the api would refuse at cold start', () => {
    expect(() => parseDeployArgs(['--project', 'abc-project', '--allowed-users', 'bad, @x.org,foo@'])).toThrow(
      '; not "bad", "foo@".',
    );
  });
  it.each([
    ['a bare word', 'alice'],
    ['a domain without @', 'example.com'],
    ['an empty list', ' , '],
  ])('refuses %s', (_name, list) => {
    expect(() => parseDeployArgs(['--project', 'abc-project', '--allowed-users', list])).toThrow(/--allowed-users/);
  });
});

describe('planDeploy', () => {
  it('keeps the rollup private and lets only its service account invoke it', () => {
    const plan = planDeploy(
      parseDeployArgs(['--project', 'abc-project', '--region', 'us-east1', '--allowed-users', 'ann@example.com']),
    );
    const rollup = plan.find((c) => c.argv.includes('rollup') && c.argv.includes('deploy'))!;
    expect(rollup.argv).toContain('--no-allow-unauthenticated');
    const binding = plan.find((c) => c.argv.includes('add-invoker-policy-binding'))!;
    expect(binding.argv).toContain('--member=serviceAccount:dumpcatcher-rollup@abc-project.iam.gserviceaccount.com');
  });

  it('creates the default invoker account, and none when --service-account names one', () => {
    const creates = (args: string[]) =>
      planDeploy(parseDeployArgs(['--project', 'abc-project', '--allowed-users', 'ann@example.com', ...args]))
        .filter((c) => c.argv.includes('service-accounts') && c.argv.includes('create'))
        .map((c) => c.argv[4]);
    expect(creates([])).toEqual([
      'dumpcatcher-ingest',
      'dumpcatcher-api',
      'dumpcatcher-rollup-run',
      'dumpcatcher-rollup',
    ]);
    const own = 'ops-invoker@abc-project.iam.gserviceaccount.com';
    expect(creates(['--service-account', own])).not.toContain('dumpcatcher-rollup');
    const job = planDeploy(
      parseDeployArgs(['--project', 'abc-project', '--allowed-users', 'ann@example.com', '--service-account', own]),
    ).find((c) => c.argv.includes('scheduler'))!;
    expect(job.argv).toContain(`--oidc-service-account-email=${own}`);
  });

  it('bounds ingest instances, since rate limits are per instance', () => {
    const plan = planDeploy(
      parseDeployArgs(['--project', 'abc-project', '--max-instances', '5', '--allowed-users', '@example.com']),
    );
    expect(plan.find((c) => c.argv.includes('--entry-point=ingest'))!.argv).toContain('--max-instances=5');
  });

  it('quotes arguments with spaces when showing a command', () => {
    expect(showCommand({ what: 'x', argv: ['echo', 'a b', "it's"] })).toBe(`echo 'a b' 'it'\\''s'`);
  });

  it.each([
    ['a region without a number', ['--project', 'abc-project', '--region', 'europe']],
    ['an upper-case project', ['--project', 'ABC-project']],
  ])('refuses %s', (_name, argv) => {
    expect(() => parseDeployArgs(argv)).toThrow(/--(project|region)/);
  });
});

describe('the dashboard on Hosting', () => {
  const firebaseJson: unknown = JSON.parse(readFileSync(join(ROOT, 'firebase.json'), 'utf8'));

  it('points the api rewrite at the deployment region and leaves firebase.json itself alone', () => {
    const before = JSON.stringify(firebaseJson);
    const config = hostingConfigFor(firebaseJson, 'europe-west1') as {
      hosting: { rewrites: Array<{ source: string; run?: { serviceId: string; region: string } }> };
    };
    expect(config.hosting.rewrites[0]).toEqual({ source: '/v1/**', run: { serviceId: 'api', region: 'europe-west1' } });
    expect(config.hosting.rewrites[1]).toEqual({ source: '**', destination: '/index.html' });
    expect(JSON.stringify(firebaseJson)).toBe(before);
  });

  it('refuses a firebase.json without the api rewrite', () => {
    expect(() => hostingConfigFor({ hosting: { rewrites: [] } }, 'europe-west1')).toThrow(
      /no hosting rewrite to the api/,
    );
  });

  it("gives the dashboard the ingest's real URL and no emulator", () => {
    expect(dashboardConfigFor({ project: 'my-crash-project', region: 'europe-west1' })).toEqual({
      ingestUrl: 'https://europe-west1-my-crash-project.cloudfunctions.net/ingest',
    });
  });

  it('builds the dashboard before writing its config, and deploys Hosting last', () => {
    const plan = planDeploy(
      parseDeployArgs(['--project', 'my-crash-project', '--allowed-users', '@example.com'], () => null),
    );
    const steps = plan.map((s) => showCommand(s));
    const build = steps.indexOf('npm run build:dashboard');
    expect(build).toBeGreaterThan(0);
    expect(steps[build + 1]).toBe('npx tsx scripts/prepare-hosting.ts --project=my-crash-project --region=us-central1');
    expect(steps[steps.length - 1]).toBe(
      'npx firebase deploy --only hosting --config firebase.deploy.json --project my-crash-project --non-interactive',
    );
  });
});

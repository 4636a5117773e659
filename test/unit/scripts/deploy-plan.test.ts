import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseDeployArgs, planDeploy, showCommand } from '../../../scripts/lib/deploy-plan';

const ROOT = join(__dirname, '..', '..', '..');

describe('npm run deploy -- --dry-run', () => {
  it('prints every command for the given project and region and runs none', () => {
    const out = execFileSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['scripts/deploy.ts', '--project', 'my-crash-project', '--region', 'europe-west1', '--dry-run'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(out).toContain('Dry run: would run 8 commands for project my-crash-project in europe-west1');
    for (const name of ['ingest', 'api', 'rollup']) {
      expect(out).toContain(
        `gcloud functions deploy ${name} --gen2 --runtime=nodejs20 --region=europe-west1 --project=my-crash-project`,
      );
    }
    expect(out).toContain('gcloud scheduler jobs create http dumpcatcher-rollup --location=europe-west1');
    expect(out).toContain("'--schedule=*/5 * * * *'");
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

describe('planDeploy', () => {
  it('keeps the rollup private and lets only its service account invoke it', () => {
    const plan = planDeploy(parseDeployArgs(['--project', 'abc-project', '--region', 'us-east1']));
    const rollup = plan.find((c) => c.argv.includes('rollup') && c.argv.includes('deploy'))!;
    expect(rollup.argv).toContain('--no-allow-unauthenticated');
    const binding = plan.find((c) => c.argv.includes('add-invoker-policy-binding'))!;
    expect(binding.argv).toContain('--member=serviceAccount:dumpcatcher-rollup@abc-project.iam.gserviceaccount.com');
  });

  it('bounds ingest instances, since rate limits are per instance', () => {
    const plan = planDeploy(parseDeployArgs(['--project', 'abc-project', '--max-instances', '5']));
    expect(plan.find((c) => c.argv.includes('ingest'))!.argv).toContain('--max-instances=5');
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

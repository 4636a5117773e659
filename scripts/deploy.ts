/**
 * `npm run deploy -- --project P --region R [--dry-run]`: deploys the three functions, the
 * Cloud Tasks queue, the Scheduler job, rules and indexes. `--dry-run` prints every command and runs none.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { accountEmail, parseDeployArgs, planDeploy, RUNTIME_ACCOUNTS, showCommand } from './lib/deploy-plan';

/** The address gcloud deploys as, or null when it cannot tell. */
function gcloudAccount(): string | null {
  try {
    const account = execFileSync('gcloud', ['config', 'get-value', 'account'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return account.includes('@') ? account : null;
  } catch {
    return null;
  }
}

function main(): void {
  const options = parseDeployArgs(process.argv.slice(2), gcloudAccount);
  const plan = planDeploy(options);
  console.log(
    `${options.dryRun ? 'Dry run: would run' : 'Running'} ${plan.length} commands for project ${options.project} in ${options.region}:`,
  );
  console.log(`\nThe api admits (DUMPCATCHER_ALLOWED_USERS): ${options.allowedUsers}`);
  console.log('Each function runs as its own service account with only these project roles:');
  for (const account of RUNTIME_ACCOUNTS) {
    console.log(`  ${account.fn.padEnd(6)} ${accountEmail(account.id, options.project)}`);
    for (const r of account.roles) console.log(`         ${r.role}: ${r.why}`);
  }
  for (const step of plan) {
    console.log(`\n# ${step.what}\n${showCommand(step)}`);
    if (options.dryRun) continue;
    const [cmd, ...args] = step.argv;
    const result = spawnSync(cmd!, args, { stdio: 'inherit', cwd: join(__dirname, '..') });
    if (result.status === 0) continue;
    // A create that fails because an earlier deploy made the resource: skip it, or update it.
    if (step.ifExists === 'skip') continue;
    if (step.ifExists === 'update') {
      const update = spawnSync(
        cmd!,
        args.map((a) => (a === 'create' ? 'update' : a)),
        { stdio: 'inherit' },
      );
      if (update.status !== 0) throw new Error(`failed: ${step.what}`);
      continue;
    }
    throw new Error(`failed: ${step.what} (exit ${result.status})`);
  }
}

try {
  main();
} catch (err) {
  console.error(`deploy: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

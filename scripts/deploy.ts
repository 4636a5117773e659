/**
 * `npm run deploy -- --project P --region R [--dry-run]`: deploys the three functions, the
 * Scheduler job, rules and indexes. `--dry-run` prints every command and runs none.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseDeployArgs, planDeploy, showCommand } from './lib/deploy-plan';

function main(): void {
  const options = parseDeployArgs(process.argv.slice(2));
  const plan = planDeploy(options);
  console.log(
    `${options.dryRun ? 'Dry run: would run' : 'Running'} ${plan.length} commands for project ${options.project} in ${options.region}:`,
  );
  for (const step of plan) {
    console.log(`\n# ${step.what}\n${showCommand(step)}`);
    if (options.dryRun) continue;
    const [cmd, ...args] = step.argv;
    const result = spawnSync(cmd!, args, { stdio: 'inherit', cwd: join(__dirname, '..') });
    const tolerated =
      step.argv.includes('service-accounts') || (step.argv.includes('scheduler') && result.status !== 0);
    if (result.status !== 0 && step.argv.includes('scheduler')) {
      // The job exists from an earlier deploy: update it instead.
      const update = spawnSync(
        cmd!,
        args.map((a) => (a === 'create' ? 'update' : a)),
        { stdio: 'inherit' },
      );
      if (update.status !== 0) throw new Error(`failed: ${step.what}`);
    } else if (result.status !== 0 && !tolerated) {
      throw new Error(`failed: ${step.what} (exit ${result.status})`);
    }
  }
}

try {
  main();
} catch (err) {
  console.error(`deploy: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

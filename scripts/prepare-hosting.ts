/**
 * A deploy step (`npm run deploy` runs it): writes `dashboard/dist/config.json` (the ingest URL
 * the dashboard's set-up snippets show) and `firebase.deploy.json` (firebase.json with the api
 * rewrite in the deployment's region). `--project P --region R`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARD_DIST } from './lib/dashboard';
import { dashboardConfigFor, hostingConfigFor, HOSTING_CONFIG_FILE, parseDeployArgs } from './lib/deploy-plan';
import { ROOT } from './lib/stack';

try {
  // The allow-list does not matter here; a placeholder keeps the shared parser satisfied.
  const o = parseDeployArgs([...process.argv.slice(2), '--allowed-users=@example.com'], () => null);
  writeFileSync(join(DASHBOARD_DIST, 'config.json'), JSON.stringify(dashboardConfigFor(o)) + '\n');
  const firebaseJson: unknown = JSON.parse(readFileSync(join(ROOT, 'firebase.json'), 'utf8'));
  writeFileSync(
    join(ROOT, HOSTING_CONFIG_FILE),
    JSON.stringify(hostingConfigFor(firebaseJson, o.region), null, 2) + '\n',
  );
  console.log(`Wrote dashboard/dist/config.json and ${HOSTING_CONFIG_FILE} for ${o.project} in ${o.region}.`);
} catch (err) {
  console.error(`prepare-hosting: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

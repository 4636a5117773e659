/** `npm run build:dashboard`: builds `dashboard/` into `dashboard/dist` and prints the first page's weight. */
import { buildDashboard } from './lib/dashboard';

buildDashboard().catch((err: unknown) => {
  console.error(`dashboard build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

/**
 * The ES-module twin of crash-app.cjs for the end-to-end tests: `import`s the SDK by package name
 * (the package's ESM build, from the node_modules folder next to wherever the test copied this
 * file; ES modules do not look at NODE_PATH) and does what its mode says
 * (`node crash-app.mjs <mode>`):
 *
 *   crash   after a top-level await, dies from an uncaught SyntaxError thrown a few calls deep
 *   start   only starts the SDK and exits normally (a second start after a crash)
 *
 * Settings come from E2E_ENDPOINT, E2E_PRODUCT_KEY, E2E_SECRET, E2E_QUEUE_DIR and E2E_SESSIONS
 * (1: autoSessionTracking: true).
 */
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { init } from 'dumpcatcher';

init({
  endpoint: process.env.E2E_ENDPOINT,
  productKey: process.env.E2E_PRODUCT_KEY,
  secret: process.env.E2E_SECRET,
  appName: 'e2e-node-esm',
  appVersion: '1.0.0',
  queueDir: process.env.E2E_QUEUE_DIR,
  autoSessionTracking: process.env.E2E_SESSIONS === '1',
});

function parsePrice(text) {
  return JSON.parse(text).toFixed(2);
}

function checkout(order) {
  return parsePrice(order.discount);
}

const mode = process.argv[2] ?? 'start';
await sleep(10);
if (mode === 'crash') checkout({ discount: 'alice@example.com' });
else if (mode !== 'start') {
  process.stderr.write(`unknown mode: ${mode}\n`);
  process.exit(2);
}

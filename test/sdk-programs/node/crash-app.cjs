'use strict';
/**
 * A small real program for the end-to-end tests: it starts the Node SDK (`require('dumpcatcher')`,
 * the package's CommonJS build, found through NODE_PATH) and then does what its mode says
 * (`node crash-app.cjs <mode> [n]`):
 *
 *   crash       dies from an uncaught SyntaxError thrown a few calls deep (checkout path)
 *   other-path  the same SyntaxError from the same line, reached through preview()
 *   big         dies from a RangeError whose message is about 27 KB (1500 rows)
 *   rejection   dies from an unhandled promise rejection (an Error with a cause)
 *   usage       queues one usage report and exits normally
 *   start       only starts the SDK and exits normally (a second start after a crash)
 *   burst n     captures n different errors and returns (the exit flush sends them)
 *   idle ms     captures an error and awaits flush(), idles for ms milliseconds (longer than the
 *               ingest keeps an idle connection open), captures another and awaits flush();
 *               exits 0 when both flushes emptied the queue, else 3
 *   cli         the short-lived CLI of docs/sdk-node.md: captures an error, awaits flush(10000),
 *               prints {"flushed": true|false} and exits with code 1
 *
 * Settings come from E2E_ENDPOINT, E2E_PRODUCT_KEY, E2E_SECRET and optionally E2E_QUEUE_DIR
 * (else the SDK's default folder), E2E_SHUTDOWN_TIMEOUT_MS, E2E_MAX_PER_FINGERPRINT, E2E_INSTALL_ID
 * (1: installId: true), E2E_SESSIONS (1: autoSessionTracking: true) and E2E_CLOCK_SKEW_MS (milliseconds added to this process's Date.now()); opting out (DO_NOT_TRACK,
 * DUMPCATCHER_DISABLED, DUMPCATCHER_CONFIG) is left to the SDK.
 */
const { setTimeout: sleep } = require('node:timers/promises');

if (process.env.E2E_CLOCK_SKEW_MS) {
  // A machine whose clock is off: everything that reads Date.now() sees the skewed time.
  const realNow = Date.now;
  const skew = Number(process.env.E2E_CLOCK_SKEW_MS);
  Date.now = () => realNow() + skew;
}

const dumpcatcher = require('dumpcatcher');

function startSdk() {
  const shutdown = Number(process.env.E2E_SHUTDOWN_TIMEOUT_MS ?? '');
  dumpcatcher.init({
    endpoint: process.env.E2E_ENDPOINT,
    productKey: process.env.E2E_PRODUCT_KEY,
    secret: process.env.E2E_SECRET,
    appName: 'e2e-node',
    appVersion: '1.0.0',
    ...(process.env.E2E_QUEUE_DIR ? { queueDir: process.env.E2E_QUEUE_DIR } : {}),
    maxReportsPerFingerprint: Number(process.env.E2E_MAX_PER_FINGERPRINT || 1000),
    installId: process.env.E2E_INSTALL_ID === '1',
    autoSessionTracking: process.env.E2E_SESSIONS === '1',
    ...(shutdown > 0 ? { shutdownTimeoutMs: shutdown } : {}),
  });
}

function parsePrice(text) {
  return JSON.parse(text).toFixed(2);
}

function applyDiscount(order) {
  return parsePrice(order.discount);
}

function checkout(order) {
  return applyDiscount(order);
}

function preview(order) {
  return applyDiscount(order);
}

function importRows() {
  const rows = Array.from({ length: 1500 }, (_, i) => `row ${i}: bad price`);
  throw new RangeError(rows.join('; '));
}

async function fetchOrder() {
  await sleep(10);
  throw new Error('order service unavailable', { cause: new Error('connection reset by peer') });
}

function burst(n) {
  for (let i = 0; i < n; i++) {
    dumpcatcher.captureException(new Error(`burst report ${i}`), { tags: { index: String(i) } });
  }
}

async function idle(ms) {
  dumpcatcher.captureException(new Error('before idling'));
  const first = await dumpcatcher.flush(10000);
  await sleep(ms);
  dumpcatcher.captureException(new Error('after idling'));
  const second = await dumpcatcher.flush(10000);
  process.exitCode = first && second ? 0 : 3;
}

async function cli() {
  try {
    checkout({ discount: 'alice@example.com' });
  } catch (err) {
    dumpcatcher.captureException(err);
  }
  const flushed = await dumpcatcher.flush(10000);
  console.log(JSON.stringify({ flushed }));
  process.exit(1);
}

function main(mode) {
  startSdk();
  const order = { discount: 'alice@example.com' };
  switch (mode) {
    case 'crash':
      return checkout(order);
    case 'other-path':
      return preview(order);
    case 'big':
      return importRows();
    case 'rejection':
      // Not awaited on purpose: nobody handles the rejection.
      void fetchOrder();
      return undefined;
    case 'usage':
      return dumpcatcher.reportUsage();
    case 'burst':
      return burst(Number(process.argv[3] ?? '1'));
    case 'cli':
      return cli();
    case 'idle':
      return idle(Number(process.argv[3] ?? '6000'));
    case 'start':
      return undefined;
    default:
      console.error(`unknown mode: ${mode}`);
      process.exit(2);
  }
}

main(process.argv[2] ?? 'start');

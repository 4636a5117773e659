/**
 * `npm run send-crash`: signs one real crash (a genuine Node stack trace) and sends it to the
 * local stack from `.local/stack.json`, or to KEY/SECRET/INGEST_URL from the environment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { newClientId, sendSigned } from './lib/client';

interface Target {
  ingestUrl: string;
  productKey: string;
  secret: string;
}

function target(): Target {
  const { KEY, SECRET, INGEST_URL } = process.env;
  if (KEY && SECRET && INGEST_URL) return { ingestUrl: INGEST_URL, productKey: KEY, secret: SECRET };
  const file = join(__dirname, '..', '.local', 'stack.json');
  try {
    const stack = JSON.parse(readFileSync(file, 'utf8')) as {
      ingestUrl: string;
      demoProduct: { productKey: string; secret: string };
    };
    return { ingestUrl: stack.ingestUrl, productKey: stack.demoProduct.productKey, secret: stack.demoProduct.secret };
  } catch {
    throw new Error(
      `No local stack found (${file}). Start it with \`npm start\` in another terminal, or set KEY, SECRET and INGEST_URL.`,
    );
  }
}

function checkout(cart: { items: number[] }): number {
  if (cart.items.length === 0) throw new TypeError('cannot check out an empty cart');
  return cart.items.reduce((a, b) => a + b, 0);
}

function realError(): Error {
  try {
    checkout({ items: [] });
  } catch (err) {
    return err as Error;
  }
  throw new Error('unreachable');
}

async function main(): Promise<void> {
  const t = target();
  const err = realError();
  const crash = {
    reportId: randomUUID(),
    occurredAt: new Date().toISOString(),
    exception: { type: err.name, message: err.message, stacktrace: err.stack ?? String(err) },
    app: { name: 'send-crash', version: '1.0.0' },
    label: 'checkout',
    runtime: { name: 'node', version: process.versions.node },
    os: { name: process.platform, arch: process.arch },
    tags: { source: 'npm-run-send-crash' },
  };
  const res = await sendSigned({
    baseUrl: t.ingestUrl,
    productKey: t.productKey,
    secret: t.secret,
    clientId: newClientId(),
    counter: 1,
    body: crash,
  });
  console.log(`POST ${t.ingestUrl}/v1/crashes → ${res.status} ${JSON.stringify(res.json)}`);
  if (res.status === 202) {
    console.log(`Stored as products/${t.productKey}/crashes/${String(res.json.id)} in the Firestore emulator.`);
  } else {
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});

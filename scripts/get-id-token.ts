/**
 * Prints a Firebase ID token for a Google user of the local Auth emulator, for calling the api
 * with curl (see docs/api.md). Usage: npx tsx scripts/get-id-token.ts you@example.com ["Your Name"]
 * The emulator host comes from FIREBASE_AUTH_EMULATOR_HOST or `.local/stack.json` (npm start).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signInWithGoogle } from './lib/id-token';

function authHost(): string {
  if (process.env.FIREBASE_AUTH_EMULATOR_HOST) return process.env.FIREBASE_AUTH_EMULATOR_HOST;
  const file = join(__dirname, '..', '.local', 'stack.json');
  if (existsSync(file)) {
    const info = JSON.parse(readFileSync(file, 'utf8')) as { authEmulatorHost?: unknown };
    if (typeof info.authEmulatorHost === 'string') return info.authEmulatorHost;
  }
  throw new Error('No Auth emulator: run `npm start` first, or set FIREBASE_AUTH_EMULATOR_HOST.');
}

async function main(): Promise<void> {
  const [email, name] = process.argv.slice(2);
  if (!email || !email.includes('@')) {
    process.stderr.write('usage: npx tsx scripts/get-id-token.ts <email> [display name]\n');
    process.exit(2);
  }
  const result = await signInWithGoogle(authHost(), { email, ...(name ? { name } : {}) });
  process.stdout.write(result.idToken + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

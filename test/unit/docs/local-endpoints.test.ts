import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every local address the docs, the SDKs' READMEs and the dashboard's set-up programs give is
 * one that `npm start` prints, and an SDK's `endpoint` is the ingest's (the Java docs once gave
 * the Firestore emulator's 8080, which answers 404 to every report).
 */
const ROOT = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

function printedPorts(): { ingest: number; all: Set<number> } {
  const start = read('scripts/start.ts');
  const functions = start.match(/ingest: (\d+), api: (\d+), rollup: (\d+)/);
  const dashboard = start.match(/DUMPCATCHER_DASHBOARD_PORT \?\? (\d+)/);
  if (!functions || !dashboard)
    throw new Error('scripts/start.ts no longer names its ports the way this test reads them');
  const emulators = (JSON.parse(read('firebase.json')) as { emulators: Record<string, { port?: number }> }).emulators;
  const ports = [functions[1], functions[2], functions[3], dashboard[1]].map(Number);
  for (const name of ['firestore', 'auth']) ports.push(Number(emulators[name]?.port));
  return { ingest: Number(functions[1]), all: new Set(ports) };
}

const SOURCES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  'sdks/node/README.md',
  'sdks/python/README.md',
  'sdks/java/README.md',
  'dashboard/src/pages/sdk-setup.ts',
];
const LOCAL = /(?:127\.0\.0\.1|localhost):(\d{2,5})/g;

interface Mention {
  where: string;
  port: number;
  endpoint: boolean;
}

function mentions(): Mention[] {
  const found: Mention[] = [];
  for (const file of SOURCES) {
    read(file)
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(LOCAL)) {
          found.push({ where: `${file}:${i + 1}`, port: Number(m[1]), endpoint: /endpoint|INGEST_URL/i.test(line) });
        }
      });
  }
  return found;
}

describe('local endpoints in the docs', () => {
  const { ingest, all } = printedPorts();
  const found = mentions();

  it('finds the local addresses it checks (the docs give the ingest URL)', () => {
    expect(found.filter((m) => m.endpoint).length).toBeGreaterThan(0);
  });

  it('gives only ports that npm start prints', () => {
    expect(found.filter((m) => !all.has(m.port)).map((m) => `${m.where} gives port ${m.port}`)).toEqual([]);
  });

  it("gives the ingest's port wherever an SDK endpoint or INGEST_URL is set", () => {
    expect(
      found
        .filter((m) => m.endpoint && m.port !== ingest)
        .map((m) => `${m.where} gives port ${m.port} as the endpoint`),
    ).toEqual([]);
  });
});

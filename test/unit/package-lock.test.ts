import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  inBundle?: boolean;
}

interface Lock {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** The repository's lock files: the root's and the Node SDK's own (its build's devDependencies). */
const LOCKS = ['package-lock.json', 'sdks/node/package-lock.json'].map((path) => ({
  path,
  lock: JSON.parse(readFileSync(join(__dirname, '..', '..', path), 'utf8')) as Lock,
}));

/** Entries npm itself never writes: every installed package has a version and a source. */
function entriesNpmWouldNotWrite(packages: Record<string, LockEntry>): string[] {
  return Object.entries(packages)
    .filter(([path]) => path !== '')
    .filter(([, entry]) => {
      if (entry.link) return false;
      const hasSource = entry.resolved !== undefined || entry.integrity !== undefined || entry.inBundle === true;
      return entry.version === undefined || !hasSource;
    })
    .map(([path]) => path);
}

describe.each(LOCKS)('$path', ({ path, lock }) => {
  it('is a lockfile version npm 10 and npm 11 both read (3)', () => {
    expect(lock.lockfileVersion).toBe(3);
  });

  it('has no entry npm would not have written (regenerate with `npm install --package-lock-only`, never edit by hand)', () => {
    const odd = entriesNpmWouldNotWrite(lock.packages);
    if (odd.length > 0) {
      throw new Error(
        `${path} has ${odd.length} entries without a version or a source, which npm never writes ` +
          `(npm ci fails on them with "Invalid Version"). Regenerate the lock with ` +
          `\`npm install --package-lock-only\` instead of editing it:\n  ${odd.join('\n  ')}`,
      );
    }
    expect(odd).toEqual([]);
  });
});

describe('entriesNpmWouldNotWrite', () => {
  it('spots a hand-written, version-less entry', () => {
    expect(
      entriesNpmWouldNotWrite({
        '': {},
        'node_modules/a': { version: '1.0.0', integrity: 'sha512-x' },
        'node_modules/b': { optional: true } as LockEntry,
        'node_modules/c': { link: true },
        'node_modules/d': { version: '1.0.0' },
      }),
    ).toEqual(['node_modules/b', 'node_modules/d']);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SDK_VERSIONS, setupSnippets } from '../../dashboard/src/pages/sdk-setup';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Where a version of an SDK is written: a file and a pattern whose first group is the version. */
interface Mention {
  file: string;
  pattern: RegExp;
}

/** Every version each SDK's package file, code, docs and Settings snippet give; the package file's comes first. */
const MENTIONS: Record<keyof typeof SDK_VERSIONS, Mention[]> = {
  node: [
    { file: 'sdks/node/package.json', pattern: /^ {2}"version": "([^"]+)"/m },
    { file: 'sdks/node/src/transport.ts', pattern: /dumpcatcher-node\/([0-9][^'"]*)/g },
    { file: 'docs/sdk-node.md', pattern: /dumpcatcher-([0-9][0-9A-Za-z.-]*)\.tgz/g },
  ],
  python: [
    { file: 'sdks/python/pyproject.toml', pattern: /^version = "([^"]+)"/m },
    { file: 'sdks/python/src/dumpcatcher/__init__.py', pattern: /^__version__ = "([^"]+)"/m },
    { file: 'sdks/python/src/dumpcatcher/transport.py', pattern: /dumpcatcher-python\/([0-9][^'"]*)/g },
    { file: 'docs/sdk-python.md', pattern: /`dumpcatcher`, version ([0-9][^)\s]*)\)/g },
  ],
  java: [
    { file: 'sdks/java/pom.xml', pattern: /<artifactId>dumpcatcher<\/artifactId>\s*<version>([^<]+)<\/version>/g },
    { file: 'sdks/java/src/main/java/dev/dumpcatcher/Sender.java', pattern: /dumpcatcher-java\/([0-9][^"]*)/g },
    {
      file: 'sdks/java/bench/pom.xml',
      pattern: /<artifactId>dumpcatcher<\/artifactId>\s*<version>([^<]+)<\/version>/g,
    },
    { file: 'docs/sdk-java.md', pattern: /<artifactId>dumpcatcher<\/artifactId>\s*<version>([^<]+)<\/version>/g },
    { file: 'docs/sdk-java.md', pattern: /dev\.dumpcatcher:dumpcatcher:([^"]+)"/g },
    { file: 'docs/sdk-java.md', pattern: /dumpcatcher-([0-9][0-9A-Za-z.-]*)\.jar/g },
  ],
};

/** The versions `mention` finds, each with where it was found. */
function versionsIn(text: string, where: string, pattern: RegExp): Array<{ where: string; version: string }> {
  const matches = pattern.global ? [...text.matchAll(pattern)] : [pattern.exec(text)].filter((m) => m !== null);
  return matches.map((m) => ({ where, version: m[1] ?? '' }));
}

describe('SDK versions', () => {
  describe.each(Object.keys(MENTIONS) as Array<keyof typeof SDK_VERSIONS>)('%s', (sdk) => {
    const found = MENTIONS[sdk].map((m) => ({ ...m, versions: versionsIn(read(m.file), m.file, m.pattern) }));
    const packageVersion = found[0]?.versions[0]?.version;

    it('is written in every place this test reads (a mention that moved must be found again, not skipped)', () => {
      expect(found.filter((f) => f.versions.length === 0).map((f) => `${f.file} ${String(f.pattern)}`)).toEqual([]);
    });

    it('is the same everywhere: package file, code, docs and the Settings snippet', () => {
      expect(packageVersion).toMatch(/^\d+\.\d+\.\d+/);
      const all = [
        ...found.flatMap((f) => f.versions),
        { where: 'SDK_VERSIONS in dashboard/src/pages/sdk-setup.ts', version: SDK_VERSIONS[sdk] },
      ];
      expect(all.filter((v) => v.version !== packageVersion)).toEqual([]);
    });
  });

  it('the Java snippet depends on the version the pom builds', () => {
    const pom = setupSnippets('pk_demo_01234567', null).find((s) => s.id === 'java-pom');
    expect(pom?.code).toContain(`<version>${SDK_VERSIONS.java}</version>`);
  });

  it('reads a SNAPSHOT version as written, so it cannot pass for the release', () => {
    const versions = versionsIn(
      '<artifactId>dumpcatcher</artifactId>\n  <version>0.1.0-SNAPSHOT</version>',
      'x',
      /<artifactId>dumpcatcher<\/artifactId>\s*<version>([^<]+)<\/version>/g,
    );
    expect(versions).toEqual([{ where: 'x', version: '0.1.0-SNAPSHOT' }]);
  });
});

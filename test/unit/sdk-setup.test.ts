import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECRET_ENV, setupSnippets, type SetupSnippet } from '../../dashboard/src/pages/sdk-setup';

const read = (path: string) => readFileSync(join(__dirname, '..', '..', path), 'utf8');

// The docs show the programs for a placeholder key and the local ingest that `npm start` prints.
const DOC_SNIPPETS = setupSnippets('pk_demo_01234567', 'http://127.0.0.1:8081');
const code = (id: SetupSnippet['id']) => DOC_SNIPPETS.find((s) => s.id === id)?.code ?? '';

/** A fenced block with `body`, indented by `indent` (a list item's block in the README). */
function fenced(lang: string, body: string, indent = ''): string {
  const lines = [`\`\`\`${lang}`, ...body.replace(/\n$/, '').split('\n'), '```'];
  return lines.map((l) => (l === '' ? '' : indent + l)).join('\n');
}

describe('setupSnippets', () => {
  it.each([
    ['docs/sdk-node.md', 'js', 'node-cjs', ''],
    ['docs/sdk-node.md', 'js', 'node-esm', ''],
    ['docs/sdk-python.md', 'python', 'python', ''],
    ['docs/sdk-java.md', 'xml', 'java-pom', ''],
    ['docs/sdk-java.md', 'java', 'java', ''],
    ['README.md', 'js', 'node-cjs', '   '],
  ] as const)('%s shows the %3$s program exactly as Settings does', (doc, lang, id, indent) => {
    expect(read(doc)).toContain(fenced(lang, code(id), indent));
  });

  it('reads the secret from the environment in every program, and puts none in the code', () => {
    const withKey = setupSnippets('pk_demo_01234567', 'https://ingest.example.com');
    for (const s of withKey.filter((x) => x.id !== 'java-pom')) {
      expect(s.code).toContain(SECRET_ENV);
      expect(s.code).not.toMatch(/sk_/);
    }
  });

  it('imports what each program uses (os in Python, the SDK in Node and Java)', () => {
    expect(code('python')).toMatch(/^import os$/m);
    expect(code('node-cjs')).toMatch(/^const \{ init, captureException, flush \} = require\('dumpcatcher'\);$/m);
    expect(code('node-esm')).toMatch(/^import \{ init, captureException, flush \} from 'dumpcatcher';$/m);
    expect(code('java')).toContain('import dev.dumpcatcher.Dumpcatcher;\nimport dev.dumpcatcher.DumpcatcherOptions;');
  });

  it('says where to put the ingest URL when the deployment has none configured', () => {
    expect(setupSnippets('pk_demo_01234567', null)[0]?.code).toContain(
      "endpoint: 'https://<your ingest function URL>'",
    );
  });
});

/**
 * The set-up programs in Settings run as pasted (Chromium on the test stack): each is copied with
 * its Copy button, written into a fresh project (an `npm init -y` app with the packed Node SDK,
 * a virtualenv with `pip install sdks/python`, a Maven project depending on the SDK `mvn install`
 * put in the local repository), run with the product's secret in DUMPCATCHER_SECRET only, and its
 * test crash is then found on the product's overview.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SECRET_ENV, SDK_VERSIONS, setupSnippets, type SetupSnippet } from '../../dashboard/src/pages/sdk-setup';
import { signInWithGoogle } from '../../scripts/lib/id-token';
import { installJavaSdk, newNodeApp, packNodeSdk, pythonWithSdk, toolEnv } from '../sdk-programs/installs';
import { makeTempDir, removeTempDirs, runProgram, type RunResult } from '../sdk-programs/run';
import { callApi } from '../emulator/api-client';
import { requireEnv } from '../emulator/helpers';
import { dashboardUrl, launchBrowser, newSession, screenshot, signIn } from './browser';

jest.setTimeout(600_000);

const OWNER = `snippets-${randomUUID().slice(0, 8)}@example.com`;
const TEST_MESSAGE = 'Dumpcatcher test crash from my-app';
let browser: Browser;
let page: Page;
let closeSession: () => Promise<void>;
let productKey = '';
let secret = '';
// Started in beforeAll, awaited by the test that needs it: the three installs overlap.
let nodeApp: Promise<string>;
let python: Promise<string>;
let javaInstalled: Promise<void>;

beforeAll(async () => {
  const nodeTarball = packNodeSdk();
  nodeApp = nodeTarball.then((tarball) => newNodeApp(tarball));
  python = pythonWithSdk();
  javaInstalled = installJavaSdk();
  // A rejection is reported by the test that awaits it, not as an unhandled one here.
  for (const p of [nodeApp, python, javaInstalled]) p.catch(() => undefined);
  browser = await launchBrowser();
  const token = (await signInWithGoogle(requireEnv('FIREBASE_AUTH_EMULATOR_HOST'), { email: OWNER })).idToken;
  const created = await callApi(token, 'POST', '/v1/products', { name: 'Snippets as pasted' });
  expect(created.status).toBe(201);
  productKey = created.json.productKey as string;
  secret = created.json.secret as string;
  const s = await newSession(browser);
  page = s.page;
  closeSession = () => s.context.close();
  await signIn(page, OWNER);
  await page.goto(`${dashboardUrl()}/p/${productKey}/settings`);
  await page.getByRole('heading', { name: 'Set up an SDK' }).waitFor();
}, 120_000);

afterAll(async () => {
  await closeSession?.();
  await browser?.close();
  removeTempDirs();
});

/** The code a snippet's Copy button puts on the clipboard. */
async function copy(title: string): Promise<string> {
  await page.getByRole('button', { name: `Copy ${title} set-up code` }).click();
  return (await page.evaluate('navigator.clipboard.readText()')) as string;
}

/** The snippet the page shows, as this product's settings give it. */
function expected(id: SetupSnippet['id']): SetupSnippet {
  const snippet = setupSnippets(productKey, requireEnv('DUMPCATCHER_INGEST_URL')).find((s) => s.id === id);
  if (!snippet) throw new Error(`no snippet ${id}`);
  return snippet;
}

/** Runs a pasted program with nothing of the SDK's in the environment but the secret, and its own cache folder. */
async function runPasted(command: string, args: string[], cwd: string): Promise<RunResult> {
  const env = toolEnv({
    [SECRET_ENV]: secret,
    XDG_CACHE_HOME: join(cwd, '.cache'),
    XDG_CONFIG_HOME: join(cwd, '.config'),
  });
  for (const name of Object.keys(env)) if (name.startsWith('DUMPCATCHER_') && name !== SECRET_ENV) delete env[name];
  delete env.DO_NOT_TRACK;
  return runProgram(command, args, { env, cwd, timeoutMs: 300_000 });
}

/** Fails with the program's output unless it exited 0 and said its test crash was sent. */
function expectSent(result: RunResult): void {
  if (result.code !== 0 || !/Test crash .*sent/.test(result.stdout))
    throw new Error(`exit ${String(result.code)}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
}

describe('the SDK set-up programs in Settings', () => {
  it('say where the secret comes from and read it from the environment, never from the page', async () => {
    const text = (await page.locator('section.snippets').textContent()) ?? '';
    expect(text).toContain(`environment variable ${SECRET_ENV}`);
    expect(text).toMatch(/shown once, when the product was created/);
    expect(text).not.toContain(secret);
    await screenshot(page, 'settings-sdk-setup');
  });

  it.each([
    ['CommonJS', 'Node (CommonJS)', 'node-cjs', 'app.js'],
    ['ES module, in the same CommonJS project', 'Node (ES module)', 'node-esm', 'app.mjs'],
  ] as const)('Node, %s: %4$s in an npm init -y project with the packed SDK', async (_, title, id, file) => {
    const code = await copy(title);
    expect(code).toBe(expected(id).code);
    const app = await nodeApp;
    writeFileSync(join(app, file), code);
    expectSent(await runPasted(process.execPath, [file], app));
  });

  it('Python: app.py in a virtualenv with pip install sdks/python', async () => {
    const code = await copy('Python');
    expect(code).toBe(expected('python').code);
    const dir = makeTempDir('python-app');
    writeFileSync(join(dir, 'app.py'), code);
    expectSent(await runPasted(await python, ['app.py'], dir));
  });

  it('Java: the dependency block in a Maven project, App.java, run with exec:java', async () => {
    const dependency = await copy('Java (Maven dependency)');
    expect(dependency).toContain(`<version>${SDK_VERSIONS.java}</version>`);
    const code = await copy('Java');
    expect(code).toBe(expected('java').code);
    const dir = makeTempDir('java-app');
    writeFileSync(
      join(dir, 'pom.xml'),
      `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>my-app</artifactId>
  <version>1.0.0</version>
  <properties>
    <!-- As Maven's quickstart archetype writes them (its default compiler plugin predates "release"). -->
    <maven.compiler.source>1.8</maven.compiler.source>
    <maven.compiler.target>1.8</maven.compiler.target>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
${dependency}
  </dependencies>
</project>
`,
    );
    mkdirSync(join(dir, 'src', 'main', 'java'), { recursive: true });
    writeFileSync(join(dir, 'src', 'main', 'java', 'App.java'), code);
    await javaInstalled;
    expectSent(await runPasted('mvn', ['-q', '-B', 'compile', 'exec:java', '-Dexec.mainClass=App'], dir));
  });

  it('shows the four test crashes on the overview, one per program', async () => {
    await page.goto(`${dashboardUrl()}/p/${productKey}`);
    const feed = page.locator('ul.feed li');
    for (const type of ['Error', 'RuntimeError', 'java.lang.IllegalStateException'])
      await page.getByText(`${type}: ${TEST_MESSAGE}`).first().waitFor();
    const titles = (await feed.allTextContents()).map((t) => t.split(' v1.0.0')[0]);
    expect(titles.sort()).toEqual(
      [
        `Error: ${TEST_MESSAGE}`,
        `Error: ${TEST_MESSAGE}`,
        `RuntimeError: ${TEST_MESSAGE}`,
        `java.lang.IllegalStateException: ${TEST_MESSAGE}`,
      ].sort(),
    );
    await screenshot(page, 'overview-sdk-test-crashes');
  });
});

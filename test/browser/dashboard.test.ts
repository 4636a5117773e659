/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) on the real
 * emulators, functions and dashboard server of the test stack: sign in, create a product, send
 * crashes with the Node SDK, watch them arrive, group them with the rollup, read an issue's
 * frames, resolve it, invite a viewer who sees everything read-only, keep a stranger out,
 * rotate the secret and delete the product. Each page is checked with axe-core and saved as a
 * screenshot (docs/dashboard.md shows them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { sendSigned, newClientId, sampleCrash } from '../../scripts/lib/client';
import { expectExit, newQueueDir, removeTempDirs } from '../sdk-programs/harness';
import { buildNodePackage, runNode, runPython } from '../sdk-programs/programs';
import { requireEnv, rollUpToTheEnd } from '../emulator/helpers';
import { dashboardUrl, launchBrowser, newSession, screenshot, seriousA11yViolations, signIn } from './browser';

const PRODUCT = 'Checkout web';
let browser: Browser;
const sessions: Array<{ blocked: string[]; close(): Promise<void> }> = [];
let alice: Page;
let productKey = '';
let secret = '';
let issuePath = '';

async function session(email: string): Promise<Page> {
  const s = await newSession(browser);
  sessions.push({ blocked: s.blocked, close: () => s.context.close() });
  await signIn(s.page, email);
  return s.page;
}

async function runRollup(): Promise<void> {
  await rollUpToTheEnd();
}

async function expectAccessible(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousA11yViolations(page)).toEqual([]);
}

beforeAll(async () => {
  browser = await launchBrowser();
  await buildNodePackage();
}, 180_000);

afterAll(async () => {
  for (const s of sessions) await s.close();
  await browser?.close();
  removeTempDirs();
});

describe('the dashboard in Chromium', () => {
  it('shows the emulator sign-in form and signs a new user in to an empty products page', async () => {
    const s = await newSession(browser);
    sessions.push({ blocked: s.blocked, close: () => s.context.close() });
    alice = s.page;
    await alice.goto(dashboardUrl());
    await alice.getByLabel('Email').waitFor();
    await expectAccessible(alice, 'sign-in');
    await alice.getByLabel('Email').fill('alice@example.com');
    await alice.getByRole('button', { name: /^Sign in/ }).click();
    await alice.getByRole('heading', { name: 'Your products' }).waitFor();
    await alice.getByText('No products yet').waitFor();
    await expectAccessible(alice, 'products-empty');
  });

  it('creates a product and shows its secret once, with copy buttons and SDK snippets', async () => {
    await alice.getByLabel('Product name').fill(PRODUCT);
    await alice.getByRole('button', { name: 'Create product' }).click();
    await alice.getByRole('heading', { name: `“${PRODUCT}” is ready` }).waitFor();
    const codes = await alice.locator('.created dl.facts code').allTextContents();
    productKey = codes[0]!;
    secret = codes[1]!;
    expect(productKey).toMatch(/^pk_/);
    expect(secret).toMatch(/^sk_/);
    await alice.getByRole('button', { name: 'Copy secret' }).click();
    expect(await alice.evaluate('navigator.clipboard.readText()')).toBe(secret);
    expect(await alice.locator('.created pre').first().textContent()).toContain(requireEnv('DUMPCATCHER_INGEST_URL'));
    await expectAccessible(alice, 'product-created');
    // The secret is never shown again: the product list and settings do not carry it.
    await alice.reload();
    await alice.getByRole('link', { name: PRODUCT, exact: true }).waitFor();
    expect(await alice.content()).not.toContain(secret);
  });

  it('shows crashes sent by the Node SDK on the overview as they arrive, without a reload', async () => {
    await alice.getByRole('link', { name: PRODUCT, exact: true }).click();
    await alice.getByRole('heading', { name: /Latest crashes/ }).waitFor();
    await alice.getByText('No crashes received yet').waitFor();
    const queueDir = newQueueDir('dashboard-node');
    expectExit(await runNode({ productKey, secret }, ['crash'], { queueDir }), 1);
    expectExit(await runNode({ productKey, secret }, ['start'], { queueDir }), 0);
    // The page polls; no reload, no click.
    await alice.locator('.feed li', { hasText: 'SyntaxError' }).first().waitFor({ timeout: 15_000 });
    expect(await alice.locator('.feed li').count()).toBe(1);
    await expectAccessible(alice, 'overview');
  }, 120_000);

  it('lists the grouped issue after the rollup, with its sparkline, and deep links survive a reload', async () => {
    await runRollup();
    // Still without a reload, the overview links the crash to its issue and counts it.
    await alice.locator('.feed li a', { hasText: 'SyntaxError' }).waitFor({ timeout: 20_000 });
    await alice.getByText(/1 crash from 1 client in the last 14 days/).waitFor({ timeout: 20_000 });
    await alice.getByRole('link', { name: 'Issues' }).click();
    const row = alice.locator('table.issues tbody tr').first();
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('SyntaxError');
    await expect(row.getByRole('img', { name: /crashes per day/ }).count()).resolves.toBe(1);
    await expectAccessible(alice, 'issues');
    await row.getByRole('link').click();
    await alice.getByRole('heading', { name: 'Recent crashes' }).waitFor();
    issuePath = new URL(alice.url()).pathname;
    expect(issuePath).toMatch(new RegExp(`^/p/${productKey}/issues/[0-9a-f]{64}$`));
    await alice.reload();
    await alice.getByRole('heading', { name: 'Recent crashes' }).waitFor();
  }, 60_000);

  it("shows the issue's frames from the rollup's parser: in-app frames emphasised, library frames collapsed, raw view copyable", async () => {
    const inApp = alice.locator('.frame.in-app');
    expect(await inApp.count()).toBeGreaterThan(0);
    await expect(inApp.first().textContent()).resolves.toContain('crash-app.cjs');
    const folded = alice.locator('.frame.library details');
    expect(await folded.count()).toBeGreaterThan(0);
    expect(await folded.first().getAttribute('open')).toBeNull();
    await expect(alice.getByText(/Report id/).isVisible()).resolves.toBe(true);
    // issue.png comes from crash-view.test.ts, whose crash carries a chain, breadcrumbs and source lines.
    expect(await seriousA11yViolations(alice)).toEqual([]);
    await alice.getByRole('button', { name: 'Raw', exact: true }).click();
    const raw = await alice.getByLabel('Raw stack trace').textContent();
    expect(raw).toContain('SyntaxError');
    await alice.getByRole('button', { name: /Copy raw stack trace/ }).click();
    expect(await alice.evaluate('navigator.clipboard.readText()')).toBe(raw);
  });

  it('resolves in the next release by default, saying what each choice does; it moves to the Resolved tab', async () => {
    const nextRelease = alice.getByRole('radio', { name: 'In the next release' });
    await expect(nextRelease.isChecked()).resolves.toBe(true);
    const hint = alice.locator('#resolution-hint');
    await expect(nextRelease.getAttribute('aria-describedby')).resolves.toBe('resolution-hint');
    expect(await hint.textContent()).toMatch(
      /^Crashes from \S+ and older keep it resolved; a crash from a newer version reopens it/,
    );
    await alice.getByRole('radio', { name: 'In version' }).check();
    await expect(alice.getByRole('textbox', { name: 'Version' }).isEnabled()).resolves.toBe(true);
    await expect(hint.textContent()).resolves.toBe('A crash from this version or a later one reopens it as regressed.');
    await alice.getByRole('radio', { name: 'Now' }).check();
    await expect(hint.textContent()).resolves.toBe('Any new crash reopens it as regressed.');
    await expectAccessible(alice, 'issue-resolve');
    await nextRelease.check();
    await alice.getByRole('button', { name: 'Resolve' }).click();
    await alice.getByRole('button', { name: 'Reopen' }).waitFor();
    await expect(alice.locator('.status').first().textContent()).resolves.toBe('resolved');
    await alice.getByText(/in the next release \(reopens on a version newer than \S+\)/).waitFor();

    // The same, still-broken build crashes again: the issue stays resolved.
    const queueDir = newQueueDir('dashboard-node-again');
    expectExit(await runNode({ productKey, secret }, ['crash'], { queueDir }), 1);
    expectExit(await runNode({ productKey, secret }, ['start'], { queueDir }), 0);
    await runRollup();
    await alice.reload();
    await alice.getByRole('button', { name: 'Reopen' }).waitFor();
    await expect(alice.locator('.facts dt:text-is("Crashes") + dd').textContent()).resolves.toBe('2');
    await expect(alice.locator('.status').first().textContent()).resolves.toBe('resolved');

    await alice.goto(`${dashboardUrl()}/p/${productKey}/issues?status=resolved`);
    await alice.locator('table.issues tbody tr', { hasText: 'SyntaxError' }).waitFor();
    await alice.goto(`${dashboardUrl()}/p/${productKey}/issues`);
    await alice.getByText('No unresolved issues').waitFor();
  }, 120_000);

  it('shows usage: installs per day and the values of each metric', async () => {
    const queueDir = newQueueDir('dashboard-python');
    expectExit(await runPython({ productKey, secret }, ['usage'], { queueDir }), 0);
    // The Python program sends on exit; wait until the ingest has it, then roll up.
    for (let i = 0; i < 40; i++) {
      await runRollup();
      await alice.goto(`${dashboardUrl()}/p/${productKey}/usage`);
      await alice.getByRole('combobox', { name: 'Range' }).waitFor();
      if ((await alice.getByText(/distinct installs sent/).count()) > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await alice.getByText(/distinct installs sent/).waitFor();
    expect(await alice.locator('section[aria-label^="Metric "]').count()).toBeGreaterThan(0);
    await expectAccessible(alice, 'usage');
  }, 120_000);

  it('invites a viewer, who accepts and sees everything read-only', async () => {
    await alice.goto(`${dashboardUrl()}/p/${productKey}/settings`);
    await alice.getByLabel('Invite by email').fill('bob@example.com');
    await alice.getByRole('button', { name: 'Send invitation' }).click();
    await alice.getByRole('button', { name: 'Revoke invitation for bob@example.com' }).waitFor();
    await expectAccessible(alice, 'settings-owner');

    const bob = await session('bob@example.com');
    await bob.getByRole('button', { name: `Accept invitation to ${PRODUCT}` }).click();
    await bob.getByRole('link', { name: PRODUCT, exact: true }).click();
    await bob.getByRole('heading', { name: /Latest crashes/ }).waitFor();
    await expect(bob.locator('.role').first().textContent()).resolves.toBe('viewer');
    await bob.goto(`${dashboardUrl()}${issuePath}`);
    await bob.getByRole('heading', { name: 'Recent crashes' }).waitFor();
    expect(await bob.getByRole('button', { name: /^(Resolve|Reopen|Ignore)$/ }).count()).toBe(0);
    await expectAccessible(bob, 'issue-viewer');
    await bob.goto(`${dashboardUrl()}/p/${productKey}/settings`);
    await bob.getByRole('button', { name: 'Leave this product' }).waitFor();
    for (const owners of ['Save settings', 'Rotate secret', 'Send invitation', 'Create upload token', 'Delete product'])
      expect(await bob.getByRole('button', { name: owners }).count()).toBe(0);
    await expectAccessible(bob, 'settings-viewer');
  }, 90_000);

  it('lets the owner make an upload token that uploads a mapping, then list and delete the mapping', async () => {
    await alice.goto(`${dashboardUrl()}/p/${productKey}/settings`);
    await alice.getByText(/No mapping yet/).waitFor();
    await alice.getByLabel('Token name').fill('release CI');
    await alice.getByRole('button', { name: 'Create upload token' }).click();
    await alice.getByText('Upload token “release CI” (shown only now):').waitFor();
    const token = (await alice.locator('.notice code').first().textContent())!;
    expect(token).toMatch(/^dcu_/);
    const mapping = readFileSync(join(__dirname, '../fixtures/android/r8-notes-2.0-mapping.txt'));
    const put = await fetch(`${requireEnv('DUMPCATCHER_API_URL')}/v1/products/${productKey}/mappings/7f3c2a1`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' },
      body: mapping,
    });
    expect(put.status).toBe(201);
    await alice.reload();
    await alice.getByRole('button', { name: 'Delete mapping 7f3c2a1' }).waitFor();
    await alice.getByRole('button', { name: 'Revoke upload token release CI' }).waitFor();
    await expectAccessible(alice, 'settings-mappings');
    await alice.getByRole('button', { name: 'Delete mapping 7f3c2a1' }).click();
    await alice.getByText(/No mapping yet/).waitFor();
    await alice.getByRole('button', { name: 'Revoke upload token release CI' }).click();
    await alice.getByRole('button', { name: 'Revoke upload token release CI' }).waitFor({ state: 'detached' });
  }, 90_000);

  it('tells a stranger the product is not found, on every product page', async () => {
    const carol = await session('carol@example.com');
    for (const path of [`/p/${productKey}`, issuePath, `/p/${productKey}/settings`]) {
      await carol.goto(`${dashboardUrl()}${path}`);
      await carol.getByRole('heading', { name: 'Product not found' }).waitFor();
    }
    expect(await carol.content()).not.toContain('SyntaxError');
    await expectAccessible(carol, 'not-found');
  }, 60_000);

  it('tells a Google account outside the allow-list, in words, that this deployment does not admit it', async () => {
    const s = await newSession(browser);
    sessions.push({ blocked: s.blocked, close: () => s.context.close() });
    await s.page.goto(dashboardUrl());
    await s.page.getByLabel('Email').fill('mallory@example.org');
    await s.page.getByRole('button', { name: /^Sign in/ }).click();
    await s.page.getByRole('heading', { name: 'This deployment does not admit you' }).waitFor();
    await expect(s.page.getByRole('alert').textContent()).resolves.toMatch(/allow-list/);
    expect(await s.page.getByRole('button', { name: 'Create product' }).count()).toBe(0);
    await expectAccessible(s.page, 'not-admitted');
  }, 60_000);

  it('rotates the secret: the new one is shown once and works at the ingest at once', async () => {
    await alice.goto(`${dashboardUrl()}/p/${productKey}/settings`);
    await alice.getByLabel('Old secret keeps working for').selectOption('0');
    await alice.getByRole('button', { name: 'Rotate secret' }).click();
    await alice.getByText('New secret (shown only now):').waitFor();
    const rotated = (await alice.locator('.notice code').first().textContent())!;
    expect(rotated).toMatch(/^sk_/);
    expect(rotated).not.toBe(secret);
    const send = (key: string) =>
      sendSigned({
        baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'),
        productKey,
        secret: key,
        clientId: newClientId(),
        counter: 1,
        body: sampleCrash(),
      });
    expect((await send(rotated)).status).toBe(202);
    expect((await send(secret)).status).toBe(401);
  });

  it('deletes the product only after its name is typed', async () => {
    const del = alice.getByRole('button', { name: 'Delete product' });
    expect(await del.isDisabled()).toBe(true);
    await alice.getByLabel(/Type the product name/).fill(PRODUCT);
    expect(await del.isDisabled()).toBe(false);
    await del.click();
    await alice.getByRole('heading', { name: 'Your products' }).waitFor({ timeout: 60_000 });
    await alice.getByText('No products yet').waitFor();
    await alice.goto(`${dashboardUrl()}/p/${productKey}`);
    await alice.getByRole('heading', { name: 'Product not found' }).waitFor();
  }, 90_000);

  it('sent no request beyond the loopback address', async () => {
    // A sign-in of its own, so that run alone (-t) it still has a page's requests to look at.
    const s = await newSession(browser);
    sessions.push({ blocked: s.blocked, close: () => s.context.close() });
    const requested: string[] = [];
    s.context.on('request', (request) => requested.push(request.url()));
    await signIn(s.page, 'dave@example.com');
    expect(requested.filter((url) => url.startsWith(dashboardUrl()))).not.toEqual([]);
    expect(s.blocked).toEqual([]);
    // And every session the tests before it opened.
    expect(sessions.flatMap((x) => x.blocked)).toEqual([]);
  }, 60_000);
});

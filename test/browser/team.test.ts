/**
 * A team on one product, in a real browser (Debian's Chromium through playwright-core) on the
 * test stack: the owner invites a member and a viewer, each accepts; the member assigns,
 * comments on and resolves an issue, and sees no management controls; the viewer sees the
 * activity but no control at all; the owner then makes the viewer a member. Each page is checked
 * with axe-core and saved as a screenshot (docs/dashboard.md shows them).
 */
import type { Browser, Page } from 'playwright-core';
import { newClientId, sampleCrash, sendSigned } from '../../scripts/lib/client';
import { rollUpToTheEnd } from '../emulator/api-client';
import { requireEnv } from '../emulator/helpers';
import { dashboardUrl, launchBrowser, newSession, screenshot, seriousA11yViolations, signIn } from './browser';

const PRODUCT = 'Team triage';
let browser: Browser;
const sessions: Array<{ blocked: string[]; close(): Promise<void> }> = [];
let owner: Page;
let member: Page;
let viewer: Page;
let productKey = '';
let issueUrl = '';

async function session(email: string): Promise<Page> {
  const s = await newSession(browser);
  sessions.push({ blocked: s.blocked, close: () => s.context.close() });
  await signIn(s.page, email);
  return s.page;
}

async function expectAccessible(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousA11yViolations(page)).toEqual([]);
}

/** The owner's invitation as `role`, accepted by a new session of `email`. */
async function invite(email: string, role: 'Member: triages issues' | 'Viewer: reads only'): Promise<Page> {
  await owner.goto(`${dashboardUrl()}/p/${productKey}/settings`);
  await owner.getByLabel('Invite by email').fill(email);
  await owner.getByLabel('as', { exact: true }).selectOption({ label: role });
  await owner.getByRole('button', { name: 'Send invitation' }).click();
  await owner.getByRole('button', { name: `Revoke invitation for ${email}` }).waitFor();
  const page = await session(email);
  await page.getByRole('button', { name: `Accept invitation to ${PRODUCT}` }).click();
  await page.getByRole('link', { name: PRODUCT, exact: true }).waitFor();
  return page;
}

const OWNER_ONLY = [
  'Save settings',
  'Rotate secret',
  'Send invitation',
  'Create upload token',
  'Delete product',
  'Add destination',
];

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  for (const s of sessions) await s.close();
  await browser?.close();
});

describe('a team in Chromium', () => {
  it('the owner creates a product with one issue and invites a member and a viewer, naming the role', async () => {
    owner = await session('olivia@example.com');
    await owner.getByLabel('Product name').fill(PRODUCT);
    await owner.getByRole('button', { name: 'Create product' }).click();
    await owner.getByRole('heading', { name: `“${PRODUCT}” is ready` }).waitFor();
    const [key, secret] = await owner.locator('.created dl.facts code').allTextContents();
    productKey = key!;
    const sent = await sendSigned({
      baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'),
      productKey,
      secret: secret!,
      clientId: newClientId(),
      counter: 1,
      body: sampleCrash(),
    });
    expect(sent.status).toBe(202);
    await rollUpToTheEnd();
    await owner.goto(`${dashboardUrl()}/p/${productKey}/issues`);
    await owner.locator('table.issues tbody tr a').first().click();
    await owner.getByRole('heading', { name: 'Recent crashes' }).waitFor();
    issueUrl = owner.url();

    member = await invite('mia@example.com', 'Member: triages issues');
    viewer = await invite('victor@example.com', 'Viewer: reads only');
    await owner.reload();
    await owner.getByRole('combobox', { name: 'Role of victor@example.com' }).waitFor();
    await expect(owner.locator('table.list tbody tr').count()).resolves.toBe(3);
    await expect(owner.getByRole('combobox', { name: 'Role of mia@example.com' }).inputValue()).resolves.toBe('member');
    await expect(owner.getByRole('combobox', { name: 'Role of victor@example.com' }).inputValue()).resolves.toBe(
      'viewer',
    );
  }, 120_000);

  it('a member assigns, comments on and resolves the issue; the activity says who did what, newest first', async () => {
    await member.goto(issueUrl);
    await member.getByRole('heading', { name: 'Activity' }).waitFor();
    await member.getByText('Nothing yet: status changes, assignments and comments show here.').waitFor();
    await expect(member.locator('.product-head .role').textContent()).resolves.toBe('member');

    // Only mia is a member so far (the owner is listed as owner, victor as viewer).
    const mia = member.locator('#assignee option', { hasText: '(member)' });
    await member.getByLabel('Assigned to').selectOption((await mia.getAttribute('value'))!);
    await member.locator('ol.timeline li', { hasText: 'assigned this to' }).waitFor();

    await member.getByLabel('Comment').fill('Checkout breaks on an empty cart; fix in #88.');
    await expect(member.getByText('45 of 2000 characters').count()).resolves.toBe(1);
    await member.getByRole('button', { name: 'Add comment' }).click();
    await member.locator('ol.timeline li', { hasText: 'fix in #88' }).waitFor();
    await expect(member.getByLabel('Comment').inputValue()).resolves.toBe('');

    await member.getByRole('button', { name: 'Resolve' }).click();
    await member.getByRole('button', { name: 'Reopen' }).waitFor();
    await member.locator('ol.timeline li', { hasText: /resolved this in the release after/ }).waitFor();
    const entries = await member.locator('ol.timeline li').allTextContents();
    expect(entries.map((e) => e.replace(/\s+\S+ ago$|\s+just now$/, ''))).toEqual([
      expect.stringMatching(/^\S+ resolved this in the release after \S+/),
      expect.stringMatching(/^\S+ commented ?Checkout breaks on an empty cart; fix in #88\./),
      expect.stringMatching(/^\S+ assigned this to \S+/),
    ]);
    await expectAccessible(member, 'issue-member');
  }, 60_000);

  it('a member sees no control to manage the product, its keys, people, alerts or mappings', async () => {
    await member.goto(`${dashboardUrl()}/p/${productKey}/settings`);
    await member.getByRole('button', { name: 'Leave this product' }).waitFor();
    for (const name of OWNER_ONLY)
      expect([name, await member.getByRole('button', { name }).count()]).toEqual([name, 0]);
    expect(await member.getByRole('combobox', { name: /^Role of / }).count()).toBe(0);
    await expectAccessible(member, 'settings-member');
  }, 60_000);

  it('a viewer sees the assignee and the activity, and no status control, assignee picker or comment box', async () => {
    await viewer.goto(issueUrl);
    await viewer.locator('ol.timeline li', { hasText: 'fix in #88' }).waitFor();
    await expect(viewer.locator('.facts dt:text-is("Assigned to") + dd').textContent()).resolves.not.toBe('Nobody');
    expect(await viewer.getByRole('button', { name: /^(Resolve|Reopen|Ignore|Add comment)$/ }).count()).toBe(0);
    expect(await viewer.getByLabel('Assigned to').count()).toBe(0);
    expect(await viewer.getByLabel('Comment').count()).toBe(0);
    await expectAccessible(viewer, 'issue-viewer-activity');
    await viewer.goto(`${dashboardUrl()}/p/${productKey}/settings`);
    await viewer.getByRole('button', { name: 'Leave this product' }).waitFor();
    for (const name of OWNER_ONLY)
      expect([name, await viewer.getByRole('button', { name }).count()]).toEqual([name, 0]);
  }, 60_000);

  it('the owner makes the viewer a member, who then gets the controls', async () => {
    await owner.goto(`${dashboardUrl()}/p/${productKey}/settings`);
    const saved = owner.waitForResponse((r) => r.url().includes('/members/') && r.request().method() === 'PATCH');
    await owner.getByRole('combobox', { name: 'Role of victor@example.com' }).selectOption('member');
    expect((await saved).status()).toBe(200);
    // The table shows the role the product answers with once it is read again.
    const role = owner.getByRole('combobox', { name: 'Role of victor@example.com' });
    for (let i = 0; i < 50 && (await role.inputValue()) !== 'member'; i++) await owner.waitForTimeout(100);
    await expect(role.inputValue()).resolves.toBe('member');
    await expectAccessible(owner, 'settings-owner-team');
    await viewer.goto(issueUrl);
    await viewer.getByRole('button', { name: 'Reopen' }).waitFor();
    await viewer.getByLabel('Comment').waitFor();
  }, 60_000);

  it('sent no request beyond the loopback address', () => {
    expect(sessions.flatMap((s) => s.blocked)).toEqual([]);
  });
});

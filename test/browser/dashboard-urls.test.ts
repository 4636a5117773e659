/**
 * The dashboard's URL is its state (Chromium on the test stack): the issue list's pages survive a
 * reload ("Previous page" from page 3 after a reload lands on page 2, then page 1), and a link
 * with tab, sort and range opened by a colleague in a fresh session shows that same view.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { callApi, productWithViewer, rollUpToTheEnd } from '../emulator/api-client';
import { dashboardUrl, launchBrowser, newSession, seriousA11yViolations, signIn } from './browser';

/** Three pages of 25 issues, and one of them with the most crashes. */
const ISSUES = 55;
const TOP = 'Error: no row 0';
const RESOLVED = 'Error: no row 5';
let browser: Browser;
const sessions: Array<{ blocked: string[]; close(): Promise<void> }> = [];
let setup: Awaited<ReturnType<typeof productWithViewer>>;

async function session(email: string): Promise<Page> {
  const s = await newSession(browser);
  sessions.push({ blocked: s.blocked, close: () => s.context.close() });
  await signIn(s.page, email);
  return s.page;
}

/** The issue titles the list shows, once it shows `first` in its first row. */
async function rowsStartingWith(page: Page, first: string): Promise<string[]> {
  await page.locator('table.issues tbody tr').first().getByRole('link', { name: first, exact: true }).waitFor();
  return page.locator('table.issues tbody tr td:first-child a').allTextContents();
}

/** A tab of the issue list. */
const tab = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Issue status' }).getByRole('link', { name, exact: true });

/** The first row's title once the list no longer starts with `shown` (the next page has loaded). */
async function firstRowOtherThan(page: Page, shown: string): Promise<string> {
  const exactly = new RegExp(`^${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await page.locator('table.issues tbody tr td:first-child a').first().filter({ hasNotText: exactly }).waitFor();
  return firstRow(page);
}

async function firstRow(page: Page): Promise<string> {
  await page.locator('table.issues tbody tr').first().waitFor();
  return (await page.locator('table.issues tbody tr td:first-child a').first().textContent())!;
}

beforeAll(async () => {
  browser = await launchBrowser();
  setup = await productWithViewer();
  const base = Date.now() - ISSUES * 60_000;
  // One issue per client fingerprint; row 0 crashes three times, so it leads when sorted by crashes.
  for (let i = 0; i < ISSUES; i++)
    for (let n = 0; n < (i === 0 ? 3 : 1); n++)
      await setup.send('/v1/crashes', {
        reportId: randomUUID(),
        occurredAt: new Date(base + i * 60_000).toISOString(),
        fingerprint: `url-state-${i}`,
        exception: {
          type: 'Error',
          message: `no row ${i}`,
          stacktrace: `Error: no row ${i}\n    at row (/app/rows.js:${i + 1}:7)`,
        },
        app: { name: 'shop', version: '1.0' },
      });
  await rollUpToTheEnd();
  const listed = await callApi<{ issues: Array<{ id: string; title: string }> }>(
    setup.owner.token,
    'GET',
    `${setup.base}/issues?limit=100&days=0`,
  );
  expect(listed.json.issues).toHaveLength(ISSUES);
  const resolved = listed.json.issues.find((i) => i.title === RESOLVED)!;
  const patched = await callApi(setup.owner.token, 'PATCH', `${setup.base}/issues/${resolved.id}`, {
    status: 'resolved',
  });
  expect(patched.status).toBe(200);
}, 180_000);

afterAll(async () => {
  for (const s of sessions) await s.close();
  await browser?.close();
});

describe('the dashboard keeps its view in the URL', () => {
  it('goes back a page after a reload: page 3, reload, Previous lands on page 2, then page 1', async () => {
    const page = await session(setup.owner.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/issues`);
    const previous = page.getByRole('button', { name: 'Previous page' });
    const next = page.getByRole('button', { name: 'Next page' });

    const page1 = await rowsStartingWith(page, await firstRow(page));
    expect(page1).toHaveLength(25);
    await expect(previous.isDisabled()).resolves.toBe(true);
    await next.click();
    const page2First = await firstRowOtherThan(page, page1[0]!);
    expect(page1).not.toContain(page2First);
    const page2 = await rowsStartingWith(page, page2First);
    await next.click();
    const page3First = await firstRowOtherThan(page, page2First);
    expect([...page1, ...page2]).not.toContain(page3First);
    const page3 = await rowsStartingWith(page, page3First);
    expect(page3).toHaveLength(ISSUES - 1 - 50);
    await expect(next.isDisabled()).resolves.toBe(true);

    await page.reload();
    expect(await rowsStartingWith(page, page3First)).toEqual(page3);
    await previous.click();
    expect(await rowsStartingWith(page, page2First)).toEqual(page2);
    expect(new URL(page.url()).searchParams.getAll('cursor')).toHaveLength(1);

    // The page 2 link works on its own too: sent to a colleague, its Previous page is page 1.
    const shared = page.url();
    const colleague = await session(setup.viewer.email);
    await colleague.goto(shared);
    expect(await rowsStartingWith(colleague, page2First)).toEqual(page2);
    await colleague.getByRole('button', { name: 'Previous page' }).click();
    expect(await rowsStartingWith(colleague, page1[0]!)).toEqual(page1);
    expect(new URL(colleague.url()).search).toBe('');
    await expect(colleague.getByRole('button', { name: 'Previous page' }).isDisabled()).resolves.toBe(true);
    expect(await seriousA11yViolations(colleague)).toEqual([]);
  }, 120_000);

  it('opens a shared link with tab, sort and range on that view', async () => {
    const page = await session(setup.viewer.email);
    const issues = `${dashboardUrl()}/p/${setup.productKey}/issues`;

    await page.goto(`${issues}?sort=count`);
    await expect(firstRow(page)).resolves.toBe(TOP);
    await expect(page.getByRole('combobox', { name: 'Sort by' }).inputValue()).resolves.toBe('count');
    await expect(tab(page, 'Unresolved').getAttribute('aria-current')).resolves.toBe('page');

    await page.goto(`${issues}?status=resolved&sort=clients`);
    await expect(rowsStartingWith(page, RESOLVED)).resolves.toEqual([RESOLVED]);
    await expect(tab(page, 'Resolved').getAttribute('aria-current')).resolves.toBe('page');
    await expect(tab(page, 'Unresolved').getAttribute('aria-current')).resolves.toBeNull();
    await expect(page.getByRole('combobox', { name: 'Sort by' }).inputValue()).resolves.toBe('clients');

    // Choosing another sort writes the URL, so a reload keeps it.
    await page.getByRole('combobox', { name: 'Sort by' }).selectOption('lastSeen');
    await page.waitForURL((url) => url.search === '?status=resolved');
    await page.reload();
    await expect(rowsStartingWith(page, RESOLVED)).resolves.toEqual([RESOLVED]);
    await expect(page.getByRole('combobox', { name: 'Sort by' }).inputValue()).resolves.toBe('lastSeen');

    await page.goto(`${dashboardUrl()}/p/${setup.productKey}?range=30`);
    await page.getByText(/in the last 30 days/).waitFor();
    await expect(page.getByRole('combobox', { name: 'Range' }).inputValue()).resolves.toBe('30');

    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/usage?range=7`);
    await page.getByText('No usage reports in this range').waitFor();
    await expect(page.getByRole('combobox', { name: 'Range' }).inputValue()).resolves.toBe('7');
    await page.getByRole('combobox', { name: 'Range' }).selectOption('90');
    await page.waitForURL((url) => url.search === '?range=90');
    await page.reload();
    await expect(page.getByRole('combobox', { name: 'Range' }).inputValue()).resolves.toBe('90');
    expect(await seriousA11yViolations(page)).toEqual([]);
  }, 120_000);

  it('sent no request beyond the loopback address', () => {
    expect(sessions.flatMap((s) => s.blocked)).toEqual([]);
  });
});

/**
 * Search and filter chips on the issue list (Chromium on the test stack): a search pages across
 * more than one page, chips narrow it and come off again, and the whole view lives in the URL,
 * so a reload and a colleague's fresh session land on the same filtered list. axe stays clean.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { productWithViewer, rollUpToTheEnd } from '../emulator/api-client';
import { dashboardUrl, launchBrowser, newSession, screenshot, seriousA11yViolations, signIn } from './browser';

/**
 * 40 checkout issues and 20 shipping ones; every 4th on 2.0, every 3rd tagged region:eu. All in
 * production, and the first also twice in staging (3 crashes in all, 2 in staging).
 */
const ISSUES = 60;
const CHECKOUT = 40;
const title = (i: number) => (i < CHECKOUT ? `CheckoutError: cart ${i} failed` : `ShippingError: parcel ${i} lost`);
let browser: Browser;
const sessions: Array<{ close(): Promise<void> }> = [];
let setup: Awaited<ReturnType<typeof productWithViewer>>;

async function session(email: string): Promise<Page> {
  const s = await newSession(browser);
  sessions.push({ close: () => s.context.close() });
  await signIn(s.page, email);
  return s.page;
}

/** The titles listed once the list settles on `count` rows whose first is not `notFirst`. */
async function titles(page: Page, count: number, notFirst?: string): Promise<string[]> {
  const rows = page.locator('table.issues tbody tr td:first-child a');
  const deadline = Date.now() + 20_000;
  let last: string[] = [];
  while (Date.now() < deadline) {
    const busy = await page.locator('table.issues[aria-busy="true"]').count();
    last = await rows.allTextContents();
    if (busy === 0 && last.length === count && last[0] !== notFirst) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`the list did not settle on ${count} rows (first not ${notFirst ?? '-'}): ${JSON.stringify(last)}`);
}

const expected = (keep: (i: number) => boolean) =>
  Array.from({ length: ISSUES }, (_, i) => i)
    .filter(keep)
    .map(title);

beforeAll(async () => {
  browser = await launchBrowser();
  setup = await productWithViewer();
  const crash = (i: number, environment: string) => {
    const type = i < CHECKOUT ? 'CheckoutError' : 'ShippingError';
    const message = title(i).slice(type.length + 2);
    return setup.send('/v1/crashes', {
      reportId: randomUUID(),
      occurredAt: new Date().toISOString(),
      environment,
      fingerprint: `search-${i}`,
      exception: { type, message, stacktrace: `${type}: ${message}\n    at run (/app/jobs.js:${i + 1}:7)` },
      app: { name: 'shop', version: i % 4 === 0 ? '2.0' : '1.0' },
      tags: { region: i % 3 === 0 ? 'eu' : 'us' },
    });
  };
  for (let i = 0; i < ISSUES; i++) await crash(i, 'production');
  for (let n = 0; n < 2; n++) await crash(0, 'staging');
  await rollUpToTheEnd();
}, 180_000);

afterAll(async () => {
  for (const s of sessions) await s.close();
  await browser?.close();
});

describe('searching and filtering the issue list', () => {
  it('searches, pages, adds and removes chips, and keeps it all in the URL across reloads and sessions', async () => {
    const page = await session(setup.owner.email);
    const list = `${dashboardUrl()}/p/${setup.productKey}/issues`;
    await page.goto(list);
    await titles(page, 25);

    await page.getByRole('searchbox', { name: 'Search issues' }).fill('checkout');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const page1 = await titles(page, 25);
    expect(new URL(page.url()).searchParams.get('q')).toBe('checkout');
    expect(page1.every((t) => t.startsWith('CheckoutError'))).toBe(true);
    await page.getByRole('button', { name: 'Next page' }).click();
    const page2 = await titles(page, CHECKOUT - 25, page1[0]);
    expect(page2.every((t) => t.startsWith('CheckoutError'))).toBe(true);
    expect(new Set([...page1, ...page2])).toEqual(new Set(expected((i) => i < CHECKOUT)));
    await expect(page.getByRole('button', { name: 'Next page' }).isDisabled()).resolves.toBe(true);

    // A reload keeps the search and the page; Previous goes back to the search's first page.
    await page.reload();
    expect(await titles(page, CHECKOUT - 25)).toEqual(page2);
    await expect(page.getByRole('searchbox', { name: 'Search issues' }).inputValue()).resolves.toBe('checkout');
    await page.getByRole('button', { name: 'Previous page' }).click();
    expect(await titles(page, 25, page2[0])).toEqual(page1);

    // Chips: version 2.0, then a tag; each starts again from the first page.
    await page.getByRole('combobox', { name: 'Filter by' }).selectOption('version');
    await page.getByRole('textbox', { name: 'Version to filter by' }).fill('2.0');
    await page.getByRole('button', { name: 'Add filter' }).click();
    const v2 = await titles(page, 10);
    expect(new Set(v2)).toEqual(new Set(expected((i) => i < CHECKOUT && i % 4 === 0)));
    await page.getByRole('combobox', { name: 'Filter by' }).selectOption('tag');
    await page.getByRole('textbox', { name: 'Tag to filter by' }).fill('region');
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByRole('alert').filter({ hasText: 'A tag filter is key:value.' }).waitFor();
    await page.getByRole('textbox', { name: 'Tag to filter by' }).fill('region:eu');
    await page.getByRole('button', { name: 'Add filter' }).click();
    const eu = await titles(page, 4);
    expect(new Set(eu)).toEqual(new Set(expected((i) => i < CHECKOUT && i % 12 === 0)));
    const chips = page.getByRole('list', { name: 'Filters in force' });
    await expect(chips.getByRole('listitem').allTextContents()).resolves.toEqual([
      'Search: checkout×',
      'Version: 2.0×',
      'Tag: region:eu×',
      'Clear all',
    ]);
    const url = new URL(page.url());
    expect([url.searchParams.get('q'), url.searchParams.get('version'), url.searchParams.getAll('tag')]).toEqual([
      'checkout',
      '2.0',
      ['region:eu'],
    ]);
    await screenshot(page, 'issues-search');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // A colleague opening the link sees the same filtered list.
    const colleague = await session(setup.viewer.email);
    await colleague.goto(page.url());
    expect(new Set(await titles(colleague, 4))).toEqual(new Set(eu));

    // Removing the version chip widens to every checkout issue in eu; a reload keeps that.
    await page.getByRole('button', { name: 'Remove Version: 2.0' }).click();
    const euAll = expected((i) => i < CHECKOUT && i % 3 === 0);
    expect(new Set(await titles(page, euAll.length))).toEqual(new Set(euAll));
    await page.reload();
    expect(new Set(await titles(page, euAll.length))).toEqual(new Set(euAll));
    expect(new URL(page.url()).searchParams.get('version')).toBeNull();

    // A search that finds nothing says so; Clear all shows every issue again.
    await page.getByRole('searchbox', { name: 'Search issues' }).fill('refund');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No unresolved issues match', { exact: true }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Clear all' }).click();
    await titles(page, 25);
    expect(new URL(page.url()).search).toBe('');
  }, 180_000);

  it("searches within the picker's environment (env= in the URL), and keeps the search when it changes", async () => {
    const page = await session(setup.viewer.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/issues?env=staging&q=shipping`);
    await page.getByText('No unresolved issues match', { exact: true }).waitFor();
    await page.getByRole('combobox', { name: 'Environment' }).selectOption('');
    expect(new Set(await titles(page, ISSUES - CHECKOUT))).toEqual(new Set(expected((i) => i >= CHECKOUT)));
    const url = new URL(page.url());
    expect([url.searchParams.get('env'), url.searchParams.get('q')]).toEqual([null, 'shipping']);
  }, 60_000);

  it("counts each issue's crashes in the picker's environment, and says so in the column's name", async () => {
    const page = await session(setup.viewer.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/issues?env=staging&sort=count`);
    expect(await titles(page, 1)).toEqual([title(0)]);
    const table = page.getByRole('table');
    await expect(table.locator('thead th').nth(1).innerText()).resolves.toBe('Crashes in staging');
    await expect(table.locator('tbody td').nth(1).innerText()).resolves.toBe('2');
    await page.getByRole('combobox', { name: 'Environment' }).selectOption('');
    await page.waitForURL((url) => url.searchParams.get('env') === null);
    await titles(page, 25);
    await expect(table.locator('thead th').nth(1).innerText()).resolves.toBe('Crashes');
    // Every environment: issue 0's 3 crashes lead the list sorted by count.
    await expect(table.locator('tbody tr').first().locator('td').nth(1).innerText()).resolves.toBe('3');
  }, 60_000);
});

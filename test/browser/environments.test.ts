/**
 * The environment picker (Chromium on the test stack): real signed crash, usage and sessions
 * reports in production (from an SDK that names no environment) and staging, the real rollup,
 * then the dashboard: picking staging shows staging's figures only on every page, the choice is
 * in the URL and survives a reload, a shared link with env= applies it, the product remembers
 * it until "All environments" is picked again, and a release's issues are the environment's.
 */
import type { Browser, Page } from 'playwright-core';
import { fixtureIssueId } from '../unit/rollup/reports';
import { hourString, productWithViewer, rollUpToTheEnd, sdkInstall } from '../emulator/api-client';
import { dashboardUrl, launchBrowser, newSession, screenshot, seriousA11yViolations, signIn } from './browser';

const ISSUE_X = 'python/checkout-1.3.0-checkout';
const ISSUE_Y = 'java/checkout-1.3.0-shipping';

let browser: Browser;
const contexts: Array<{ close(): Promise<void> }> = [];
let setup: Awaited<ReturnType<typeof productWithViewer>>;

async function session(): Promise<Page> {
  const s = await newSession(browser);
  contexts.push(s.context);
  await signIn(s.page, setup.viewer.email);
  return s.page;
}

/** The first figure line of the page (the overview's crashes, the usage page's installs), spaces collapsed. */
async function figure(page: Page, startsWith: RegExp): Promise<string> {
  const line = page.locator('p.figure', { hasText: startsWith }).first();
  await line.waitFor();
  return (await line.innerText()).replace(/\s+/g, ' ').trim();
}

const picker = (page: Page) => page.getByRole('combobox', { name: 'Environment' });

beforeAll(async () => {
  browser = await launchBrowser();
  setup = await productWithViewer();
  const { productKey, secret } = setup;
  // Production: three installs whose SDK names no environment (stored as production).
  const prod = Array.from({ length: 3 }, (_, n) => sdkInstall(productKey, secret, `install-prod-${n}`));
  const staging = Array.from({ length: 2 }, (_, n) => sdkInstall(productKey, secret, `install-stage-${n}`, 'staging'));
  const hour = hourString(Date.now());
  for (const p of prod) {
    await p.crash(ISSUE_X, '2.3.0');
    await p.sessions('2.3.0', [[hour, { ok: 1 }]]);
    await p.usage('2.3.0', { runs: 1 });
  }
  await staging[0]!.crash(ISSUE_Y, '2.4.0-rc.1');
  // X, new in 2.3.0 in production, crashes in 2.4.0-rc.1 there too: not new in that release.
  await prod[0]!.crash(ISSUE_X, '2.4.0-rc.1');
  await staging[0]!.sessions('2.4.0-rc.1', [[hour, { crashed: 1 }]]);
  await staging[1]!.sessions('2.4.0-rc.1', [[hour, { ok: 1 }]]);
  for (const s of staging) await s.usage('2.4.0-rc.1', { runs: 1 });
  await rollUpToTheEnd();
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
});

describe('the environment picker', () => {
  it('picks staging and shows staging-only figures on every page, and a reload keeps it', async () => {
    const page = await session();
    const key = setup.productKey;
    await page.goto(`${dashboardUrl()}/p/${key}`);
    expect(await figure(page, /^\d+ crash(es)? from/)).toBe('5 crashes from 4 clients in the last 14 days');
    await expect(picker(page).inputValue()).resolves.toBe('');
    const options = await picker(page).locator('option').allInnerTexts();
    expect(options).toEqual(['All environments', 'production', 'staging']);

    await picker(page).selectOption('staging');
    await page.waitForURL((url) => url.pathname === `/p/${key}` && url.search === '?env=staging');
    expect(await figure(page, /^\d+ crash(es)? from/)).toBe('1 crash from 1 client in the last 14 days in staging');
    // The live feed too: staging's one crash, not production's four.
    await page.getByRole('heading', { name: /^Latest crashes in staging/ }).waitFor();
    const feed = page.locator('ul.feed li');
    await feed.first().waitFor();
    await expect(feed.allInnerTexts()).resolves.toEqual([expect.stringMatching(/ v2\.4\.0-rc\.1 · /)]);
    // The top issues count their crashes in staging: Y's one there (X has none there, so it is not listed).
    const top = page.getByRole('region', { name: 'Top unresolved issues' }).locator('li');
    await expect(top.allInnerTexts()).resolves.toEqual([expect.stringMatching(/ 1 crash in staging · 1 clients · /)]);
    await page.getByRole('heading', { name: 'Release health, last 14 days in staging' }).waitFor();
    await expect(page.getByRole('region', { name: 'Latest release' }).getByRole('link').innerText()).resolves.toBe(
      '2.4.0-rc.1',
    );
    await screenshot(page, 'environment-picker');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // Every tab keeps it.
    const tabs = page.getByRole('navigation', { name: 'Product' });
    await tabs.getByRole('link', { name: 'Usage' }).click();
    await page.waitForURL((url) => url.pathname === `/p/${key}/usage` && url.search === '?env=staging');
    expect(await figure(page, /usage reports/)).toBe(
      '2 distinct installs sent 2 usage reports in the last 30 days in staging',
    );
    await tabs.getByRole('link', { name: 'Releases' }).click();
    await page.waitForURL((url) => url.pathname === `/p/${key}/releases` && url.search === '?env=staging');
    const releases = page.getByRole('table', { name: /^Releases in the last/ });
    await releases.locator('tbody tr').first().waitFor();
    await expect(releases.locator('tbody th').allInnerTexts()).resolves.toEqual(['2.4.0-rc.1']);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await releases.getByRole('link', { name: '2.4.0-rc.1' }).click();
    await page.waitForURL(
      (url) => url.pathname === `/p/${key}/releases/2.4.0-rc.1` && url.searchParams.get('env') === 'staging',
    );
    await page.getByRole('heading', { name: 'Release 2.4.0-rc.1' }).waitFor();
    await expect(
      page
        .locator('dl.release-facts dt', { hasText: /^Sessions$/ })
        .locator('+ dd')
        .innerText(),
    ).resolves.toBe('2: 1 ok, 0 errored, 1 crashed, 0 abnormal');

    await page.reload();
    await page.getByRole('heading', { name: 'Release 2.4.0-rc.1' }).waitFor();
    await expect(picker(page).inputValue()).resolves.toBe('staging');
    await tabs.getByRole('link', { name: 'Overview' }).click();
    expect(await figure(page, /^\d+ crash(es)? from/)).toBe('1 crash from 1 client in the last 14 days in staging');
  }, 120_000);

  it('applies a shared link with env=, remembers it for the product, and forgets it for All environments', async () => {
    const page = await session();
    const key = setup.productKey;
    await page.goto(`${dashboardUrl()}/p/${key}/usage?env=production`);
    expect(await figure(page, /usage reports/)).toBe(
      '3 distinct installs sent 3 usage reports in the last 30 days in production',
    );
    await expect(picker(page).inputValue()).resolves.toBe('production');

    // A link without env= (the products list, a bookmark) opens the product in the remembered environment.
    await page.goto(`${dashboardUrl()}/p/${key}`);
    await page.waitForURL((url) => url.pathname === `/p/${key}` && url.search === '?env=production');
    expect(await figure(page, /^\d+ crash(es)? from/)).toBe(
      '4 crashes from 3 clients in the last 14 days in production',
    );
    await expect(page.evaluate(`localStorage.getItem('dumpcatcher.env.${key}')`)).resolves.toBe('production');

    await picker(page).selectOption('');
    await page.waitForURL((url) => url.pathname === `/p/${key}` && url.search === '');
    expect(await figure(page, /^\d+ crash(es)? from/)).toBe('5 crashes from 4 clients in the last 14 days');
    await page.reload();
    expect(await figure(page, /^\d+ crash(es)? from/)).toBe('5 crashes from 4 clients in the last 14 days');
    await expect(page.evaluate(`localStorage.getItem('dumpcatcher.env.${key}')`)).resolves.toBeNull();
  }, 120_000);

  it('shows a release page’s new and top issues of the environment picked, with its counts', async () => {
    const page = await session();
    const key = setup.productKey;
    /** The rows of one of the release page's issue tables: [issue id, installs, crashes]; an empty list when it says none. */
    const issues = async (title: string) => {
      const region = page.getByRole('region', { name: title });
      await region.locator('table, p.muted').first().waitFor();
      const rows = region.locator('tbody tr');
      const out: string[][] = [];
      for (let i = 0; i < (await rows.count()); i++) {
        const row = rows.nth(i);
        const href = (await row.getByRole('link').getAttribute('href')) ?? '';
        const cells = await row.locator('td').allInnerTexts();
        out.push([href.slice(href.lastIndexOf('/') + 1), cells[1]!, cells[2]!]);
      }
      return out;
    };
    const [x, y] = [fixtureIssueId(ISSUE_X), fixtureIssueId(ISSUE_Y)];
    const heading = page.getByRole('heading', { name: 'Release 2.4.0-rc.1' });

    await page.goto(`${dashboardUrl()}/p/${key}/releases/2.4.0-rc.1`);
    await heading.waitFor();
    expect(await issues('New in this release')).toEqual([[y, '1', '1']]);
    expect(await issues('Top issues by installs affected')).toEqual([x, y].sort().map((id) => [id, '1', '1']));

    await picker(page).selectOption('production');
    await page.waitForURL((url) => url.searchParams.get('env') === 'production');
    await page.getByText('No issue first seen in 2.4.0-rc.1 in the last 14 days in production.').waitFor();
    expect(await issues('Top issues by installs affected')).toEqual([[x, '1', '1']]);

    await picker(page).selectOption('staging');
    await page.waitForURL((url) => url.searchParams.get('env') === 'staging');
    await page.getByRole('region', { name: 'New in this release' }).getByRole('link').first().waitFor();
    expect(await issues('New in this release')).toEqual([[y, '1', '1']]);
    expect(await issues('Top issues by installs affected')).toEqual([[y, '1', '1']]);
  }, 120_000);
});

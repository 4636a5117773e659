/**
 * Release health in the dashboard (Chromium on the test stack): real signed /v1/sessions and
 * /v1/crashes reports of 16 installs over two releases and two days, the real rollup, then the
 * Releases tab, a release page, the overview's lead figures and an issue's installs line, each
 * with exactly the expected numbers, the fewer-than-10-installs floor, and the 390 px layout.
 */
import type { Browser, Page } from 'playwright-core';
import { fixtureIssueId } from '../unit/rollup/reports';
import { callApi, hourString, productWithViewer, rollUpToTheEnd, sdkInstall } from '../emulator/api-client';
import {
  dashboardUrl,
  launchBrowser,
  screenFit,
  screenshot,
  seriousA11yViolations,
  sizedSession,
  type KeptSession,
} from './browser';

const HOUR_MS = 3_600_000;
/** Issue X: a checkout crash first seen in 2.3.0, on three of its twelve installs. */
const ISSUE_X = 'python/checkout-1.3.0-checkout';
/** Issue Y: a shipping crash first seen in 2.2.0, on one of its five installs. */
const ISSUE_Y = 'java/checkout-1.3.0-shipping';

let browser: Browser;
const contexts: KeptSession[] = [];
let setup: Awaited<ReturnType<typeof productWithViewer>>;
const now = Date.now();
const thisHour = hourString(now);
const yesterdayHour = hourString(now - 24 * HOUR_MS);
const today = thisHour.slice(0, 10);
const yesterday = yesterdayHour.slice(0, 10);

const session = (email: string, width = 1280): Promise<Page> =>
  sizedSession(browser, contexts, email, { width, height: 900 });

/** The Releases table's rows as the cells' text, by column header. */
async function releaseRows(page: Page): Promise<Array<Record<string, string>>> {
  const table = page.getByRole('table', { name: /^Releases in the last/ });
  await table.locator('tbody tr').first().waitFor();
  const headers = (await table.locator('thead th').allTextContents()).map((h) => h.trim());
  const rows: Array<Record<string, string>> = [];
  for (const row of await table.locator('tbody tr').all()) {
    const cells = await row.locator('th, td').all();
    const entry: Record<string, string> = {};
    let column = 0;
    for (const cell of cells) {
      const span = Number((await cell.getAttribute('colspan')) ?? '1');
      const text = ((await cell.innerText()).trim() || (await cell.locator('svg').getAttribute('aria-label')) || '')
        .replace(/\s+/g, ' ')
        .trim();
      for (let i = 0; i < span; i++) entry[headers[column + i]!] = text;
      column += span;
    }
    rows.push(entry);
  }
  return rows;
}

/** A definition list's facts as term → text. */
async function facts(page: Page, selector: string): Promise<Record<string, string>> {
  const list = page.locator(selector).first();
  await list.waitFor();
  const terms = await list.locator('dt').allInnerTexts();
  const details = await list.locator('dd').allInnerTexts();
  return Object.fromEntries(terms.map((t, i) => [t.trim(), (details[i] ?? '').replace(/\s+/g, ' ').trim()]));
}

/** A chart's numbers, from the table beside it that screen readers read. */
async function chartTable(page: Page, caption: string): Promise<string[][]> {
  const table = page.locator('figure.chart table', {
    has: page.locator('caption', { hasText: new RegExp(`^${caption}`) }),
  });
  const rows = await table.locator('tbody tr').all();
  return Promise.all(rows.map(async (r) => (await r.locator('th, td').allInnerTexts()).map((t) => t.trim())));
}

beforeAll(async () => {
  browser = await launchBrowser();
  setup = await productWithViewer();
  const { productKey, secret } = setup;
  const a = Array.from({ length: 12 }, (_, n) => sdkInstall(productKey, secret, `install-23-${n}`));
  const b = Array.from({ length: 4 }, (_, n) => sdkInstall(productKey, secret, `install-22-${n}`));
  // 2.2.0: five installs (b0–b3, and a0 before it upgraded), so below the floor of 10 for rates.
  await a[0]!.sessions('2.2.0', [[yesterdayHour, { ok: 1 }]]);
  await b[0]!.sessions('2.2.0', [[yesterdayHour, { ok: 2 }]]);
  await b[1]!.crash(ISSUE_Y, '2.2.0');
  await b[1]!.sessions('2.2.0', [[yesterdayHour, { crashed: 1 }]]);
  await b[2]!.sessions('2.2.0', [[thisHour, { abnormal: 1 }]]);
  await b[3]!.sessions('2.2.0', [[thisHour, { ok: 1 }]]);
  // 2.3.0: twelve installs; nine clean runs, a handled error and two crashes (all issue X), and a late report of yesterday's runs.
  for (let n = 0; n < 9; n++) await a[n]!.sessions('2.3.0', [[thisHour, { ok: 1 }]]);
  await a[9]!.crash(ISSUE_X, '2.3.0');
  await a[9]!.sessions('2.3.0', [
    [yesterdayHour, { ok: 2 }],
    [thisHour, { errored: 1 }],
  ]);
  for (const n of [10, 11]) {
    await a[n]!.crash(ISSUE_X, '2.3.0');
    await a[n]!.sessions('2.3.0', [[thisHour, { crashed: 1 }]]);
  }
  await rollUpToTheEnd();
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
});

describe('release health in the dashboard', () => {
  it('lists both releases with exact rates, counts and sparklines, and the floor below 10 installs', async () => {
    const page = await session(setup.viewer.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}`);
    await page.getByRole('navigation', { name: 'Product' }).getByRole('link', { name: 'Releases' }).click();
    await page.waitForURL((url) => url.pathname === `/p/${setup.productKey}/releases`);
    const rows = await releaseRows(page);
    expect(rows).toEqual([
      {
        Release: '2.3.0',
        // 2 crashed of 14 sessions; 2 crashed of 12 installs; 12 of the 16 installs in the range.
        'Crash-free sessions': '85.71 %',
        'Crash-free installs': '83.33 %',
        Adoption: '75 %',
        Sessions: '14 2 crashed',
        Installs: '12 2 crashed',
        'New issues': '1',
        'Sessions per day': 'Release 2.3.0, sessions per day: 14 sessions over 14 days',
        'Last session': `${thisHour.replace('T', ' ').replace('Z', ' UTC')}`,
      },
      {
        Release: '2.2.0',
        'Crash-free sessions': 'too few installs for a rate',
        'Crash-free installs': 'too few installs for a rate',
        Adoption: '31.25 %',
        Sessions: '6 1 crashed',
        Installs: '5 1 crashed',
        'New issues': '1',
        'Sessions per day': 'Release 2.2.0, sessions per day: 6 sessions over 14 days',
        'Last session': `${thisHour.replace('T', ' ').replace('Z', ' UTC')}`,
      },
    ]);
    await screenshot(page, 'releases');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // The range is in the URL: a reload keeps it, and the figures do not change within it.
    await page.getByRole('combobox', { name: 'Range' }).selectOption('7');
    await page.waitForURL((url) => url.search === '?range=7');
    await page.reload();
    await expect(page.getByRole('combobox', { name: 'Range' }).inputValue()).resolves.toBe('7');
    expect((await releaseRows(page)).map((r) => [r.Release, r['Sessions per day']])).toEqual([
      ['2.3.0', 'Release 2.3.0, sessions per day: 14 sessions over 7 days'],
      ['2.2.0', 'Release 2.2.0, sessions per day: 6 sessions over 7 days'],
    ]);
  }, 120_000);

  it('opens a release page with its figures, its daily charts and its issues', async () => {
    const page = await session(setup.viewer.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/releases`);
    await page.getByRole('link', { name: '2.3.0', exact: true }).click();
    await page.waitForURL((url) => url.pathname === `/p/${setup.productKey}/releases/2.3.0`);
    await page.getByRole('heading', { name: 'Release 2.3.0' }).waitFor();
    const figures = await facts(page, 'dl.release-facts');
    expect(figures).toMatchObject({
      'Crash-free sessions': '85.71 %',
      'Crash-free installs': '83.33 %',
      Adoption: '75 % of installs',
      Sessions: '14: 11 ok, 1 errored, 2 crashed, 0 abnormal',
      Installs: '12, 2 with a crash',
      Crashes: '3',
    });
    const days = await chartTable(page, 'Sessions per day');
    expect(days.filter(([day]) => day === yesterday || day === today)).toEqual([
      [yesterday, '2', '0'],
      [today, '12', '2'],
    ]);
    expect(days.filter(([, sessions]) => sessions !== '0')).toHaveLength(2);
    const rates = await chartTable(page, 'Crash-free sessions per day');
    expect(rates.filter(([, rate]) => rate !== '—')).toEqual([
      [yesterday, '100 %'],
      [today, '83.33 %'],
    ]);
    const issue = await callApi<{ title: string }>(
      setup.viewer.token,
      'GET',
      `${setup.base}/issues/${fixtureIssueId(ISSUE_X)}`,
    );
    expect(issue.status).toBe(200);
    for (const section of ['New in this release', 'Top issues by installs affected']) {
      const rows = page.getByRole('region', { name: section, exact: true }).locator('tbody tr');
      await expect(rows.count()).resolves.toBe(1);
      await expect(rows.first().getByRole('link').innerText()).resolves.toBe(issue.json.title);
      // Installs, then crashes, of this release.
      await expect(rows.first().locator('td').nth(1).innerText()).resolves.toBe('3');
      await expect(rows.first().locator('td').nth(2).innerText()).resolves.toBe('3');
    }
    await screenshot(page, 'release');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // Below the floor the page gives counts, and no rate or rate chart.
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/releases/2.2.0`);
    await page.getByRole('heading', { name: 'Release 2.2.0' }).waitFor();
    expect(await facts(page, 'dl.release-facts')).toMatchObject({
      'Crash-free sessions': 'too few installs for a rate',
      'Crash-free installs': 'too few installs for a rate',
      Adoption: '31.25 % of installs',
      Sessions: '6: 4 ok, 0 errored, 1 crashed, 1 abnormal',
      Installs: '5, 1 with a crash',
      Crashes: '1',
    });
    await page.getByText('Crash-free sessions per day: too few installs for a rate (5 installs').waitFor();
    await expect(page.locator('figure.chart').count()).resolves.toBe(1);

    // A release without sessions or crashes in the range says so.
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/releases/9.9.9`);
    await page.getByText('Release 9.9.9 has no sessions or crashes in the last 14 days.').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
  }, 120_000);

  it('leads the overview with crash-free sessions and installs, the latest release beside the one before', async () => {
    const page = await session(setup.viewer.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}`);
    const lead = page.getByRole('region', { name: 'Release health, last 14 days' });
    await lead.locator('.lead-figures').waitFor();
    // 3 crashed of 20 sessions; 3 of the 16 installs had a crash (a0 ran both releases and counts once).
    const figures = (await lead.locator('.lead-figures').innerText()).replace(/\s+/g, ' ').trim();
    expect(figures).toBe('85 % crash-free sessions 81.25 % crash-free installs 20 sessions from 16 installs');
    const latest = lead.getByRole('region', { name: 'Latest release' });
    await expect(latest.getByRole('heading').innerText()).resolves.toBe('Latest release: 2.3.0');
    expect(await facts(page, 'section[aria-label="Latest release"] dl')).toEqual({
      'Crash-free sessions': '85.71 %',
      'Crash-free installs': '83.33 %',
      Adoption: '75 %',
      Sessions: '14 (2 crashed)',
      Installs: '12',
    });
    const before = lead.getByRole('region', { name: 'The release before' });
    await expect(before.getByRole('heading').innerText()).resolves.toBe('The release before: 2.2.0');
    expect(await facts(page, 'section[aria-label="The release before"] dl')).toEqual({
      'Crash-free sessions': 'too few installs for a rate',
      'Crash-free installs': 'too few installs for a rate',
      Adoption: '31.25 %',
      Sessions: '6 (1 crashed)',
      Installs: '5',
    });
    await screenshot(page, 'overview-release-health');
    expect(await seriousA11yViolations(page)).toEqual([]);
  }, 120_000);

  it("says how many installs an issue affects, and its share of the release's installs", async () => {
    const page = await session(setup.viewer.email);
    for (const [fixture, line] of [
      [ISSUE_X, "Affects 3 installs (25 % of 2.3.0's installs)"],
      // 2.2.0 has five installs: below the floor the share is said as counts.
      [ISSUE_Y, "Affects 1 install (1 of 2.2.0's 5 installs)"],
    ]) {
      await page.goto(`${dashboardUrl()}/p/${setup.productKey}/issues/${fixtureIssueId(fixture!)}`);
      await page.locator('p.affects[aria-busy="false"]').waitFor();
      await expect(page.locator('p.affects').innerText()).resolves.toBe(line);
    }
    expect(await seriousA11yViolations(page)).toEqual([]);
  }, 120_000);

  it('fits a 390 px wide screen: the releases table scrolls in its own box, the page does not', async () => {
    const page = await session(setup.viewer.email, 390);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/releases`);
    const rows = await releaseRows(page);
    expect(rows.map((r) => [r.Release, r['Crash-free sessions'], r.Sessions])).toEqual([
      ['2.3.0', '85.71 %', '14 2 crashed'],
      ['2.2.0', 'too few installs for a rate', '6 1 crashed'],
    ]);
    const box = page.getByRole('region', { name: 'Releases table' });
    const [scrollWidth, clientWidth] = await box.evaluate((el) => [el.scrollWidth, el.clientWidth]);
    expect(clientWidth).toBeLessThanOrEqual(390);
    expect(scrollWidth).toBeGreaterThan(clientWidth);
    expect(await screenFit(page)).toEqual({ scrollWidth: 390, outside: [] });
    await screenshot(page, 'releases-390');
    expect(await seriousA11yViolations(page)).toEqual([]);

    for (const path of [`/p/${setup.productKey}`, `/p/${setup.productKey}/releases/2.3.0`]) {
      await page.goto(`${dashboardUrl()}${path}`);
      await page.locator('dl.facts').first().waitFor();
      expect([path, await screenFit(page)]).toEqual([path, { scrollWidth: 390, outside: [] }]);
      expect(await seriousA11yViolations(page)).toEqual([]);
    }
  }, 120_000);

  it('shows a product without sessions the empty state, with where sessions come from', async () => {
    const other = await callApi<{ productKey: string }>(setup.owner.token, 'POST', '/v1/products', { name: 'Quiet' });
    expect(other.status).toBe(201);
    const page = await session(setup.owner.email);
    await page.goto(`${dashboardUrl()}/p/${other.json.productKey}/releases`);
    await page.getByText('No sessions yet in the last 14 days').waitFor();
    await page.getByText(/The SDKs send sessions from version \S+ on/).waitFor();
    await page.getByText('docs/release-health.md', { exact: false }).first().waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
  }, 120_000);

  it('sent no request beyond the loopback address', () => {
    expect(contexts.flatMap((c) => c.blocked)).toEqual([]);
  });
});

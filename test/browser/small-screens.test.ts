/**
 * Every page of a product at 390 px wide (a phone held upright), in Chromium on the test stack,
 * as its owner, a viewer and a stranger, with a long comment in the activity: screenFit (in
 * browser.ts) finds nothing beyond the screen's edge outside a box that scrolls on its own, and
 * axe nothing serious. small-screens-pages.test.ts does the same with heavier data (long class
 * names, a searched list, every fold open) and the sign-in page.
 */
import type { Browser, Page } from 'playwright-core';
import { fixtureCrash } from '../unit/rollup/reports';
import { callApi, hourString, productWithViewer, rollUpToTheEnd, sdkInstall } from '../emulator/api-client';
import {
  dashboardUrl,
  launchBrowser,
  phone as phoneSession,
  phoneMisfits,
  screenshot,
  type KeptSession,
} from './browser';

let browser: Browser;
const contexts: KeptSession[] = [];
let setup: Awaited<ReturnType<typeof productWithViewer>>;
let issueId = '';

const phone = (email: string | null): Promise<Page> => phoneSession(browser, contexts, email);

/** What a page breaks at 390 px (nothing: `[]`), its axe findings included; saves a screenshot. */
async function misfits(page: Page, name: string): Promise<unknown[]> {
  await screenshot(page, `narrow-${name}`);
  return phoneMisfits(page, name);
}

beforeAll(async () => {
  browser = await launchBrowser();
  setup = await productWithViewer();
  const { productKey, secret, base } = setup;
  const install = sdkInstall(productKey, secret, 'install-390');
  await install.sessions('2.3.0-beta.1+build.2026.12.07', [[hourString(Date.now()), { ok: 3, crashed: 1 }]]);
  await setup.send(
    '/v1/crashes',
    fixtureCrash('java/checkout-1.3.0-shipping', { version: '2.3.0-beta.1+build.2026.12.07' }),
  );
  await rollUpToTheEnd();
  const listed = await callApi<{ issues: Array<{ id: string }> }>(setup.owner.token, 'GET', `${base}/issues`);
  issueId = listed.json.issues[0]!.id;
  // A long comment without spaces, the kind that pushes a page wide.
  const comment = await callApi(setup.owner.token, 'POST', `${base}/issues/${issueId}/comments`, {
    text: 'https://example.com/' + 'a-very-long-path-segment/'.repeat(12),
  });
  expect(comment.status).toBe(201);
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
});

describe('every page at 390 px wide', () => {
  it('each page of a product, as its owner', async () => {
    const page = await phone(setup.owner.email);
    await page.getByRole('heading', { name: 'Your products' }).waitFor();
    const found = await misfits(page, 'products');
    const key = setup.productKey;
    const pages: Array<[string, string, (p: Page) => Promise<void>]> = [
      ['overview', `/p/${key}`, (p) => p.getByRole('heading', { name: /Latest crashes/ }).waitFor()],
      ['issues', `/p/${key}/issues`, (p) => p.locator('table.issues tbody tr').first().waitFor()],
      ['issue', `/p/${key}/issues/${issueId}`, (p) => p.locator('ol.timeline li').first().waitFor()],
      ['releases', `/p/${key}/releases`, (p) => p.getByRole('region', { name: 'Releases table' }).waitFor()],
      [
        'release',
        `/p/${key}/releases/${encodeURIComponent('2.3.0-beta.1+build.2026.12.07')}`,
        (p) => p.locator('dl.facts').first().waitFor(),
      ],
      ['usage', `/p/${key}/usage`, (p) => p.getByRole('combobox', { name: 'Range' }).waitFor()],
      ['settings', `/p/${key}/settings`, (p) => p.getByRole('button', { name: 'Delete product' }).waitFor()],
    ];
    for (const [name, path, ready] of pages) {
      await page.goto(`${dashboardUrl()}${path}`);
      await ready(page);
      found.push(...(await misfits(page, name)));
    }
    expect(found).toEqual([]);
  }, 180_000);

  it("the issue and settings pages as a viewer, and a stranger's not-found page", async () => {
    const viewer = await phone(setup.viewer.email);
    await viewer.goto(`${dashboardUrl()}/p/${setup.productKey}/issues/${issueId}`);
    await viewer.locator('ol.timeline li').first().waitFor();
    const found = await misfits(viewer, 'issue-viewer');
    await viewer.goto(`${dashboardUrl()}/p/${setup.productKey}/settings`);
    await viewer.getByRole('button', { name: 'Leave this product' }).waitFor();
    found.push(...(await misfits(viewer, 'settings-viewer')));
    const stranger = await phone('stranger-390@example.com');
    await stranger.goto(`${dashboardUrl()}/p/${setup.productKey}`);
    await stranger.getByRole('heading', { name: 'Product not found' }).waitFor();
    found.push(...(await misfits(stranger, 'not-found')));
    expect(found).toEqual([]);
  }, 120_000);

  it('sent no request beyond the loopback address', () => {
    expect(contexts.flatMap((c) => c.blocked)).toEqual([]);
  });
});

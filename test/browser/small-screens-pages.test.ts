/**
 * Every dashboard page on a 390 px wide phone (Chromium on the test stack), with realistic data:
 * 27 issues with long titles over two releases and two environments, sessions and usage, a
 * viewer, a pending invitation, an alert destination, a mapping and an upload token. On each
 * page the document is no wider than the screen and nothing reaches past it except inside a box
 * that scrolls sideways by design (screenFit in browser.ts), and axe-core finds nothing serious.
 * The issue page's cause chain and source lines at 390 px are crash-view.test.ts's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { sampleCrash } from '../../scripts/lib/client';
import {
  callApi,
  googleUser,
  hourString,
  productWithViewer,
  rollUpToTheEnd,
  sdkInstall,
  sendApi,
} from '../emulator/api-client';
import { fixtureIssueId } from '../unit/rollup/reports';
import {
  dashboardUrl,
  launchBrowser,
  phone as phoneSession,
  phoneMisfits,
  PHONE,
  screenshot,
  type KeptSession,
} from './browser';

const WIDTH = PHONE.width;
const ISSUE_X = 'python/checkout-1.3.0-checkout';
const ISSUE_Y = 'java/checkout-1.3.0-shipping';
/** More than a page of the issue list (25), so its pager shows too. */
const LONG_TITLED = 26;
const PENDING = 'release-engineering-oncall-rotation@payments-subsidiary.example.com';
const JAVA_TRACE = readFileSync(join(__dirname, '..', 'fixtures', 'java', 'payments.txt'), 'utf8');

let browser: Browser;
const contexts: KeptSession[] = [];
let setup: Awaited<ReturnType<typeof productWithViewer>>;

const phone = (email: string | null): Promise<Page> => phoneSession(browser, contexts, email);

/** The page as it is now fits the phone and is axe clean; `what` names it in a failure. */
async function expectFits(page: Page, what: string): Promise<void> {
  expect(await phoneMisfits(page, what)).toEqual([]);
}

beforeAll(async () => {
  browser = await launchBrowser();
  setup = await productWithViewer();
  const { owner, productKey, secret, send, base } = setup;
  const hour = hourString(Date.now());
  const installs = Array.from({ length: 4 }, (_, n) => sdkInstall(productKey, secret, `install-phone-${n}`));
  const staging = sdkInstall(productKey, secret, 'install-phone-staging', 'staging-eu-west-1');
  for (const [n, install] of installs.entries()) {
    const version = n < 3 ? '2.3.0' : '2.2.0';
    await install.crash(n % 2 === 0 ? ISSUE_X : ISSUE_Y, version);
    await install.sessions(version, [[hour, { ok: 3, crashed: 1 }]]);
    await install.usage(version, {
      os: 'Android 14 (API 34) on a Pixel 8 Pro, build AP2A.240805.005.F1',
      command: 'export --format=csv --include-archived-orders --since=2024-01-01',
      runs: n + 1,
    });
  }
  await staging.crash(ISSUE_Y, '2.4.0-rc.1');
  await staging.sessions('2.4.0-rc.1', [[hour, { crashed: 1 }]]);
  for (let n = 0; n < LONG_TITLED; n++)
    await send(
      '/v1/crashes',
      sampleCrash({
        exception: {
          type: 'com.example.shop.checkout.payments.gateway.PaymentGatewayTimeoutException',
          message: `the payment gateway at pay.example.com did not answer within 30 s for order A-${10_000 + n} (attempt 3 of 3)`,
          stacktrace: JAVA_TRACE,
        },
        runtime: { name: 'java', version: '21.0.4' },
        app: { name: 'shop', version: '2.3.0' },
        fingerprint: `gateway-timeout-${n}`,
      }),
    );
  await rollUpToTheEnd();

  const api = (method: string, path: string, body?: unknown) => callApi(owner.token, method, `${base}${path}`, body);
  expect((await api('POST', '/invitations', { email: PENDING })).status).toBe(201);
  const alert = await api('POST', '/alerts', {
    kind: 'webhook',
    url: 'http://127.0.0.1:9/hooks/dumpcatcher/checkout-web-production-eu-west-1/issues',
    events: ['issue.new', 'issue.regressed', 'issue.spike'],
    spikeThreshold: 100,
  });
  expect([alert.status, alert.text]).toEqual([201, expect.any(String)]);
  const mapping = readFileSync(join(__dirname, '..', 'fixtures', 'android', 'r8-notes-2.1-mapping.txt'));
  const upload = await sendApi(owner.token, 'PUT', `${base}/mappings/91be04d`, {
    body: mapping,
    headers: { 'Content-Type': 'text/plain' },
  });
  expect(upload.status).toBe(201);
  expect((await api('POST', '/upload-tokens', { name: 'GitHub Actions release workflow (android-app)' })).status).toBe(
    201,
  );
  // The owner is invited to someone else's product too, so the products page shows an invitation.
  const other = await googleUser('payments-lead');
  const otherProduct = await callApi(other.token, 'POST', '/v1/products', { name: 'Payments gateway (staging)' });
  expect(otherProduct.status).toBe(201);
  const key = otherProduct.json.productKey as string;
  expect((await callApi(other.token, 'POST', `/v1/products/${key}/invitations`, { email: owner.email })).status).toBe(
    201,
  );
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
});

describe('every page at 390 px wide', () => {
  it('fits the sign-in page', async () => {
    const page = await phone(null);
    await page.goto(dashboardUrl());
    await page.getByLabel('Email').waitFor();
    await expectFits(page, 'sign-in');
  });

  it('fits the products page with an invitation, and a product just created with its SDK set-up', async () => {
    const page = await phone(setup.owner.email);
    await page.getByRole('button', { name: 'Accept invitation to Payments gateway (staging)' }).waitFor();
    await page.getByRole('table', { name: 'Your products' }).waitFor();
    await expectFits(page, 'products');
    await page.getByLabel('Product name').fill('Checkout web (production, EU)');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.getByRole('heading', { name: /is ready$/ }).waitFor();
    await page.getByRole('region', { name: 'SDK set-up' }).waitFor();
    await expectFits(page, 'product created, SDK set-up');
  });

  it('fits the overview, its tabs and environment picker', async () => {
    const page = await phone(setup.owner.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}`);
    await page.getByRole('region', { name: 'Top unresolved issues' }).getByRole('link').first().waitFor();
    await page.locator('dl.facts').first().waitFor();
    await page.getByRole('combobox', { name: 'Environment' }).waitFor();
    await page.locator('.chart canvas').first().waitFor();
    await expectFits(page, 'overview');
    await screenshot(page, 'overview-390');
  });

  it('fits the issue list of long titles: the table scrolls in its own box, the pager stays on screen', async () => {
    const page = await phone(setup.owner.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/issues?sort=count`);
    const table = page.getByRole('table', { name: /issues sorted by/ });
    await table.locator('tbody tr').nth(24).waitFor();
    await page.getByRole('button', { name: 'Next page' }).waitFor();
    await expectFits(page, 'issues');
    const box = page.getByRole('region', { name: 'Issues table' });
    const [scrollWidth, clientWidth] = await box.evaluate((el) => [el.scrollWidth, el.clientWidth]);
    expect(clientWidth).toBeLessThanOrEqual(WIDTH);
    expect(scrollWidth).toBeGreaterThan(clientWidth);
    await screenshot(page, 'issues-390');
    // Searched and filtered, with a chip for each filter.
    const query =
      'q=gateway&version=2.3.0&type=com.example.shop.checkout.payments.gateway.PaymentGatewayTimeoutException';
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/issues?${query}&tag=region:eu-west-1`);
    await page.getByRole('list', { name: 'Filters in force' }).waitFor();
    await page
      .getByText(/^No unresolved issues match$/)
      .or(table.locator('tbody tr').first())
      .waitFor();
    await expectFits(page, 'issues, searched and filtered');
  });

  it('fits an issue page with the owner’s controls', async () => {
    const page = await phone(setup.owner.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/issues/${fixtureIssueId(ISSUE_Y)}`);
    await page.getByRole('heading', { name: 'Recent crashes' }).waitFor();
    await page.getByRole('button', { name: 'Resolve' }).waitFor();
    await page.locator('p.affects[aria-busy="false"]').waitFor();
    await expectFits(page, 'issue');
    // Folded library frames and breadcrumb data open too.
    for (const summary of await page.locator('details:not([open]) > summary').all()) await summary.click();
    await expectFits(page, 'issue, everything unfolded');
    await page.getByRole('button', { name: 'Raw', exact: true }).click();
    await page.locator('pre.raw').waitFor();
    await expectFits(page, 'issue, raw trace');
  });

  it('fits the releases, a release and usage', async () => {
    const page = await phone(setup.owner.email);
    const key = setup.productKey;
    await page.goto(`${dashboardUrl()}/p/${key}/releases`);
    await page
      .getByRole('table', { name: /^Releases in the last/ })
      .locator('tbody tr')
      .first()
      .waitFor();
    await expectFits(page, 'releases');
    await page.goto(`${dashboardUrl()}/p/${key}/releases/2.3.0`);
    await page.locator('dl.facts').first().waitFor();
    await page.locator('.chart canvas').first().waitFor();
    await expectFits(page, 'release');
    await page.goto(`${dashboardUrl()}/p/${key}/usage`);
    await page.getByRole('region', { name: 'Metric command' }).waitFor();
    await expectFits(page, 'usage');
  });

  it('fits the owner’s settings: keys and SDK set-up, members, invitations, alerts, mappings, deletion', async () => {
    const page = await phone(setup.owner.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/settings`);
    await page.getByRole('button', { name: `Revoke invitation for ${PENDING}` }).waitFor();
    await page.getByRole('button', { name: 'Delete mapping 91be04d' }).waitFor();
    await page.getByRole('button', { name: /^Revoke upload token/ }).waitFor();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    await page.getByText('hooks/dumpcatcher').first().waitFor();
    await page.getByRole('region', { name: 'SDK set-up', exact: true }).waitFor();
    await expectFits(page, 'settings, owner');
  });

  it('fits the viewer’s settings and the pages for a missing product and a missing page', async () => {
    const page = await phone(setup.viewer.email);
    await page.goto(`${dashboardUrl()}/p/${setup.productKey}/settings`);
    await page.getByRole('button', { name: 'Leave this product' }).waitFor();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    await expectFits(page, 'settings, viewer');
    await page.goto(`${dashboardUrl()}/p/pk_nosuchproduct0000000000/issues`);
    await page.getByRole('heading', { name: 'Product not found' }).waitFor();
    await expectFits(page, 'product not found');
    await page.goto(`${dashboardUrl()}/no/such/page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await expectFits(page, 'page not found');
  });

  it('sent no request beyond the loopback address', () => {
    expect(contexts.flatMap((c) => c.blocked)).toEqual([]);
  });
});

/**
 * A real Chromium for the dashboard tests: Debian's `chromium` driven by playwright-core (no
 * browser download). Every request that is not to a loopback address is blocked and recorded.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { signInWithGoogle } from '../../scripts/lib/id-token';
import { callApi } from '../emulator/api-client';
import { requireEnv } from '../emulator/helpers';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

/** The Chromium to drive: DUMPCATCHER_CHROMIUM, else Debian's; missing is a failure that says what to install. */
export function chromiumPath(): string {
  const configured = process.env.DUMPCATCHER_CHROMIUM;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`DUMPCATCHER_CHROMIUM=${configured} does not exist.`);
    return configured;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found === undefined)
    throw new Error(
      "Chromium is missing: the dashboard tests need a real browser. Install Debian's package with " +
        '`apt-get install chromium` (CI does this in .ci/run), or set DUMPCATCHER_CHROMIUM to a Chromium binary.',
    );
  return found;
}

/** Launches headless Chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A browser context (one person's session) that may only reach loopback addresses. */
export async function newSession(
  browser: Browser,
): Promise<{ context: BrowserContext; page: Page; blocked: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dashboardUrl() });
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || LOOPBACK.has(url.hostname)) return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  return { context, page, blocked };
}

/** The test stack's dashboard URL. */
export function dashboardUrl(): string {
  return requireEnv('DUMPCATCHER_DASHBOARD_URL');
}

/** Signs in on the dashboard's emulator form as a verified Google account and waits for the products page. */
export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(dashboardUrl());
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: /^Sign in/ }).click();
  await page.getByRole('heading', { name: 'Your products' }).waitFor();
}

/** A new verified Google account of the Auth emulator and a product it owns, made through the api; the secret is shown once. */
export async function createOwnedProduct(
  email: string,
  name: string,
): Promise<{ token: string; productKey: string; secret: string }> {
  const token = (await signInWithGoogle(requireEnv('FIREBASE_AUTH_EMULATOR_HOST'), { email })).idToken;
  const created = await callApi(token, 'POST', '/v1/products', { name });
  if (created.status !== 201) throw new Error(`creating product ${name} answered ${created.status}: ${created.text}`);
  return { token, productKey: created.json.productKey as string, secret: created.json.secret as string };
}

/** A session signed in as `email` on the dashboard: its page, the requests it had blocked, and how to close it. */
export async function signedInSession(
  browser: Browser,
  email: string,
): Promise<{ page: Page; blocked: string[]; close: () => Promise<void> }> {
  const s = await newSession(browser);
  await signIn(s.page, email);
  return { page: s.page, blocked: s.blocked, close: () => s.context.close() };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (evaluated over CDP, so the CSP stays on). */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
  )) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

/**
 * Where screenshots go: `.local/screenshots` by default; `docs/screenshots` when
 * DUMPCATCHER_SCREENSHOTS=docs (`npm run docs:screenshots` refreshes the ones docs/dashboard.md shows).
 */
export function screenshotDir(): string {
  const root = join(__dirname, '..', '..');
  const dir =
    process.env.DUMPCATCHER_SCREENSHOTS === 'docs'
      ? join(root, 'docs', 'screenshots')
      : join(root, '.local', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Saves a full-page screenshot named after the page. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir(), `${name}.png`), fullPage: true });
}

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

/** A session a suite keeps, to check at the end that it reached nothing off the machine, and to close. */
export interface KeptSession {
  blocked: string[];
  close(): Promise<void>;
}

/** A phone held upright: the width the small-screen tests hold every page to. */
export const PHONE = { width: 390, height: 844 } as const;

/** A session of viewport `size`, signed in as `email` unless null, kept in `kept`; its page. */
export async function sizedSession(
  browser: Browser,
  kept: KeptSession[],
  email: string | null,
  size: { width: number; height: number },
): Promise<Page> {
  const s = await newSession(browser);
  kept.push({ blocked: s.blocked, close: () => s.context.close() });
  await s.page.setViewportSize(size);
  if (email !== null) await signIn(s.page, email);
  return s.page;
}

/** A phone-sized session (PHONE), signed in as `email` unless null, kept in `kept`; its page. */
export function phone(browser: Browser, kept: KeptSession[], email: string | null): Promise<Page> {
  return sizedSession(browser, kept, email, PHONE);
}

/** How a page keeps to a narrow screen: the document's width, and each element that reaches past the viewport. */
export interface ScreenFit {
  scrollWidth: number;
  /**
   * What reaches outside [0, viewport width] and is not inside a box that scrolls sideways: each
   * control (named by its text) first, then the outermost other elements, then text running out of its element.
   */
  outside: string[];
}

/*
 * Runs in the page (a string: the test's tsconfig has no DOM types). An element is hidden when it
 * or an ancestor is not displayed, when an ancestor clips it the visually-hidden way (its own box
 * still counts: a table is as wide as its content, clipped or not), or when it is put wholly left
 * of the screen on purpose (the skip link until focused). A scroller is an ancestor with
 * overflow-x auto or scroll that itself fits the viewport.
 */
const SCREEN_FIT = `(() => {
  const width = document.documentElement.clientWidth;
  const CONTROLS = 'button, a, input, select, textarea, summary';
  const fits = (r) => r.left >= -0.5 && r.right <= width + 0.5;
  const hidden = (e, own = e) => {
    for (let a = e; a !== null; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.display === 'none' || s.visibility === 'hidden') return true;
      if (a !== own && s.clip !== 'auto' && s.clip !== '') return true;
      if (s.position === 'absolute' && a.getBoundingClientRect().right <= 0) return true;
    }
    return false;
  };
  const inScroller = (e) => {
    for (let a = e.parentElement; a !== null && a !== document.body; a = a.parentElement) {
      const x = getComputedStyle(a).overflowX;
      if ((x === 'auto' || x === 'scroll') && fits(a.getBoundingClientRect())) return true;
    }
    return false;
  };
  const span = (r) => ' ' + Math.round(r.left) + '..' + Math.round(r.right);
  const label = (e) => {
    const cls = typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '';
    const said = e.getAttribute('aria-label') || (e.labels && e.labels[0] ? e.labels[0].innerText : '') || e.innerText || e.value || '';
    const text = e.matches(CONTROLS) ? ' "' + said.trim().replace(/\\s+/g, ' ').slice(0, 60) + '"' : '';
    return e.tagName.toLowerCase() + cls + text;
  };
  const outside = new Set([...document.body.querySelectorAll('*')].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && !fits(r) && !hidden(e) && !inScroller(e);
  }));
  // Each control, and otherwise only the outermost element that sticks out (not every cell of a wide table).
  const named = [...outside].filter((e) => e.matches(CONTROLS) || !outside.has(e.parentElement));
  named.sort((a, b) => Number(b.matches(CONTROLS)) - Number(a.matches(CONTROLS)));
  // A word too long for its line runs out of its element without making the element any wider.
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t !== null; t = walker.nextNode()) {
    const e = t.parentElement;
    if (t.textContent.trim() === '' || e === null || outside.has(e) || hidden(e, null) || inScroller(t)) continue;
    const range = document.createRange();
    range.selectNodeContents(t);
    const r = range.getBoundingClientRect();
    if (r.width > 0 && !fits(r)) words.push('text "' + t.textContent.trim().slice(0, 40) + '" in ' + label(e) + span(r));
  }
  return { scrollWidth: document.documentElement.scrollWidth, outside: [...named.map((e) => label(e) + span(e.getBoundingClientRect())), ...words] };
})()`;

/**
 * Whether the page as it is now keeps to the viewport's width: the document is no wider than the
 * viewport, and every visible element (each button, link, field, select and summary among them)
 * lies within it, unless it is inside a box that scrolls sideways by design (a `.table-scroll`
 * wrapper, a code block) which itself fits: such boxes are the only overflow a page may have.
 */
export async function screenFit(page: Page): Promise<ScreenFit> {
  return (await page.evaluate(SCREEN_FIT)) as ScreenFit;
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

/**
 * What the page as it is now breaks on a phone (PHONE), each naming `what`: elements past its
 * width (screenFit), a document wider than it, and axe-core's serious findings; `[]` when nothing.
 */
export async function phoneMisfits(page: Page, what: string): Promise<string[]> {
  const { scrollWidth, outside } = await screenFit(page);
  const found = outside.map((p) => `${what}: ${p}`);
  if (scrollWidth !== PHONE.width) found.push(`${what}: the document is ${scrollWidth} px wide`);
  for (const v of await seriousA11yViolations(page)) found.push(`${what}: ${v}`);
  return found;
}

/**
 * The issue page's cause chain, breadcrumbs and source lines in Chromium on the test stack:
 * real traces (test/fixtures, made by python3, java and node) sent to the real ingest with
 * breadcrumbs and the programs' own source lines, grouped by the real rollup, read through the
 * api by the dashboard. Checked at 1280 px and at 390 px, with axe-core; `issue.png` is saved here.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { newClientId, sendSigned } from '../../scripts/lib/client';
import { rollUpToTheEnd } from '../emulator/api-client';
import { requireEnv } from '../emulator/helpers';
import {
  createOwnedProduct,
  dashboardUrl,
  launchBrowser,
  screenFit,
  screenshot,
  seriousA11yViolations,
  signedInSession,
} from './browser';

const FIXTURES = join(__dirname, '..', 'fixtures');
const read = (path: string) => readFileSync(join(FIXTURES, path), 'utf8');
const OWNER = `chain-${randomUUID().slice(0, 8)}@example.com`;
const PY_DIR = '/tmp/dumpcatcher-fixtures/python';
let browser: Browser;
let page: Page;
let blocked: string[];
let closeSession: () => Promise<void>;
let productKey = '';
const crashAt = new Date();
const before = (ms: number) => new Date(crashAt.getTime() - ms).toISOString();

/** The lines an SDK sends for `line` of `text` (source-context-v1.json): two before, the line, two after. */
function linesAround(file: string, text: string, line: number) {
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return {
    file,
    line,
    pre: all.slice(Math.max(0, line - 3), line - 1),
    context: all[line - 1] ?? '',
    post: all.slice(line, line + 2),
  };
}

const BREADCRUMBS = [
  {
    timestamp: before(5200),
    category: 'log',
    level: 'info',
    message: 'checkout started for A-1001',
    data: { logger: 'shop' },
  },
  {
    timestamp: before(3100),
    category: 'http',
    level: 'info',
    message: 'GET api.shop.test/cart',
    data: { method: 'GET', host: 'api.shop.test', path: '/cart', status: 200 },
  },
  {
    timestamp: before(1250),
    category: 'http',
    level: 'error',
    message: 'POST pay.shop.test/v1/charge',
    data: { method: 'POST', host: 'pay.shop.test', path: '/v1/charge', status: 502 },
  },
  { timestamp: before(400), category: 'log', level: 'warning', message: 'gateway unavailable, giving up' },
];

function crash(fixture: string, type: string, message: string, runtime: string, more: Record<string, unknown> = {}) {
  const { sourceContext, ...top } = more;
  return {
    reportId: randomUUID(),
    occurredAt: crashAt.toISOString(),
    exception: {
      type,
      message,
      stacktrace: read(fixture),
      ...(sourceContext === undefined ? {} : { sourceContext }),
    },
    app: { name: 'shop', version: '1.3.0' },
    runtime: { name: runtime, version: '1' },
    ...top,
  };
}

beforeAll(async () => {
  browser = await launchBrowser();
  const owned = await createOwnedProduct(OWNER, 'Shop');
  productKey = owned.productKey;
  const secret = owned.secret;
  const chainedBoth = read('python/programs/chained_both.py');
  const vendoredApp = read('python/programs/vendored_app.py');
  const fakelib = read('python/programs/vendor/fakelib/core.py');
  const appFile = `${PY_DIR}/srv/shop/chained_both.py`;
  const bodies = [
    crash('python/chained_both.txt', 'AttributeError', "'NoneType' object has no attribute 'write'", 'python', {
      breadcrumbs: BREADCRUMBS,
      sourceContext: [24, 28, 17, 22, 10, 15].map((line) => linesAround(appFile, chainedBoth, line)),
    }),
    crash('java/payments.txt', 'java.lang.IllegalStateException', 'checkout failed', 'java'),
    crash('node/cause-aggregate.txt', 'Error', 'package download failed', 'node'),
    crash(
      'python/vendored.txt',
      'json.decoder.JSONDecodeError',
      'Expecting value: line 1 column 22 (char 21)',
      'python',
      {
        sourceContext: [
          linesAround(`${PY_DIR}/srv/shop/vendored_app.py`, vendoredApp, 6),
          linesAround(`${PY_DIR}/venv/lib/python3.11/site-packages/fakelib/core.py`, fakelib, 5),
        ],
      },
    ),
  ];
  const clientId = newClientId();
  let counter = 0;
  for (const body of bodies) {
    const res = await sendSigned({
      baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'),
      productKey,
      secret,
      clientId,
      counter: ++counter,
      body,
    });
    expect([res.status, res.json]).toEqual([202, expect.anything()]);
  }
  // A breadcrumb that breaks the protocol is refused whole, naming where.
  const refused = await sendSigned({
    baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'),
    productKey,
    secret,
    clientId,
    counter: counter + 1,
    body: crash('python/simple.txt', 'ZeroDivisionError', 'division by zero', 'python', {
      breadcrumbs: [{ ...BREADCRUMBS[0], level: 'loud' }],
    }),
  });
  expect(refused.status).toBe(400);
  expect(JSON.stringify(refused.json)).toContain('breadcrumbs.0.level');
  await rollUpToTheEnd();
  ({ page, blocked, close: closeSession } = await signedInSession(browser, OWNER));
}, 120_000);

afterAll(async () => {
  await closeSession?.();
  await browser?.close();
});

async function openIssue(title: string): Promise<void> {
  await page.goto(`${dashboardUrl()}/p/${productKey}/issues`);
  await page.getByRole('link', { name: title }).click();
  await page.getByRole('heading', { name: 'Recent crashes' }).waitFor();
}

const blocks = () => page.getByRole('list', { name: /^Exception chain of crash 1/ }).locator(':scope > li');

describe('the cause chain, breadcrumbs and source lines on the issue page', () => {
  it('shows a Python chain root cause last, each exception its own block, the root cause marked', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await openIssue("AttributeError: 'NoneType' object has no attribute 'write'");
    await expect(blocks().count()).resolves.toBe(3);
    const headings = await blocks().locator('h4').allTextContents();
    expect(headings).toEqual([
      "AttributeError: 'NoneType' object has no attribute 'write'",
      'During handling ofGatewayError: gateway unavailable',
      'Caused byRoot causeConnectionResetError: gateway reset while charging A-1001',
    ]);
    await expect(page.locator('.exception-block.root-cause .badge.root').count()).resolves.toBe(1);
    // Innermost first in every block, Python's too.
    await expect(blocks().nth(2).locator('.frame code').first().textContent()).resolves.toMatch(/^charge {2}.*:10$/);
  });

  it('shows the source lines under each frame, the crashing line marked for eyes and screen readers', async () => {
    const first = blocks().first().locator('.frame.in-app').first();
    const source = first.getByRole('region').or(first.locator('pre.source'));
    await expect(source.first().getAttribute('aria-label')).resolves.toBe(
      `Source around ${PY_DIR}/srv/shop/chained_both.py line 24`,
    );
    const current = first.locator('[aria-current="true"]');
    await expect(current.count()).resolves.toBe(1);
    await expect(current.textContent()).resolves.toBe(
      `→24crashing line:         log.write(f"capture failed for {order}")\n`,
    );
    await expect(first.locator('.src-no').allTextContents()).resolves.toEqual(['22', '23', '24', '25', '26']);
  });

  it('shows the breadcrumbs above the frames, at their time before the crash, http ones as method host path status', async () => {
    const timeline = page.getByRole('list', { name: 'Breadcrumbs of crash 1, oldest first' });
    const items = timeline.locator(':scope > li');
    await expect(items.count()).resolves.toBe(4);
    await expect(items.locator('time').allTextContents()).resolves.toEqual(['−5.2 s', '−3.1 s', '−1.3 s', '−0.4 s']);
    await expect(items.nth(2).textContent()).resolves.toContain('POST pay.shop.test /v1/charge 502');
    await expect(items.nth(2).locator('.level').textContent()).resolves.toBe('error');
    const data = items.nth(0).locator('details.crumb-data');
    expect(await data.getAttribute('open')).toBeNull();
    await data.locator('summary').click();
    await expect(data.locator('dd').first().textContent()).resolves.toBe('shop');
    // Above the frames: the timeline comes before the first exception block in the page.
    const order = await page.evaluate(
      "document.querySelector('.timeline').compareDocumentPosition(document.querySelector('.chain')) & Node.DOCUMENT_POSITION_FOLLOWING",
    );
    expect(order).toBe(4);
    await data.locator('summary').click();
    await screenshot(page, 'issue');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('fits 390 px: nothing runs off the screen, source lines scroll inside their own box', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByRole('heading', { name: 'Recent crashes' }).waitFor();
    await blocks().first().waitFor();
    expect(await screenFit(page)).toEqual({ scrollWidth: 390, outside: [] });
    const box = (await page.evaluate(
      "(() => { const pre = document.querySelector('pre.source'); return { scrolls: pre.scrollWidth > pre.clientWidth, right: pre.getBoundingClientRect().right }; })()",
    )) as { scrolls: boolean; right: number };
    expect(box).toEqual({ scrolls: true, right: expect.any(Number) });
    expect(box.right).toBeLessThanOrEqual(390);
    await screenshot(page, 'issue-390');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('nests a Java Suppressed exception and its cause under the Caused by chain', async () => {
    await openIssue('java.lang.IllegalStateException: checkout failed');
    const headings = await blocks().locator('h4').allTextContents();
    expect(headings).toEqual([
      'java.lang.IllegalStateException: checkout failed',
      'Caused bycom.acme.shop.Payments$PaymentException: capture failed for A-1001',
      'Caused byRoot causejava.io.IOException: card declined for A-1001',
      'Suppressedjava.lang.IllegalStateException: gateway close failed',
      'Caused byjava.net.SocketException: connection reset',
    ]);
    await expect(blocks().nth(3).getAttribute('class')).resolves.toContain('depth-1');
    await expect(page.locator('pre.source').count()).resolves.toBe(0);
    await expect(page.locator('.breadcrumbs').count()).resolves.toBe(0);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('numbers the members of a Node AggregateError from 1, each with its own cause', async () => {
    await openIssue('Error: package download failed');
    const relations = await blocks().locator('.relation').allTextContents();
    expect(relations).toEqual(['Caused by', 'Aggregated error 1', 'Caused by', 'Aggregated error 2', 'Caused by']);
    await expect(blocks().nth(1).textContent()).resolves.toContain('No frames of its own.');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('folds the source lines of library frames with the frames themselves', async () => {
    await openIssue('json.decoder.JSONDecodeError: Expecting value: line 1 column 22 (char 21)');
    await expect(page.locator('.frame.in-app pre.source').count()).resolves.toBe(1);
    const library = page.locator('.frame.library details', { has: page.locator('pre.source') });
    await expect(library.count()).resolves.toBe(1);
    expect(await library.getAttribute('open')).toBeNull();
    await expect(library.locator('pre.source').isVisible()).resolves.toBe(false);
    await library.locator('summary').click();
    await expect(library.locator('[aria-current="true"] .src-text').textContent()).resolves.toBe(
      '    return json.loads(text)',
    );
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(blocked).toEqual([]);
  });
});

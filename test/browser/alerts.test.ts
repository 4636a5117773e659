/**
 * The settings page's alert destinations in a real browser: the owner adds a webhook, sees its
 * secret once with a copy button, sends a test that a real receiver verifies with that secret,
 * and deletes it; axe checks the section.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { dashboardUrl, launchBrowser, newSession, seriousA11yViolations, signIn } from './browser';

let browser: Browser;
let server: Server;
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  browser = await launchBrowser();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  for (const close of closers) await close();
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function ownerWithProduct(): Promise<Page> {
  const s = await newSession(browser);
  closers.push(() => s.context.close());
  await signIn(s.page, `alerts-${randomUUID().slice(0, 8)}@example.com`);
  await s.page.getByLabel('Product name').fill('Alerting shop');
  await s.page.getByRole('button', { name: 'Create product' }).click();
  const key = (await s.page.locator('.created dl.facts code').first().textContent())!;
  await s.page.goto(`${dashboardUrl()}/p/${key}/settings`);
  await s.page.getByRole('heading', { name: 'Alerts' }).waitFor();
  return s.page;
}

describe('alert destinations on the settings page', () => {
  it('adds a webhook, shows its secret once, sends a test signed with it, and deletes it', async () => {
    const page = await ownerWithProduct();
    await page.getByText('No destinations yet.').waitFor();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    await page.getByLabel('URL (https)').fill(url);
    await page.getByRole('button', { name: 'Add destination' }).click();
    const secret = (await page.locator('.notice code').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Copy signing secret' }).click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
    expect(await seriousA11yViolations(page)).toEqual([]);

    await page.getByRole('button', { name: `Send test to webhook ${url}` }).click();
    await page.getByText('Test delivered (HTTP 204).').waitFor();
    const test = received.at(-1)!;
    const verified = new Webhook(secret).verify(test.body, {
      'webhook-id': String(test.headers['webhook-id']),
      'webhook-timestamp': String(test.headers['webhook-timestamp']),
      'webhook-signature': String(test.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({ type: 'test', product: { name: 'Alerting shop' } });
    await page.getByText(/^Delivered /).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    await page.getByRole('button', { name: `Delete webhook ${url}` }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('button', { name: `Delete webhook ${url}` }).click();
    await page.getByText('No destinations yet.').waitFor();
  });

  it('adds a Slack destination for crash spikes with its threshold, and shows no secret for it', async () => {
    const page = await ownerWithProduct();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/B0/x`;
    await page.getByLabel('Kind').selectOption('slack');
    await page.getByLabel('URL (https)').fill(url);
    await page.getByLabel('New issue').uncheck();
    await page.getByLabel('Crash spike').check();
    await page.getByLabel('Spike: crashes of one issue in an hour').selectOption('25');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Add destination' }).click();
    await page.getByRole('cell', { name: 'Regressed issue, Crash spike (25/hour)' }).waitFor();
    expect(await page.locator('.notice').count()).toBe(0);
  });
});

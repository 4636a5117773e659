/**
 * An obfuscated Android crash on the dashboard (Chromium on the test stack): with the release's
 * R8 mapping uploaded, the issue reads as the app's code and the raw view keeps the trace as
 * received; without one, the issue page says which mapping to upload, and once it is uploaded
 * the old issue's address opens the readable issue it was merged into, whose activity says so.
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
  screenshot,
  seriousA11yViolations,
  signedInSession,
} from './browser';

const read = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'android', name), 'utf8');
const OWNER = `android-${randomUUID().slice(0, 8)}@example.com`;
let browser: Browser;
let page: Page;
let blocked: string[];
let closeSession: () => Promise<void>;
let productKey = '';
let ownerToken = '';

beforeAll(async () => {
  browser = await launchBrowser();
  const owned = await createOwnedProduct(OWNER, 'Notes for Android');
  productKey = owned.productKey;
  const { token, secret } = owned;
  ownerToken = token;
  const upload = await fetch(`${requireEnv('DUMPCATCHER_API_URL')}/v1/products/${productKey}/mappings/91be04d`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' },
    body: read('r8-notes-2.1-mapping.txt'),
  });
  expect(upload.status).toBe(201);
  const clientId = newClientId();
  let counter = 0;
  for (const [trace, version] of [
    [read('r8-notes-2.1.txt'), '2.1'],
    [read('r8-notes-2.1.txt').replaceAll('91be04d', 'deadbee'), '2.2'],
  ] as const) {
    const res = await sendSigned({
      baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'),
      productKey,
      secret,
      clientId,
      counter: ++counter,
      body: {
        reportId: randomUUID(),
        occurredAt: new Date().toISOString(),
        exception: { type: 'b.d', message: 'no note', stacktrace: trace },
        app: { name: 'notes', version },
        runtime: { name: 'android', version: '34' },
      },
    });
    expect(res.status).toBe(202);
  }
  await rollUpToTheEnd();
  ({ page, blocked, close: closeSession } = await signedInSession(browser, OWNER));
}, 120_000);

afterAll(async () => {
  await closeSession?.();
  await browser?.close();
});

/** The issue list, then the obfuscated issue, whose page says no mapping is stored. */
async function openObfuscatedIssue(): Promise<void> {
  await page.goto(`${dashboardUrl()}/p/${productKey}/issues`);
  await page.getByRole('link', { name: 'b.d: no note' }).click();
  await page
    .getByRole('note')
    .getByText(/no mapping/)
    .waitFor();
}

describe('an obfuscated Android crash on the dashboard', () => {
  it('reads as the app once its mapping is stored, and keeps the trace as received', async () => {
    await page.goto(`${dashboardUrl()}/p/${productKey}/issues`);
    await page.getByRole('link', { name: 'com.acme.notes.data.MissingNoteException: no note' }).click();
    await page.getByText(/Retraced with mapping 91be04d/).waitFor();
    await expect(page.locator('.culprit').textContent()).resolves.toBe(
      'com.acme.notes.data.NoteRepository.requireNote',
    );
    await expect(page.locator('.frame.in-app').first().textContent()).resolves.toContain('NoteRepository');
    await page.getByRole('button', { name: 'Raw', exact: true }).click();
    await expect(page.getByLabel('Raw stack trace').textContent()).resolves.toContain('com.acme.notes');
    await page.getByText(/As received, obfuscated/).click();
    await expect(page.getByLabel('Obfuscated stack trace as received').textContent()).resolves.toContain(
      'r8-map-id-91be04d',
    );
    await screenshot(page, 'issue-retraced');
    expect(await seriousA11yViolations(page)).toEqual([]);
  }, 60_000);

  it('names the mapping to upload when none is stored', async () => {
    await openObfuscatedIssue();
    await expect(page.getByRole('note').locator('code').first().textContent()).resolves.toBe('deadbee');
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(blocked).toEqual([]);
  }, 60_000);

  it('opens the readable issue at the old address once the missing mapping is uploaded', async () => {
    await openObfuscatedIssue();
    const oldUrl = page.url();
    const upload = await fetch(`${requireEnv('DUMPCATCHER_API_URL')}/v1/products/${productKey}/mappings/deadbee`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ownerToken}`, 'Content-Type': 'text/plain' },
      body: read('r8-notes-2.1-mapping.txt'),
    });
    expect(upload.status).toBe(201);
    await rollUpToTheEnd();
    await page.goto(oldUrl);
    await page.getByRole('heading', { name: 'com.acme.notes.data.MissingNoteException: no note' }).waitFor();
    await page.waitForURL((url) => url.href !== oldUrl);
    await page.getByText(/Retraced with mapping/).waitFor();
    // The readable issue's activity says where its crash came from.
    const merged = page.locator('ol.timeline li', { hasText: 'merged in the obfuscated issue' });
    await merged.waitFor();
    await expect(merged.textContent()).resolves.toMatch(
      /^Dumpcatcher merged in the obfuscated issue [0-9a-f]{12} \(1 crash\) once mapping deadbee was uploaded; its activity is below/,
    );
    await page.goto(`${dashboardUrl()}/p/${productKey}/issues`);
    await page.getByRole('link', { name: 'com.acme.notes.data.MissingNoteException: no note' }).waitFor();
    await expect(page.getByRole('link', { name: 'b.d: no note' }).count()).resolves.toBe(0);
  }, 60_000);
});

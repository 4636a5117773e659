/**
 * A returning session, in a real Chromium on the test stack: the page's first api calls leave
 * with the last session's ID token while Firebase Auth is still restoring the session
 * (dashboard/src/auth.ts), signing out forgets that token, and a token the api refuses sends
 * the page back to Firebase, never showing a product to a session it no longer accepts.
 */
import { randomUUID } from 'node:crypto';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { requireEnv } from '../emulator/helpers';
import { createOwnedProduct, dashboardUrl, launchBrowser, newSession, signIn } from './browser';

const HINT_KEY = 'dumpcatcher.session';
let browser: Browser;
const sessions: Array<{ blocked: string[]; close(): Promise<void> }> = [];

async function signedIn(email: string): Promise<{ context: BrowserContext; page: Page }> {
  const s = await newSession(browser);
  sessions.push({ blocked: s.blocked, close: () => s.context.close() });
  await signIn(s.page, email);
  return s;
}

/** Holds every call the page makes to Firebase Auth's accounts:lookup (the session's restore) until released. */
async function holdSessionRestore(page: Page): Promise<{ held: () => number; release: () => void }> {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  await page.route('**/accounts:lookup*', async (route) => {
    held++;
    await released;
    await route.fallback();
  });
  return { held: () => held, release };
}

const storedHint = (page: Page) => page.evaluate(`localStorage.getItem('${HINT_KEY}')`) as Promise<string | null>;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const s of sessions) await s.close();
  await browser?.close();
});

describe('a returning session', () => {
  it('shows the product while Firebase Auth is still restoring the session', async () => {
    const email = `returning-${randomUUID()}@example.com`;
    const name = `Returning ${randomUUID().slice(0, 8)}`;
    const { productKey } = await createOwnedProduct(email, name);
    const { context } = await signedIn(email);
    const page = await context.newPage();
    const restore = await holdSessionRestore(page);
    await page.goto(`${dashboardUrl()}/p/${productKey}/issues`);
    // The product's name comes from the api: it is on screen while Auth's answer is still held.
    await page.getByRole('heading', { name: new RegExp(name) }).waitFor({ timeout: 15_000 });
    await page
      .getByText(/^No \w+ issues$/)
      .first()
      .waitFor();
    expect(restore.held()).toBe(1);
    restore.release();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(JSON.parse((await storedHint(page)) ?? 'null')).toMatchObject({ email, token: expect.any(String) });
  });

  it('forgets the session on signing out: the next page asks to sign in', async () => {
    const email = `leaving-${randomUUID()}@example.com`;
    const { productKey } = await createOwnedProduct(email, 'Leaving');
    const { context, page } = await signedIn(email);
    expect(await storedHint(page)).not.toBeNull();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
    expect(await storedHint(page)).toBeNull();
    const next = await context.newPage();
    await next.goto(`${dashboardUrl()}/p/${productKey}`);
    await next.getByLabel('Email').waitFor();
    await expect(next.getByRole('heading', { name: 'Leaving' }).count()).resolves.toBe(0);
  });

  it('never shows a product to a session whose tokens were revoked, and drops its hint', async () => {
    const email = `revoked-${randomUUID()}@example.com`;
    const { productKey } = await createOwnedProduct(email, 'Revoked');
    const { context, page } = await signedIn(email);
    const uid = (JSON.parse((await storedHint(page)) ?? '{}') as { uid?: string }).uid;
    expect(uid).toBeDefined();
    requireEnv('FIREBASE_AUTH_EMULATOR_HOST');
    const admin = getApps()[0] ?? initializeApp({ projectId: requireEnv('GCLOUD_PROJECT') });
    // Firebase counts revocation in whole seconds: a token issued in the same second stays good.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await getAuth(admin).revokeRefreshTokens(uid!);
    const next = await context.newPage();
    const refused: number[] = [];
    next.on('response', (res) => {
      if (res.url().includes(`/v1/products/${productKey}`) && res.status() === 401) refused.push(res.status());
    });
    await next.goto(`${dashboardUrl()}/p/${productKey}`);
    await next.getByLabel('Email').waitFor({ timeout: 15_000 });
    expect(refused.length).toBeGreaterThan(0);
    await expect(next.getByRole('heading', { name: /Revoked/ }).count()).resolves.toBe(0);
    expect(await storedHint(next)).toBeNull();
  });

  it('reached nothing off the machine', () => {
    expect(sessions.flatMap((s) => s.blocked)).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
  type RulesTestEnvironment,
} from '@firebase/rules-unit-testing';
import {
  collection,
  deleteDoc,
  doc,
  getDoc,
  getDocs,
  query,
  setDoc,
  setLogLevel,
  updateDoc,
  where,
  type Firestore,
} from 'firebase/firestore';

const PROJECT_ID = `demo-rules-${process.pid}-${Date.now()}`;
const KEY = 'pk_rules_product_1';
const OTHER_KEY = 'pk_rules_product_2';
const SUBCOLLECTIONS = ['crashes', 'usage', 'sessions', 'issues', 'stats'] as const;
const INVITATION = 'inv_rules_invitation_1';
const ALERT = 'al_rules_alert_1';

let env: RulesTestEnvironment;

function emulatorHost(): { host: string; port: number } {
  const value = process.env.FIRESTORE_EMULATOR_HOST;
  if (!value)
    throw new Error(
      "FIRESTORE_EMULATOR_HOST is not set: the rules suite must run through jest's globalSetup (npm test).",
    );
  const [host, port] = value.split(':');
  return { host: host!, port: Number(port) };
}

/** A client signed in with Google (the provider the rules and the api accept). */
function google(uid: string): Firestore {
  return env
    .authenticatedContext(uid, { firebase: { sign_in_provider: 'google.com' } })
    .firestore() as unknown as Firestore;
}

/** A client signed in with email and password. */
function password(uid: string): Firestore {
  return env
    .authenticatedContext(uid, { firebase: { sign_in_provider: 'password' } })
    .firestore() as unknown as Firestore;
}

function anonymous(): Firestore {
  return env.unauthenticatedContext().firestore() as unknown as Firestore;
}

const product = (ownerUid: string, memberUids: string[], roles: Record<string, string> = {}) => ({
  name: 'rules product',
  ownerUid,
  memberUids,
  roles,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
  settings: { retentionDays: 90, rateLimitPerMinute: null },
});

beforeAll(async () => {
  setLogLevel('silent'); // every denied request would otherwise print a warning
  env = await initializeTestEnvironment({
    projectId: PROJECT_ID,
    firestore: { rules: readFileSync(join(__dirname, '..', '..', 'firestore.rules'), 'utf8'), ...emulatorHost() },
  });
  await env.withSecurityRulesDisabled(async (ctx) => {
    const db = ctx.firestore() as unknown as Firestore;
    // alice owns it, mia is a member, victor joined before roles existed (a viewer).
    await setDoc(doc(db, 'products', KEY), product('alice', ['alice', 'victor', 'mia'], { mia: 'member' }));
    await setDoc(doc(db, 'products', OTHER_KEY), product('mallory', ['mallory']));
    await setDoc(doc(db, 'productSecrets', KEY), {
      ownerUid: 'alice',
      secrets: [{ secret: 'sk_x', createdAt: new Date(), expiresAt: null }],
    });
    for (const sub of SUBCOLLECTIONS) await setDoc(doc(db, 'products', KEY, sub, 'doc1'), { n: 1 });
    await setDoc(doc(db, 'products', KEY, 'issues', 'doc1', 'activity', 'act1'), {
      kind: 'comment',
      at: new Date(),
      by: { uid: 'mia', displayName: 'Mia', email: 'mia@example.com' },
      text: 'looking',
    });
    await setDoc(doc(db, 'products', KEY, 'private', 'doc1'), { n: 1 });
    await setDoc(doc(db, 'users', 'alice'), { email: 'alice@example.com', displayName: 'Alice' });
    await setDoc(doc(db, 'users', 'victor'), { email: 'victor@example.com', displayName: 'Victor' });
    await setDoc(doc(db, 'rollupState', KEY), { cursor: 1 });
    await setDoc(doc(db, 'products', KEY, 'alerts', ALERT), {
      kind: 'slack',
      url: 'https://hooks.slack.com/services/T0/B0/secret-path',
      events: ['issue.new'],
    });
    await setDoc(doc(db, 'alertSecrets', ALERT), { productKey: KEY, secret: 'whsec_x' });
    await setDoc(doc(db, 'alertOutbox', 'outbox1'), { productKey: KEY, events: [] });
    await setDoc(doc(db, 'alertDeliveries', 'msg_1'), { productKey: KEY, alertId: ALERT, body: '{}' });
    await setDoc(doc(db, 'alertReleaseMarks', 'mark2'), {
      productKey: KEY,
      alertId: ALERT,
      version: '2.0.0',
      unhealthy: true,
      at: new Date(),
    });
    await setDoc(doc(db, 'alertSpikeMarks', 'mark1'), {
      productKey: KEY,
      alertId: ALERT,
      issueId: 'i',
      at: new Date(),
    });
    await setDoc(doc(db, 'products', KEY, 'mappings', '7f3c2a1'), { mapId: '7f3c2a1' });
    await setDoc(doc(db, 'products', KEY, 'mappings', '7f3c2a1', 'chunks', 'g-0000'), { data: 'x' });
    await setDoc(doc(db, 'products', KEY, 'uploadTokens', 'tok1'), { secretHash: '00' });
    await setDoc(doc(db, 'products', KEY, 'regroupRequests', '7f3c2a1'), { mapId: '7f3c2a1' });
    await setDoc(doc(db, 'products', KEY, 'mergedIssues', 'a'.repeat(64)), { mergedInto: 'b'.repeat(64) });
    await setDoc(doc(db, 'invitations', INVITATION), {
      productKey: KEY,
      email: 'ivy@example.com',
      role: 'viewer',
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 86_400_000),
    });
  });
});

afterAll(async () => {
  await env?.cleanup();
});

describe('products/{key}', () => {
  it('lets the owner read the product', async () => {
    await assertSucceeds(getDoc(doc(google('alice'), 'products', KEY)));
  });
  it('lets a viewer read the product', async () => {
    await assertSucceeds(getDoc(doc(google('victor'), 'products', KEY)));
  });
  it('refuses a signed-in non-member', async () => {
    await assertFails(getDoc(doc(google('mallory'), 'products', KEY)));
  });
  it('refuses a client that is not signed in', async () => {
    await assertFails(getDoc(doc(anonymous(), 'products', KEY)));
  });
  it('refuses a member signed in with a provider other than Google', async () => {
    await assertFails(getDoc(doc(password('victor'), 'products', KEY)));
  });
  it('refuses reading a product that does not exist', async () => {
    await assertFails(getDoc(doc(google('alice'), 'products', 'pk_no_such_product')));
  });
  it('lets a member list the products whose memberUids contain them', async () => {
    const snap = await assertSucceeds(
      getDocs(query(collection(google('victor'), 'products'), where('memberUids', 'array-contains', 'victor'))),
    );
    expect(snap.docs.map((d) => d.id)).toEqual([KEY]);
  });
  it('refuses listing all products', async () => {
    await assertFails(getDocs(collection(google('alice'), 'products')));
  });
  it("refuses listing another user's products", async () => {
    await assertFails(
      getDocs(query(collection(google('alice'), 'products'), where('memberUids', 'array-contains', 'mallory'))),
    );
  });
  it('refuses the owner renaming the product from a client', async () => {
    await assertFails(updateDoc(doc(google('alice'), 'products', KEY), { name: 'renamed' }));
  });
  it('refuses the owner handing the product to someone else', async () => {
    await assertFails(updateDoc(doc(google('alice'), 'products', KEY), { ownerUid: 'victor' }));
  });
  it('refuses a viewer making themselves owner', async () => {
    await assertFails(updateDoc(doc(google('victor'), 'products', KEY), { ownerUid: 'victor' }));
  });
  it('refuses creating a product from a client', async () => {
    await assertFails(setDoc(doc(google('alice'), 'products', 'pk_client_made'), product('alice', ['alice'])));
  });
  it('refuses the owner deleting the product from a client', async () => {
    await assertFails(deleteDoc(doc(google('alice'), 'products', KEY)));
  });
});

describe('products/{key} subcollections', () => {
  it.each(SUBCOLLECTIONS)('lets the owner read %s', async (sub) => {
    await assertSucceeds(getDoc(doc(google('alice'), 'products', KEY, sub, 'doc1')));
  });
  it.each(SUBCOLLECTIONS)('lets a viewer list %s', async (sub) => {
    const snap = await assertSucceeds(getDocs(collection(google('victor'), 'products', KEY, sub)));
    expect(snap.size).toBe(1);
  });
  it.each(SUBCOLLECTIONS)('refuses a non-member reading %s', async (sub) => {
    await assertFails(getDoc(doc(google('mallory'), 'products', KEY, sub, 'doc1')));
  });
  it.each(SUBCOLLECTIONS)('refuses a non-member listing %s', async (sub) => {
    await assertFails(getDocs(collection(google('mallory'), 'products', KEY, sub)));
  });
  it.each(SUBCOLLECTIONS)('refuses the owner writing to %s', async (sub) => {
    await assertFails(setDoc(doc(google('alice'), 'products', KEY, sub, 'doc2'), { n: 2 }));
  });
  it('refuses a member reading a subcollection that is not listed', async () => {
    await assertFails(getDoc(doc(google('alice'), 'products', KEY, 'private', 'doc1')));
  });
  it('refuses a client that is not signed in reading crashes', async () => {
    await assertFails(getDoc(doc(anonymous(), 'products', KEY, 'crashes', 'doc1')));
  });
});

describe('products/{key} mappings, upload tokens, regroup requests and merged issues', () => {
  const paths = [
    ['mappings', '7f3c2a1'],
    ['mappings', '7f3c2a1', 'chunks', 'g-0000'],
    ['uploadTokens', 'tok1'],
    ['regroupRequests', '7f3c2a1'],
    ['mergedIssues', 'a'.repeat(64)],
  ];
  it.each(paths)('refuses the owner reading %s/%s…', async (...segments) => {
    await assertFails(getDoc(doc(google('alice'), 'products', KEY, ...segments)));
  });
  it.each(paths)('refuses a viewer reading %s/%s…', async (...segments) => {
    await assertFails(getDoc(doc(google('victor'), 'products', KEY, ...segments)));
  });
  it.each(paths)('refuses the owner writing %s/%s…', async (...segments) => {
    await assertFails(setDoc(doc(google('alice'), 'products', KEY, ...segments), { n: 2 }));
  });
  it('refuses the owner listing mappings and upload tokens', async () => {
    await assertFails(getDocs(collection(google('alice'), 'products', KEY, 'mappings')));
    await assertFails(getDocs(collection(google('alice'), 'products', KEY, 'uploadTokens')));
  });
});

describe('productSecrets/{key}', () => {
  it('refuses the owner reading the secrets', async () => {
    await assertFails(getDoc(doc(google('alice'), 'productSecrets', KEY)));
  });
  it('refuses a viewer reading the secrets', async () => {
    await assertFails(getDoc(doc(google('victor'), 'productSecrets', KEY)));
  });
  it('refuses the owner writing the secrets', async () => {
    await assertFails(setDoc(doc(google('alice'), 'productSecrets', KEY), { secrets: [] }));
  });
});

describe('alerts', () => {
  it('still lets a viewer read the issues an alert is about', async () => {
    await assertSucceeds(getDoc(doc(google('victor'), 'products', KEY, 'issues', 'doc1')));
  });
  it('refuses the owner reading a destination (a Slack URL is a credential; the api shows it)', async () => {
    await assertFails(getDoc(doc(google('alice'), 'products', KEY, 'alerts', ALERT)));
  });
  it("refuses a viewer listing the product's destinations", async () => {
    await assertFails(getDocs(collection(google('victor'), 'products', KEY, 'alerts')));
  });
  it('refuses the owner writing a destination from a client', async () => {
    await assertFails(setDoc(doc(google('alice'), 'products', KEY, 'alerts', 'al_client_made'), { kind: 'slack' }));
  });
  it('refuses the owner reading a webhook secret', async () => {
    await assertFails(getDoc(doc(google('alice'), 'alertSecrets', ALERT)));
  });
  it('refuses a viewer reading a webhook secret', async () => {
    await assertFails(getDoc(doc(google('victor'), 'alertSecrets', ALERT)));
  });
  it("refuses listing a product's webhook secrets", async () => {
    await assertFails(getDocs(query(collection(google('alice'), 'alertSecrets'), where('productKey', '==', KEY))));
  });
  it('refuses the owner replacing a webhook secret', async () => {
    await assertFails(setDoc(doc(google('alice'), 'alertSecrets', ALERT), { productKey: KEY, secret: 'whsec_y' }));
  });
  it('refuses the owner reading the alert outbox', async () => {
    await assertFails(getDoc(doc(google('alice'), 'alertOutbox', 'outbox1')));
  });
  it('refuses the owner reading a queued message', async () => {
    await assertFails(getDoc(doc(google('alice'), 'alertDeliveries', 'msg_1')));
  });
  it('refuses the owner reading a spike mark', async () => {
    await assertFails(getDoc(doc(google('alice'), 'alertSpikeMarks', 'mark1')));
  });
  it('refuses the owner reading a release mark', async () => {
    await assertFails(getDoc(doc(google('alice'), 'alertReleaseMarks', 'mark2')));
  });
  it('refuses a client that is not signed in reading a webhook secret', async () => {
    await assertFails(getDoc(doc(anonymous(), 'alertSecrets', ALERT)));
  });
});

describe('users/{uid}', () => {
  it('lets a user read their own document', async () => {
    const snap = await assertSucceeds(getDoc(doc(google('alice'), 'users', 'alice')));
    expect(snap.get('email')).toBe('alice@example.com');
  });
  it("refuses a user reading another user's document", async () => {
    await assertFails(getDoc(doc(google('alice'), 'users', 'victor')));
  });
  it('refuses listing users', async () => {
    await assertFails(getDocs(collection(google('alice'), 'users')));
  });
  it('refuses a user writing their own document', async () => {
    await assertFails(setDoc(doc(google('alice'), 'users', 'alice'), { email: 'x@example.com' }));
  });
});

describe('invitations/{id}', () => {
  /** The invitee, signed in with Google and the verified address the invitation names. */
  const invitee = () =>
    env
      .authenticatedContext('ivy', {
        email: 'ivy@example.com',
        email_verified: true,
        firebase: { sign_in_provider: 'google.com' },
      })
      .firestore() as unknown as Firestore;

  it("refuses the product's owner reading an invitation", async () => {
    await assertFails(getDoc(doc(google('alice'), 'invitations', INVITATION)));
  });
  it('refuses the invitee reading their own invitation (the api answers it)', async () => {
    await assertFails(getDoc(doc(invitee(), 'invitations', INVITATION)));
  });
  it('refuses listing invitations to an address', async () => {
    await assertFails(getDocs(query(collection(invitee(), 'invitations'), where('email', '==', 'ivy@example.com'))));
  });
  it("refuses listing a product's invitations", async () => {
    await assertFails(getDocs(query(collection(google('alice'), 'invitations'), where('productKey', '==', KEY))));
  });
  it('refuses a client that is not signed in', async () => {
    await assertFails(getDoc(doc(anonymous(), 'invitations', INVITATION)));
  });
  it('refuses the owner creating an invitation from a client', async () => {
    await assertFails(
      setDoc(doc(google('alice'), 'invitations', 'inv_client_made'), { productKey: KEY, email: 'x@example.com' }),
    );
  });
  it('refuses the invitee deleting (answering) an invitation from a client', async () => {
    await assertFails(deleteDoc(doc(invitee(), 'invitations', INVITATION)));
  });
});

describe('the three roles and a stranger', () => {
  // Reading is the same for every role; every change (status, assignee, comment, keys, people,
  // alerts, mappings) is refused to every client, since the api makes it after checking the role.
  const withAccess = [
    ['the owner', 'alice'],
    ['a member', 'mia'],
    ['a viewer', 'victor'],
  ] as const;
  const issue = (db: Firestore) => doc(db, 'products', KEY, 'issues', 'doc1');
  const activity = (db: Firestore) => collection(db, 'products', KEY, 'issues', 'doc1', 'activity');

  it.each(withAccess)('%s reads the product, an issue and its activity', async (_who, uid) => {
    await assertSucceeds(getDoc(doc(google(uid), 'products', KEY)));
    await assertSucceeds(getDoc(issue(google(uid))));
    await assertSucceeds(getDoc(doc(activity(google(uid)), 'act1')));
    expect((await assertSucceeds(getDocs(activity(google(uid))))).size).toBe(1);
  });
  it.each(withAccess)('%s changes no status, assignee or comment directly', async (_who, uid) => {
    await assertFails(updateDoc(issue(google(uid)), { status: 'resolved' }));
    await assertFails(updateDoc(issue(google(uid)), { assigneeUid: uid }));
    await assertFails(setDoc(doc(activity(google(uid)), 'act2'), { kind: 'comment', text: 'direct' }));
    await assertFails(updateDoc(doc(activity(google(uid)), 'act1'), { text: 'edited' }));
    await assertFails(deleteDoc(doc(activity(google(uid)), 'act1')));
  });
  it.each(withAccess)('%s changes no role, key, alert or mapping directly', async (_who, uid) => {
    await assertFails(updateDoc(doc(google(uid), 'products', KEY), { [`roles.${uid}`]: 'member' }));
    await assertFails(updateDoc(doc(google(uid), 'products', KEY), { memberUids: ['alice', 'victor', 'mia', 'x'] }));
    await assertFails(getDoc(doc(google(uid), 'productSecrets', KEY)));
    await assertFails(getDoc(doc(google(uid), 'products', KEY, 'alerts', ALERT)));
    await assertFails(getDoc(doc(google(uid), 'products', KEY, 'mappings', '7f3c2a1')));
    await assertFails(getDoc(doc(google(uid), 'products', KEY, 'uploadTokens', 'tok1')));
    await assertFails(getDoc(doc(google(uid), 'invitations', INVITATION)));
  });
  it('a stranger (another tenant) reads nothing of the product, its issues or their activity', async () => {
    const mallory = google('mallory');
    await assertFails(getDoc(doc(mallory, 'products', KEY)));
    await assertFails(getDoc(issue(mallory)));
    await assertFails(getDoc(doc(activity(mallory), 'act1')));
    await assertFails(getDocs(activity(mallory)));
    await assertFails(setDoc(doc(activity(mallory), 'act3'), { kind: 'comment', text: 'x' }));
  });
  it('a client not signed in, or signed in with another provider, reads no activity', async () => {
    await assertFails(getDocs(activity(anonymous())));
    await assertFails(getDocs(activity(password('mia'))));
  });
});

describe('everything else', () => {
  it('refuses the owner reading the rollup state', async () => {
    await assertFails(getDoc(doc(google('alice'), 'rollupState', KEY)));
  });
  it('refuses writing a new top-level collection', async () => {
    await assertFails(setDoc(doc(google('alice'), 'anything', 'x'), { n: 1 }));
  });
});

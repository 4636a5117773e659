import {
  sweepUsers,
  USERS_PER_SWEEP,
  type AuthStanding,
  type UserSweepStore,
} from '../../../functions/src/rollup/user-sweep';

const NOW = new Date('2026-12-04T12:00:00.000Z');

/** Users, Auth and products in memory, with every call recorded. */
function memory(input: { users: string[]; auth: Record<string, AuthStanding>; products: Record<string, string[]> }) {
  const users = new Set(input.users);
  const products = new Map(Object.entries(input.products).map(([k, m]) => [k, { owner: m[0]!, members: [...m] }]));
  const lookups: string[][] = [];
  let cursor: string | null = null;
  const store: UserSweepStore = {
    async readCursor() {
      return cursor;
    },
    async writeCursor(after) {
      cursor = after;
    },
    async listUserIds(after, limit) {
      return [...users]
        .sort()
        .filter((u) => after === null || u > after)
        .slice(0, limit);
    },
    async lookup(uids) {
      lookups.push([...uids]);
      return new Map(uids.flatMap((u) => (input.auth[u] ? [[u, input.auth[u]] as const] : [])));
    },
    async leaveProducts(uid) {
      let n = 0;
      for (const p of products.values()) {
        if (p.owner !== uid && p.members.includes(uid)) {
          p.members = p.members.filter((m) => m !== uid);
          n++;
        }
      }
      return n;
    },
    async deleteUser(uid) {
      users.delete(uid);
    },
  };
  return { store, users, products, lookups, cursor: () => cursor };
}

describe('sweepUsers', () => {
  it('removes a deleted and a disabled user from the products they view and deletes their users document', async () => {
    const m = memory({
      users: ['ann', 'del', 'dis'],
      auth: { ann: 'active', dis: 'disabled' },
      products: { p1: ['ann', 'del', 'dis'], p2: ['ann', 'dis'] },
    });
    const summary = await sweepUsers({ store: m.store, clock: () => NOW });
    expect(summary).toEqual({ checked: 3, removed: 2, membershipsRemoved: 3, wrapped: true });
    expect([...m.users]).toEqual(['ann']);
    expect(m.products.get('p1')!.members).toEqual(['ann']);
    expect(m.products.get('p2')!.members).toEqual(['ann']);
  });

  it('keeps a product its deleted owner owns, with its viewers', async () => {
    const m = memory({ users: ['gone', 'vic'], auth: { vic: 'active' }, products: { p1: ['gone', 'vic'] } });
    await sweepUsers({ store: m.store, clock: () => NOW });
    expect(m.products.get('p1')!.members).toEqual(['gone', 'vic']);
    expect([...m.users]).toEqual(['vic']);
  });

  it('checks at most one Auth batch per run and continues where it stopped, then starts over', async () => {
    const ids = Array.from({ length: USERS_PER_SWEEP + 5 }, (_, i) => `u${String(i).padStart(4, '0')}`);
    const m = memory({ users: ids, auth: Object.fromEntries(ids.map((u) => [u, 'active' as const])), products: {} });
    const first = await sweepUsers({ store: m.store, clock: () => NOW });
    expect([first.checked, first.wrapped, m.cursor()]).toEqual([USERS_PER_SWEEP, false, ids[USERS_PER_SWEEP - 1]]);
    const second = await sweepUsers({ store: m.store, clock: () => NOW });
    expect([second.checked, second.wrapped, m.cursor()]).toEqual([5, true, null]);
    expect(m.lookups.map((l) => l.length)).toEqual([USERS_PER_SWEEP, 5]);
  });

  it('asks Auth nothing when there are no users', async () => {
    const m = memory({ users: [], auth: {}, products: {} });
    expect(await sweepUsers({ store: m.store, clock: () => NOW })).toEqual({
      checked: 0,
      removed: 0,
      membershipsRemoved: 0,
      wrapped: true,
    });
    expect(m.lookups).toEqual([]);
  });
});

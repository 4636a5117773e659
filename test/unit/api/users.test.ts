import { createUserTracker, getMe } from '../../../functions/src/api/users';
import { createMemoryStore } from './memory-store';
import type { Caller } from '../../../functions/src/api/access';

const T0 = Date.parse('2026-11-22T08:00:00.000Z');
const caller: Caller = { uid: 'u1', email: 'u1@example.com', displayName: 'U One', signInProvider: 'google.com' };

function setup() {
  let nowMs = T0;
  const memory = createMemoryStore();
  const deps = { store: memory.store, clock: () => new Date(nowMs) };
  return { deps, memory, advance: (s: number) => (nowMs += s * 1000) };
}

describe('createUserTracker', () => {
  it('writes on the first call, then at most once per interval', async () => {
    const { deps, memory, advance } = setup();
    const tracker = createUserTracker({ minIntervalMs: 300_000 });
    expect(await tracker.touch(deps, caller)).toBe(true);
    advance(299);
    expect(await tracker.touch(deps, caller)).toBe(false);
    advance(1);
    expect(await tracker.touch(deps, caller)).toBe(true);
    expect(memory.writes.filter((w) => w === 'user u1')).toHaveLength(2);
    expect(memory.users.get('u1')).toEqual({
      email: 'u1@example.com',
      displayName: 'U One',
      createdAt: new Date(T0),
      lastSeenAt: new Date(T0 + 300_000),
    });
  });

  it('writes at once when the profile in the token changed', async () => {
    const { deps, memory } = setup();
    const tracker = createUserTracker({ minIntervalMs: 300_000 });
    await tracker.touch(deps, caller);
    expect(await tracker.touch(deps, { ...caller, displayName: 'Renamed' })).toBe(true);
    expect(memory.users.get('u1')?.displayName).toBe('Renamed');
  });

  it('forgets the oldest uid beyond its capacity, which only costs a write', async () => {
    const { deps } = setup();
    const tracker = createUserTracker({ minIntervalMs: 300_000, maxEntries: 2 });
    for (const uid of ['a', 'b', 'c']) await tracker.touch(deps, { ...caller, uid });
    expect(await tracker.touch(deps, { ...caller, uid: 'c' })).toBe(false);
    expect(await tracker.touch(deps, { ...caller, uid: 'a' })).toBe(true);
  });
});

describe('getMe', () => {
  it('answers the stored user and recreates a missing document', async () => {
    const { deps, memory } = setup();
    const me = await getMe(deps, caller);
    expect(me).toEqual({
      uid: 'u1',
      email: 'u1@example.com',
      displayName: 'U One',
      signInProvider: 'google.com',
      createdAt: new Date(T0).toISOString(),
      lastSeenAt: new Date(T0).toISOString(),
    });
    expect(memory.users.has('u1')).toBe(true);
  });
});

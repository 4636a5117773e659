import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createQueue, queueFileName } from '../src/queue.ts';
import type { QueueEntry } from '../src/queue.ts';
import { allFiles, makeTempDir, queueFiles, removeDir } from './helpers/env.ts';

const CLIENT = 'client_ABCdef-123';

function entry(counter: number, body: Record<string, unknown> = { reportId: `r${counter}` }): QueueEntry {
  return { v: 1, path: '/v1/crashes', clientId: CLIENT, counter, createdAt: '2026-11-22T08:00:00.000Z', body };
}

describe('disk queue', () => {
  let dir: string;
  let now: number;
  const logs: string[] = [];
  const limits = { maxFiles: 3, maxBytes: 10_000, maxAgeSeconds: 3600 };
  beforeEach(() => {
    dir = join(makeTempDir(), 'queue');
    now = 1_763_798_400_000;
    logs.length = 0;
  });
  afterEach(() => removeDir(join(dir, '..')));

  it('does not create its folder until the first write', () => {
    const q = createQueue(
      dir,
      limits,
      () => now,
      (m) => logs.push(m),
    );
    expect(q.list()).toEqual([]);
    q.enforceBounds();
    expect(allFiles(join(dir, '..'))).toEqual([]);
  });

  it('writes one complete JSON file named <createdAtMillis>-<clientId>-<counter>.json and no .tmp', () => {
    const q = createQueue(
      dir,
      limits,
      () => now,
      (m) => logs.push(m),
    );
    const { name } = q.writeSync(entry(7), now, true);
    expect(name).toBe(`${now}-${CLIENT}-7.json`);
    expect(allFiles(dir)).toEqual([name]);
    expect(JSON.parse(readFileSync(join(dir, name), 'utf8'))).toEqual(entry(7));
    expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
  });

  it('lists oldest first, by time then counter', () => {
    const q = createQueue(
      dir,
      { ...limits, maxFiles: 10 },
      () => now,
      (m) => logs.push(m),
    );
    q.writeSync(entry(2), now + 5, true);
    q.writeSync(entry(3), now, true);
    q.writeSync(entry(1), now, true);
    expect(q.list().map((f) => f.name)).toEqual([
      queueFileName(now, CLIENT, 1),
      queueFileName(now, CLIENT, 3),
      queueFileName(now + 5, CLIENT, 2),
    ]);
  });

  it('drops the oldest files beyond maxQueueFiles', () => {
    const q = createQueue(
      dir,
      limits,
      () => now,
      (m) => logs.push(m),
    );
    for (let i = 1; i <= 5; i += 1) q.writeSync(entry(i), now + i, true);
    expect(queueFiles(dir)).toEqual([3, 4, 5].map((i) => queueFileName(now + i, CLIENT, i)));
    expect(logs.filter((l) => l.includes('maxQueueFiles')).length).toBe(2);
  });

  it('drops the oldest files beyond maxQueueBytes', () => {
    const q = createQueue(
      dir,
      { ...limits, maxFiles: 100, maxBytes: 2500 },
      () => now,
      (m) => logs.push(m),
    );
    for (let i = 1; i <= 4; i += 1) q.writeSync(entry(i, { reportId: `r${i}`, pad: 'p'.repeat(1000) }), now + i, true);
    expect(queueFiles(dir)).toEqual([3, 4].map((i) => queueFileName(now + i, CLIENT, i)));
  });

  it('drops files older than maxQueueAgeSeconds', () => {
    const q = createQueue(
      dir,
      limits,
      () => now,
      (m) => logs.push(m),
    );
    q.writeSync(entry(1), now - 3601_000, true);
    q.writeSync(entry(2), now - 10_000, true);
    expect(queueFiles(dir)).toEqual([queueFileName(now - 10_000, CLIENT, 2)]);
  });

  it('removes leftover .tmp files but not one being written right now', () => {
    now = Date.now();
    const q = createQueue(
      dir,
      limits,
      () => now,
      (m) => logs.push(m),
    );
    q.writeSync(entry(1), now, true);
    writeFileSync(join(dir, 'old.json.tmp'), 'half');
    writeFileSync(join(dir, 'fresh.json.tmp'), 'half');
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(dir, 'old.json.tmp'), old, old);
    q.enforceBounds();
    expect(allFiles(dir).sort()).toEqual(['fresh.json.tmp', queueFileName(now, CLIENT, 1)].sort());
  });

  it('deletes a sent report at once, leaves no other file and holds no descriptor (Linux /proc)', () => {
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const q = createQueue(
      dir,
      { ...limits, maxFiles: 100, maxAgeSeconds: 1e12 },
      () => now,
      (m) => logs.push(m),
    );
    const sizes = [5000, 10, 3000, 1, 8000];
    const names = sizes.map((size, i) => {
      const e = entry(i + 1, { reportId: `r${i + 1}`, pad: 'x'.repeat(size) });
      const { name } = q.writeSync(e, now + i, i % 2 === 0);
      expect(q.read(name)).toEqual(e);
      expect(statSync(join(dir, name)).size).toBe(Buffer.byteLength(JSON.stringify(e)));
      return name;
    });
    expect(readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    for (const name of names) q.remove(name);
    expect(allFiles(dir)).toEqual([]);
    q.dispose();
    expect(readdirSync('/proc/self/fd').length).toBe(fdsBefore);
  });

  it('deletes a file that cannot be parsed', () => {
    const q = createQueue(
      dir,
      { ...limits, maxAgeSeconds: 1e12 },
      () => now,
      (m) => logs.push(m),
    );
    q.writeSync(entry(1), now, true);
    const bad = queueFileName(now, CLIENT, 2);
    writeFileSync(join(dir, bad), '{"v":1,"path":"/v1/crashes"');
    expect(q.read(bad)).toBeNull();
    expect(queueFiles(dir)).toEqual([queueFileName(now, CLIENT, 1)]);
    expect(q.read(queueFileName(now, CLIENT, 1))).toEqual(entry(1));
  });
});

import { createCloudTasksQueue } from '../../../functions/src/ingest/cloud-tasks';
import {
  createRollupTrigger,
  rollupTaskFor,
  rollupTaskUrl,
  FANOUT_AFTER_REPORTS,
  type RollupTask,
} from '../../../functions/src/ingest/rollup-trigger';
import { RollupTriggerConfigSchema } from '../../../functions/src/ingest/trigger-config';
import { RollupConfigSchema } from '../../../functions/src/rollup/config';

const policy = { windowSeconds: 5, delaySeconds: 3 };
const at = (iso: string) => Date.parse(iso);

describe('rollupTaskFor', () => {
  it('names every arrival of one window alike and schedules its run after the window closes', () => {
    const first = rollupTaskFor(at('2026-12-07T03:00:00.000Z'), policy);
    const last = rollupTaskFor(at('2026-12-07T03:00:04.999Z'), policy);
    expect(last).toEqual(first);
    expect(first.windowStart).toBe(at('2026-12-07T03:00:00Z') / 1000);
    expect(first.scheduleAt.toISOString()).toBe('2026-12-07T03:00:08.000Z');
    expect(first.name).toMatch(new RegExp(`^[0-9a-f]{8}-rollup-${first.windowStart}$`));
  });

  it('gives the next window another name, with a different hash prefix (Cloud Tasks is slower on sequential ids)', () => {
    const a = rollupTaskFor(at('2026-12-07T03:00:04.999Z'), policy);
    const b = rollupTaskFor(at('2026-12-07T03:00:05.000Z'), policy);
    expect(b.name).not.toBe(a.name);
    expect(b.name.slice(0, 8)).not.toBe(a.name.slice(0, 8));
    expect(b.windowStart - a.windowStart).toBe(5);
  });

  it('asks one run per window for each share of the shards when fanned out, each POSTing its shards', () => {
    const fanned = { ...policy, fanout: 4 };
    const tasks = [0, 1, 2, 3, 4, 5, 6, 7].map((shard) => rollupTaskFor(at('2026-12-07T03:00:01Z'), fanned, shard));
    expect(new Set(tasks.map((t) => t.name)).size).toBe(4);
    expect(tasks[5]).toEqual({ ...tasks[1], shards: [1, 5] });
    expect(rollupTaskUrl('https://r.example/rollup', tasks[2]!)).toBe('https://r.example/rollup?shards=2,6');
    // Not fanned out: one run, which still names its shards (a held one is answered 409 and asked again).
    expect(rollupTaskUrl('https://r.example/rollup', rollupTaskFor(0, policy, 3))).toBe(
      'https://r.example/rollup?shards=0,1,2,3,4,5,6,7',
    );
  });

  it('keeps a task id Cloud Tasks accepts (letters, digits, hyphens, underscores; at most 500)', () => {
    expect(rollupTaskFor(Date.now(), policy).name).toMatch(/^[A-Za-z0-9_-]{1,500}$/);
  });

  it('never schedules a run before the rollup would see the last report of the window', () => {
    const defaults = RollupTriggerConfigSchema.parse({});
    const lagMs = RollupConfigSchema.parse({}).DUMPCATCHER_ROLLUP_LAG_SECONDS * 1000;
    const p = {
      windowSeconds: defaults.DUMPCATCHER_ROLLUP_WINDOW_SECONDS,
      delaySeconds: defaults.DUMPCATCHER_ROLLUP_TRIGGER_DELAY_SECONDS,
    };
    const lastOfWindow = at('2026-12-07T03:00:04.999Z');
    // The run reads up to its own time minus the lag; that horizon must pass the window's end.
    expect(rollupTaskFor(lastOfWindow, p).scheduleAt.getTime() - lagMs).toBeGreaterThan(lastOfWindow);
  });
});

describe('createRollupTrigger', () => {
  function harness(enqueue: (task: RollupTask) => Promise<'created' | 'exists'> = async () => 'created') {
    let nowMs = at('2026-12-07T03:00:00.000Z');
    const asked: string[] = [];
    const errors: string[] = [];
    const trigger = createRollupTrigger({
      enqueue: (task) => (asked.push(task.name), enqueue(task)),
      policy,
      clock: () => new Date(nowMs),
      onError: (err, task) => errors.push(`${task.name}: ${(err as Error).message}`),
    });
    return { trigger, asked, errors, advance: (ms: number) => (nowMs += ms) };
  }

  it('asks once per window however many reports arrive in it', async () => {
    const h = harness();
    for (let i = 0; i < 1000; i++) {
      await h.trigger.notify(0);
      h.advance(10); // 1,000 reports over 10 s: two windows
    }
    expect(h.asked.length).toBe(2);
  });

  it('asks one run over every shard for a trickle, and one per shard its reports fall in after a busy window', async () => {
    const asked: string[] = [];
    let nowMs = at('2026-12-07T03:00:00.000Z');
    const trigger = createRollupTrigger({
      enqueue: async (task) => (asked.push(task.shards!.join(',')), 'created'),
      policy: { ...policy, fanout: 8 },
      clock: () => new Date(nowMs),
      onError: () => undefined,
    });
    for (let i = 0; i < FANOUT_AFTER_REPORTS; i++) await trigger.notify(i % 8);
    expect(asked).toEqual(['0,1,2,3,4,5,6,7']);
    nowMs += 5_000; // the next window, after a busy one: fanned out
    for (const shard of [3, 3, 5, 3, 5, 0]) await trigger.notify(shard);
    expect(asked.slice(1)).toEqual(['3', '5', '0']);
    nowMs += 5_000; // after 6 reports: one run again
    await trigger.notify(4);
    expect(asked.slice(4)).toEqual(['0,1,2,3,4,5,6,7']);
  });

  it('asks nothing when nothing arrives', () => {
    const h = harness();
    h.advance(3_600_000);
    expect(h.asked).toEqual([]);
  });

  it('takes "exists" (another instance asked first) as success', async () => {
    const h = harness(async () => 'exists');
    await h.trigger.notify(0);
    await h.trigger.notify(0);
    expect([h.asked.length, h.errors]).toEqual([1, []]);
  });

  it('logs a failed ask, never rejects, and does not ask again in the same window', async () => {
    const h = harness(async () => {
      throw new Error('PERMISSION_DENIED');
    });
    await expect(h.trigger.notify(0)).resolves.toBeUndefined();
    await h.trigger.notify(0);
    expect(h.errors).toEqual([`${h.asked[0]}: PERMISSION_DENIED`]);
    h.advance(5000);
    await h.trigger.notify(0);
    expect(h.asked.length).toBe(2);
  });
});

describe('createCloudTasksQueue', () => {
  const queue = 'projects/abc-project/locations/europe-west1/queues/dumpcatcher-rollup';
  const rollupUrl = 'https://europe-west1-abc-project.cloudfunctions.net/rollup';
  const task = rollupTaskFor(at('2026-12-07T03:00:00.000Z'), policy);

  let tokens = 0;
  const credential = {
    getAccessToken: async () => ({ access_token: `token-${++tokens}`, expires_in: 3600 }),
  };
  const INVOKER = 'inv@abc-project.iam.gserviceaccount.com';

  /** A queue adapter whose every request Cloud Tasks (faked) answers with `status` and `body`. */
  function queueAnswering(status: number, body = '{}', now?: () => number) {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(body, { status });
    }) as unknown as typeof fetch;
    const enqueue = createCloudTasksQueue({
      queue,
      rollupUrl,
      invoker: INVOKER,
      credential,
      fetchFn,
      ...(now === undefined ? {} : { now }),
    });
    return { calls, enqueue };
  }

  it('creates a named task that POSTs to the rollup with an OIDC token, as the Scheduler job does', async () => {
    const q = queueAnswering(200);
    expect(await q.enqueue(task)).toBe('created');
    expect(q.calls[0]!.url).toBe(`https://cloudtasks.googleapis.com/v2/${queue}/tasks`);
    expect(JSON.parse(String(q.calls[0]!.init.body))).toEqual({
      task: {
        name: `${queue}/tasks/${task.name}`,
        scheduleTime: '2026-12-07T03:00:08.000Z',
        httpRequest: {
          // The run's shards in the query; the token's audience is the function's own URL.
          url: `${rollupUrl}?shards=0,1,2,3,4,5,6,7`,
          httpMethod: 'POST',
          oidcToken: { serviceAccountEmail: INVOKER, audience: rollupUrl },
        },
      },
    });
    expect((q.calls[0]!.init.headers as Record<string, string>).Authorization).toMatch(/^Bearer token-\d+$/);
  });

  it('gives up within its timeout when the access token does not come, sending nothing', async () => {
    const calls: string[] = [];
    const enqueue = createCloudTasksQueue({
      queue,
      rollupUrl,
      invoker: INVOKER,
      credential: { getAccessToken: () => new Promise(() => undefined) },
      fetchFn: (async (url: string) => {
        calls.push(url);
        return new Response('{}', { status: 200 });
      }) as unknown as typeof fetch,
      timeoutMs: 50,
    });
    await expect(enqueue(task)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(calls).toEqual([]);
  });

  it('answers "exists" on 409 and reuses its access token until it nears expiry', async () => {
    let nowMs = 0;
    const before = tokens;
    const q = queueAnswering(409, '{"error":{"status":"ALREADY_EXISTS"}}', () => nowMs);
    expect(await q.enqueue(task)).toBe('exists');
    expect(await q.enqueue(task)).toBe('exists');
    expect(tokens - before).toBe(1);
    nowMs += 3_550_000; // within a minute of expiry
    await q.enqueue(task);
    expect(tokens - before).toBe(2);
  });

  it('rejects any other answer with the status and what Cloud Tasks said', async () => {
    const q = queueAnswering(
      403,
      '{"error":{"status":"PERMISSION_DENIED","message":"cloudtasks.tasks.create denied"}}',
    );
    await expect(q.enqueue(task)).rejects.toThrow(/403 creating .*cloudtasks\.tasks\.create denied/);
  });
});

describe('RollupTriggerConfigSchema', () => {
  it('is off unless asked, and names what a mode lacks', () => {
    expect(RollupTriggerConfigSchema.parse({}).DUMPCATCHER_ROLLUP_TRIGGER).toBe('off');
    const r = RollupTriggerConfigSchema.safeParse({
      DUMPCATCHER_ROLLUP_TRIGGER: 'cloud-tasks',
      DUMPCATCHER_ROLLUP_URL: 'https://x.example/rollup',
    });
    expect(r.success ? [] : r.error.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'DUMPCATCHER_ROLLUP_INVOKER',
      'DUMPCATCHER_ROLLUP_QUEUE',
    ]);
  });
});

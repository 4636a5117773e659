import {
  LATE_RETRY_DELAY_MS,
  RETRY_WINDOW_MS,
  afterAttempt,
  planMessages,
  releaseHealth,
  releaseMarkKey,
  runAlertDelivery,
  SPIKE_QUIET_MS,
  type AlertDeliveryStore,
  type ExpandInput,
} from '../../../functions/src/alerts/deliver';
import { alertEventsOf, withAlertOutbox } from '../../../functions/src/alerts/outbox';
import { buildSlackBody, MAX_ISSUES_PER_MESSAGE, type WebhookBody } from '../../../functions/src/alerts/payload';
import type { AlertDoc, DeliveryDoc, OutboxDoc } from '../../../functions/src/alerts/schemas';
import type { IssueDoc } from '../../../functions/src/grouping/schemas';

const NOW = new Date('2026-12-01T12:00:00Z');
const KEY = 'pk_alerts_unit_1';

function issue(n: number, change: Partial<IssueDoc> = {}): IssueDoc {
  return {
    productKey: KEY,
    fingerprint: `f${n}`,
    source: 'frames',
    title: `Error ${n} <b>`,
    type: 'Error',
    culprit: `app.js in f${n}`,
    topFrame: null,
    firstSeen: NOW,
    lastSeen: NOW,
    count: n,
    clients: 1,
    clientSketch: new Uint8Array([1, 4]),
    versions: ['1.0'],
    lastVersion: '1.0',
    status: 'unresolved',
    resolvedInVersion: null,
    statusChangedAt: null,
    regressedInVersion: null,
    recentCrashIds: [],
    updatedAt: NOW,
    ...change,
  };
}

function alert(kind: AlertDoc['kind'], events: AlertDoc['events']): AlertDoc {
  return {
    kind,
    url: 'https://hooks.example.com/x',
    events,
    spikeThreshold: events.includes('issue.spike') ? 10 : null,
    unhealthyThreshold: 0.99,
    unhealthyMinSessions: 50,
    createdAt: NOW,
    updatedAt: NOW,
    lastSuccessAt: null,
    lastFailureAt: null,
    lastFailure: null,
    failing: false,
  };
}

describe('alertEventsOf', () => {
  it('names a created issue issue.new', () => {
    expect(alertEventsOf('f1', null, issue(1)).map((e) => e.event)).toEqual(['issue.new']);
  });
  it('names a resolved issue reopened as regressed issue.regressed, with an id of that regression', () => {
    const before = issue(1, { status: 'resolved', statusChangedAt: new Date('2026-11-01T00:00:00Z') });
    const first = alertEventsOf('f1', before, issue(1, { status: 'regressed', statusChangedAt: NOW }));
    const later = alertEventsOf(
      'f1',
      before,
      issue(1, { status: 'regressed', statusChangedAt: new Date(NOW.getTime() + 1) }),
    );
    expect(first.map((e) => e.event)).toEqual(['issue.regressed']);
    expect(first[0]!.id).not.toBe(later[0]!.id);
  });
  it('names nothing for more crashes of a known issue', () => {
    expect(alertEventsOf('f1', issue(1), issue(2))).toEqual([]);
  });
});

describe('withAlertOutbox', () => {
  it('adds one outbox document per product, with an id that depends only on its events', () => {
    const writes = new Map<string, object>([
      [`products/${KEY}/issues/f1`, issue(1)],
      [`products/${KEY}/issues/f2`, issue(2)],
      [`products/${KEY}/stats/2026-12-01_type`, { n: 1 }],
    ]);
    const current = new Map<string, unknown>([[`products/${KEY}/issues/f2`, issue(2)]]);
    const out = withAlertOutbox(current, writes, NOW);
    const added = [...out.keys()].filter((p) => p.startsWith('alertOutbox/'));
    expect(added).toHaveLength(1);
    expect((out.get(added[0]!) as OutboxDoc).events.map((e) => [e.event, e.issueId])).toEqual([['issue.new', 'f1']]);
    expect([...withAlertOutbox(current, writes, new Date(0)).keys()]).toEqual([...out.keys()]);
  });
});

describe('planMessages', () => {
  const input = (issues: number, alerts: ExpandInput['alerts']): ExpandInput => {
    const docs = new Map<string, IssueDoc>();
    const events: OutboxDoc['events'] = [];
    for (let n = 1; n <= issues; n++) {
      docs.set(`f${n}`, issue(n));
      events.push(...alertEventsOf(`f${n}`, null, issue(n)));
    }
    // The same events queued twice (two outbox documents) are listed once.
    const outbox: OutboxDoc[] = [
      { productKey: KEY, events, createdAt: NOW },
      { productKey: KEY, events: events.slice(0, 1), createdAt: NOW },
    ];
    return {
      productKey: KEY,
      product: { name: 'Shop' },
      outbox,
      alerts,
      issues: docs,
      spikeMarks: new Map(),
      releaseMarks: new Map(),
    };
  };

  it('batches a product’s events into one message per destination, at most 20 issues plus a count of the rest', () => {
    const { messages } = planMessages(
      input(25, [
        { id: 'al_a', alert: alert('webhook', ['issue.new']) },
        { id: 'al_b', alert: alert('webhook', ['issue.regressed']) },
      ]),
      NOW,
      'https://dash.example.com',
    );
    expect(messages).toHaveLength(1);
    const body = JSON.parse(messages[0]!.doc.body) as WebhookBody;
    expect([body.type, body.issues.length, body.more, body.id]).toEqual([
      'issue.new',
      MAX_ISSUES_PER_MESSAGE,
      5,
      messages[0]!.id,
    ]);
    expect(body.issues[0]!.url).toBe(`https://dash.example.com/p/${KEY}/issues/f1`);
    expect(messages[0]!.doc).toMatchObject({ alertId: 'al_a', status: 'pending', attempts: 0, nextAttemptAt: NOW });
  });
  it('gives the same message the same id, whatever run plans it', () => {
    const alerts = [{ id: 'al_a', alert: alert('webhook', ['issue.new']) }];
    expect(planMessages(input(3, alerts), NOW, undefined).messages[0]!.id).toBe(
      planMessages(input(3, alerts), new Date(0), undefined).messages[0]!.id,
    );
  });
  it('plans nothing for a product that was deleted', () => {
    const planned = planMessages(
      { ...input(2, [{ id: 'al_a', alert: alert('webhook', ['issue.new']) }]), product: null },
      NOW,
      undefined,
    );
    expect(planned).toEqual({ messages: [], marks: [], releaseMarks: [] });
  });
  it('writes a Slack body for a Slack destination, its mrkdwn escaped', () => {
    const [message] = planMessages(
      input(1, [{ id: 'al_s', alert: alert('slack', ['issue.new']) }]),
      NOW,
      undefined,
    ).messages;
    const body = JSON.parse(message!.doc.body) as { text: string; blocks: unknown[] };
    expect(body.text).toBe('[Shop] New issue\n• Error 1 &lt;b&gt; in app.js in f1 (1 crashes, 1 clients, version 1.0)');
    expect(body.blocks).toHaveLength(2);
  });
});

describe('buildSlackBody', () => {
  it('links titles when there is a dashboard and counts the rest', () => {
    const body = buildSlackBody({
      type: 'issue.regressed',
      id: 'msg_1',
      createdAt: NOW.toISOString(),
      product: { key: KEY, name: 'Shop' },
      issues: [
        {
          id: 'f1',
          title: 'Boom',
          type: 'Error',
          culprit: null,
          status: 'regressed',
          count: 3,
          clients: 2,
          firstSeen: NOW.toISOString(),
          lastSeen: NOW.toISOString(),
          lastVersion: '2.0',
          url: 'https://dash.example.com/p/k/issues/f1',
        },
      ],
      more: 4,
    });
    expect(body.text).toBe(
      '[Shop] 5 regressed issues\n• <https://dash.example.com/p/k/issues/f1|Boom> (3 crashes, 2 clients, version 2.0)\n…and 4 more',
    );
    expect(body.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '…and 4 more' }] });
  });
});

describe('planMessages for spikes', () => {
  const spikeInput = (levels: number[], marks: Map<string, Date>, threshold: number): ExpandInput => ({
    productKey: KEY,
    product: { name: 'Shop' },
    outbox: [{ productKey: KEY, events: [{ id: 'e1', event: 'issue.spike', issueId: 'f1', levels }], createdAt: NOW }],
    alerts: [{ id: 'al_a', alert: { ...alert('webhook', ['issue.spike']), spikeThreshold: threshold } }],
    issues: new Map([['f1', issue(30)]]),
    spikeMarks: marks,
    releaseMarks: new Map(),
  });

  it('tells a destination of a spike across its own threshold, and marks it', () => {
    const plan = planMessages(spikeInput([10, 25], new Map(), 25), NOW, undefined);
    expect(plan.messages.map((m) => m.doc.type)).toEqual(['issue.spike']);
    expect(plan.marks).toEqual([{ productKey: KEY, alertId: 'al_a', issueId: 'f1', at: NOW }]);
  });
  it('ignores levels other than the threshold', () => {
    expect(planMessages(spikeInput([10], new Map(), 25), NOW, undefined)).toEqual({
      messages: [],
      marks: [],
      releaseMarks: [],
    });
  });
  it('tells a destination of an issue’s spike at most once in 24 hours', () => {
    const recent = new Map([['al_a/f1', new Date(NOW.getTime() - SPIKE_QUIET_MS + 1000)]]);
    expect(planMessages(spikeInput([25], recent, 25), NOW, undefined).messages).toEqual([]);
    const dayAgo = new Map([['al_a/f1', new Date(NOW.getTime() - SPIKE_QUIET_MS)]]);
    expect(planMessages(spikeInput([25], dayAgo, 25), NOW, undefined).messages).toHaveLength(1);
  });
});

describe('afterAttempt', () => {
  const delivery = (attempts: number, createdAt = NOW): DeliveryDoc => ({
    productKey: KEY,
    alertId: 'al_a',
    kind: 'webhook',
    type: 'issue.new',
    body: '{}',
    eventIds: ['e'],
    status: 'pending',
    attempts,
    createdAt,
    nextAttemptAt: NOW,
    leaseUntil: NOW,
    lastError: null,
    sentAt: null,
  });
  const failed = { ok: false as const, status: 500, reason: 'HTTP 500' };

  it.each([
    [0, 60_000],
    [1, 300_000],
    [2, 1_800_000],
    [3, LATE_RETRY_DELAY_MS],
    [10, LATE_RETRY_DELAY_MS],
  ])('after %i earlier failures waits %i ms', (attempts, wait) => {
    const next = afterAttempt(delivery(attempts), failed, NOW);
    expect(next.delivery.nextAttemptAt!.getTime() - NOW.getTime()).toBe(wait);
    expect([next.result, next.delivery.status, next.delivery.leaseUntil]).toEqual(['retrying', 'pending', null]);
  });
  it('gives up once the message is a day old and marks the destination failing', () => {
    const old = new Date(NOW.getTime() - RETRY_WINDOW_MS);
    const next = afterAttempt(delivery(20, old), failed, NOW);
    expect([next.result, next.delivery.status, next.delivery.nextAttemptAt]).toEqual(['gaveUp', 'failed', null]);
    expect(next.change).toEqual({ lastFailureAt: NOW, lastFailure: 'HTTP 500', failing: true });
  });
  it('clears failing on a success', () => {
    const next = afterAttempt(delivery(2), { ok: true, status: 204 }, NOW);
    expect(next.change).toEqual({ lastSuccessAt: NOW, failing: false });
    expect([next.delivery.status, next.delivery.sentAt, next.delivery.attempts]).toEqual(['sent', NOW, 3]);
  });
});

describe('runAlertDelivery', () => {
  /** A store with `due` pending messages, recording what was claimed and recorded. */
  function fakeStore(due: string[]) {
    const recorded: string[] = [];
    const store: AlertDeliveryStore = {
      listOutboxProducts: async () => [],
      expandOutbox: async () => 0,
      listDue: async () => due,
      claim: async (id) =>
        id === 'taken'
          ? null
          : {
              productKey: KEY,
              alertId: 'al_a',
              kind: 'webhook',
              type: 'issue.new',
              body: '{}',
              eventIds: [],
              status: 'pending',
              attempts: 0,
              createdAt: NOW,
              nextAttemptAt: NOW,
              leaseUntil: null,
              lastError: null,
              sentAt: null,
            },
      getAlert: async () => alert('webhook', ['issue.new']),
      getSecret: async () => 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      recordAttempt: async (id, delivery) => {
        recorded.push(`${id}:${delivery.status}`);
      },
    };
    return { store, recorded };
  }

  it('sends each due message it can claim, signed, and skips one another run holds', async () => {
    const { store, recorded } = fakeStore(['m1', 'taken', 'm2']);
    const sent: Array<Record<string, string>> = [];
    const summary = await runAlertDelivery({
      store,
      clock: () => NOW,
      dashboardUrl: undefined,
      send: async (_url, _body, headers) => {
        sent.push(headers);
        return { ok: true, status: 200 };
      },
    });
    expect(summary).toEqual({ queued: 0, sent: 2, retrying: 0, gaveUp: 0 });
    expect(recorded.sort()).toEqual(['m1:sent', 'm2:sent']);
    expect(sent.map((h) => h['webhook-id']).sort()).toEqual(['m1', 'm2']);
  });
  it('starts no send that could end after the deadline', async () => {
    const { store, recorded } = fakeStore(['m1']);
    const summary = await runAlertDelivery({
      store,
      clock: () => NOW,
      dashboardUrl: undefined,
      deadline: new Date(NOW.getTime() + 9_000),
      send: async () => ({ ok: true, status: 200 }),
    });
    expect([summary.sent, recorded]).toEqual([0, []]);
  });
  it('gives a message for a deleted destination up at once', async () => {
    const { store, recorded } = fakeStore(['m1']);
    const summary = await runAlertDelivery({
      store: { ...store, getAlert: async () => null },
      clock: () => NOW,
      dashboardUrl: undefined,
      send: async () => {
        throw new Error('must not send');
      },
    });
    expect([summary.gaveUp, recorded]).toEqual([1, ['m1:failed']]);
  });
});

describe('planMessages for release.unhealthy', () => {
  type Hour = { sessions: number; crashed: number };
  const releaseInput = (hours: Hour[], marks: Map<string, boolean>, settings: Partial<AlertDoc> = {}): ExpandInput => ({
    productKey: KEY,
    product: { name: 'Shop' },
    // One outbox document per batch, given out of order: delivery follows createdAt.
    outbox: hours
      .map((h, i) => ({
        productKey: KEY,
        events: [{ id: `r${i}`, event: 'release.unhealthy' as const, release: { version: '2.0.0', ...h } }],
        createdAt: new Date(NOW.getTime() + i * 60_000),
      }))
      .reverse(),
    alerts: [{ id: 'al_a', alert: { ...alert('webhook', ['release.unhealthy']), ...settings } }],
    issues: new Map(),
    spikeMarks: new Map(),
    releaseMarks: marks,
  });

  it.each([
    ['0.99 and 50 by default: 98 % of 100 sessions is unhealthy', { sessions: 100, crashed: 2 }, {}, 'unhealthy'],
    ['exactly the threshold is healthy', { sessions: 100, crashed: 1 }, {}, 'healthy'],
    ['below the threshold on 49 sessions says nothing', { sessions: 49, crashed: 10 }, {}, 'unknown'],
    [
      'a destination threshold of 0.9: 95 % is healthy',
      { sessions: 100, crashed: 5 },
      { unhealthyThreshold: 0.9 },
      'healthy',
    ],
    [
      'a destination minimum of 10: 10 sessions with a crash are enough',
      { sessions: 10, crashed: 1 },
      { unhealthyMinSessions: 10 },
      'unhealthy',
    ],
  ] as const)('%s', (_name, hour, settings, expected) => {
    const a = { ...alert('webhook', ['release.unhealthy']), ...settings };
    expect(releaseHealth(hour, a.unhealthyThreshold, a.unhealthyMinSessions)).toBe(expected);
  });

  it('fires once per crossing: not again while unhealthy, again only after recovering', () => {
    const bad = { sessions: 200, crashed: 10 };
    const good = { sessions: 200, crashed: 0 };
    const plan = planMessages(releaseInput([bad, bad, good, good, bad, bad], new Map()), NOW, 'https://dash.example');
    expect(plan.messages).toHaveLength(1);
    const message = plan.messages[0]!;
    expect(message.doc.type).toBe('release.unhealthy');
    expect(message.doc.eventIds).toEqual(['r0', 'r4']);
    const body = JSON.parse(message.doc.body) as { releases: unknown[]; issues: unknown[] };
    expect(body.issues).toEqual([]);
    const crossing = {
      version: '2.0.0',
      sessions: 200,
      crashedSessions: 10,
      crashFreeSessions: 0.95,
      threshold: 0.99,
      minSessions: 50,
      url: `https://dash.example/p/${KEY}/releases/2.0.0`,
    };
    expect(body.releases).toEqual([crossing, crossing]);
    expect(plan.releaseMarks).toEqual([
      { productKey: KEY, alertId: 'al_a', version: '2.0.0', unhealthy: true, at: NOW },
    ]);
  });

  it('stays quiet for a release already told unhealthy, and clears the mark when it recovers', () => {
    const marks = new Map([[releaseMarkKey('al_a', '2.0.0'), true]]);
    const still = planMessages(releaseInput([{ sessions: 100, crashed: 5 }], marks), NOW, undefined);
    expect([still.messages, still.releaseMarks]).toEqual([[], []]);
    const recovered = planMessages(releaseInput([{ sessions: 100, crashed: 0 }], marks), NOW, undefined);
    expect(recovered.messages).toEqual([]);
    expect(recovered.releaseMarks).toMatchObject([{ version: '2.0.0', unhealthy: false }]);
  });

  it('sends nothing to a destination without the event', () => {
    const input = releaseInput([{ sessions: 100, crashed: 50 }], new Map());
    const plan = planMessages(
      { ...input, alerts: [{ id: 'al_a', alert: alert('webhook', ['issue.new']) }] },
      NOW,
      undefined,
    );
    expect([plan.messages, plan.releaseMarks]).toEqual([[], []]);
  });

  it('writes the Slack line with the rate and the threshold', () => {
    const input = releaseInput([{ sessions: 530, crashed: 46 }], new Map());
    const plan = planMessages(
      { ...input, alerts: [{ id: 'al_s', alert: alert('slack', ['release.unhealthy']) }] },
      NOW,
      undefined,
    );
    const body = JSON.parse(plan.messages[0]!.doc.body) as { text: string };
    expect(body.text).toBe(
      '[Shop] Unhealthy release\n• 2.0.0: 91.3 % crash-free sessions in the last hour (46 of 530 crashed; threshold 99.0 %)',
    );
  });
});

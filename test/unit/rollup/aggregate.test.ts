import type { ReportRecord } from '../../../functions/src/grouping/classify';
import {
  MAX_METRIC_VALUES,
  MAX_STATS_ROWS,
  mergeCrashStats,
  mergeIssue,
  mergeUsageStats,
  reduceCrashes,
  reduceUsage,
} from '../../../functions/src/rollup/aggregate';
import type { IssueDoc, UsageDoc } from '../../../functions/src/grouping/schemas';
import { fixtureCrashRecord, fixtureIssueId } from './reports';

const KEY = 'pk_product_1';

const crash = (id: string, fields: Parameters<typeof fixtureCrashRecord>[2]) => fixtureCrashRecord(KEY, id, fields);
const fingerprintOf = fixtureIssueId;

const NOW = new Date('2026-11-22T00:00:00Z');

describe('reduceCrashes', () => {
  const batch = [
    crash('python/checkout-1.2.0-checkout', {
      version: '1.2.0',
      label: 'checkout',
      clientId: 'c1',
      at: '2026-11-20T10:00:00Z',
    }),
    crash('python/checkout-1.3.0-checkout', {
      version: '1.3.0',
      label: 'checkout',
      clientId: 'c2',
      installId: 'install-1',
      at: '2026-11-20T11:00:00Z',
    }),
    crash('python/checkout-1.3.0-preview', {
      version: '1.3.0',
      clientId: 'c3',
      installId: 'install-1',
      at: '2026-11-21T09:00:00Z',
    }),
  ];
  const delta = reduceCrashes(batch);

  it('puts the same bug in two versions into one issue and another call path into its own', () => {
    const checkout = delta.issues.get(`products/${KEY}/issues/${fingerprintOf('python/checkout-1.3.0-checkout')}`);
    const preview = delta.issues.get(`products/${KEY}/issues/${fingerprintOf('python/checkout-1.3.0-preview')}`);
    expect(delta.issues.size).toBe(2);
    expect(checkout).toMatchObject({
      count: 2,
      title: "KeyError: 'BOGUS'",
      culprit: 'checkout.py in apply_discount',
      type: 'KeyError',
      firstSeen: new Date('2026-11-20T10:00:00Z'),
      lastSeen: new Date('2026-11-20T11:00:00Z'),
      lastVersion: '1.3.0',
      recentCrashIds: [batch[1]!.id, batch[0]!.id],
    });
    expect(preview?.count).toBe(1);
  });

  it('counts every dimension per UTC day, with totals and distinct clients (installId first)', () => {
    const day1 = (by: string) => delta.stats.get(`products/${KEY}/stats/2026-11-20_${by}`)!;
    const rows = (by: string) => [...day1(by).rows].map(([value, c]) => [value, c.count, c.sketch.hashes?.size]);
    expect(day1('type').total.count).toBe(2);
    expect(rows('type')).toEqual([['KeyError', 2, 2]]);
    expect(rows('label')).toEqual([['checkout', 2, 2]]);
    expect(rows('line')).toEqual([
      ['checkout.py:8', 1, 1],
      ['checkout.py:17', 1, 1],
    ]);
    expect(rows('version')).toEqual([
      ['1.2.0', 1, 1],
      ['1.3.0', 1, 1],
    ]);
    expect(rows('issue')).toEqual([[fingerprintOf('python/checkout-1.2.0-checkout'), 2, 2]]);
    const day2 = delta.stats.get(`products/${KEY}/stats/2026-11-21_label`)!;
    expect([day2.total.count, day2.rows.size]).toEqual([1, 0]); // no label: counted in the total only
    // 5 dimensions × 2 days, each in all and in the crashes' environment (none named: production).
    expect(delta.stats.size).toBe(20);
  });

  it("counts each crash again in its environment's copy of the day's documents", () => {
    const staging = crash('python/checkout-1.2.0-checkout', { version: '1.2.0', environment: 'staging' });
    const prod = crash('python/checkout-1.2.0-checkout', { version: '1.3.0' });
    const { stats } = reduceCrashes([staging, prod, staging]);
    const at = (id: string) => stats.get(`products/${KEY}/stats/${id}`);
    expect(at('2026-11-20_version')?.total.count).toBe(3);
    expect(at('2026-11-20_version@staging')).toMatchObject({ environment: 'staging', total: { count: 2 } });
    expect([...at('2026-11-20_version@staging')!.rows.keys()]).toEqual(['1.2.0']);
    expect(at('2026-11-20_version@production')?.total.count).toBe(1);
    expect(at('2026-11-20_version')).not.toHaveProperty('environment');
    const doc = mergeCrashStats(null, at('2026-11-20_type@staging')!, NOW);
    expect(doc).toMatchObject({ environment: 'staging', by: 'type', total: { count: 2 } });
  });

  it('groups by the client fingerprint when the report has one', () => {
    const a = crash('python/checkout-1.3.0-checkout', { version: '1', fingerprint: 'payments-down' });
    const b = crash('node/checkout-1.3.0-checkout', { version: '1', fingerprint: 'payments-down' });
    expect(reduceCrashes([a, b]).issues.size).toBe(1);
  });
});

function issueAfter(status: IssueDoc['status'], resolvedInVersion: string | null, resolvedAt: string): IssueDoc {
  const first = reduceCrashes([crash('java/checkout-1.3.0-checkout', { version: '1.2', at: '2026-11-01T00:00:00Z' })]);
  const created = mergeIssue(null, [...first.issues.values()][0]!, NOW);
  return { ...created, status, resolvedInVersion, statusChangedAt: new Date(resolvedAt) };
}

function recur(issue: IssueDoc, version: string, at: string): IssueDoc {
  const delta = reduceCrashes([crash('java/checkout-1.2.0-checkout', { version, at })]);
  return mergeIssue(issue, [...delta.issues.values()][0]!, NOW);
}

describe('mergeIssue', () => {
  const resolved = issueAfter('resolved', '1.3', '2026-11-10T00:00:00Z');

  it('creates an unresolved issue with its first crash', () => {
    const issue = issueAfter('unresolved', null, '2026-11-01T00:00:00Z');
    expect([issue.count, issue.clients, issue.versions, issue.title]).toEqual([
      1,
      1,
      ['1.2'],
      'java.util.NoSuchElementException: No value present',
    ]);
  });

  it('keeps an issue resolved in 1.3 resolved when it recurs in 1.2', () => {
    const next = recur(resolved, '1.2', '2026-11-11T00:00:00Z');
    expect([next.status, next.count, next.versions]).toEqual(['resolved', 2, ['1.2']]);
  });

  it.each(['1.3', '1.3.0', '1.4', '2.0.0-beta.1'])('reopens it as regressed when it recurs in %s', (version) => {
    const next = recur(resolved, version, '2026-11-11T00:00:00Z');
    expect([next.status, next.regressedInVersion, next.statusChangedAt]).toEqual([
      'regressed',
      version,
      new Date('2026-11-11T00:00:00Z'),
    ]);
  });

  it('does not regress on a crash received before it was resolved (a late rollup)', () => {
    expect(recur(resolved, '1.4', '2026-11-09T23:59:59Z').status).toBe('resolved');
  });

  it('regresses on any later crash when resolved without a version', () => {
    expect(recur(issueAfter('resolved', null, '2026-11-10T00:00:00Z'), '0.1', '2026-11-11T00:00:00Z').status).toBe(
      'regressed',
    );
  });

  describe('resolved in the next release (newest seen then: 1.2)', () => {
    const next = { ...issueAfter('resolved', null, '2026-11-10T00:00:00Z'), resolvedAfterVersion: '1.2' };

    it.each(['1.2', '1.2.0', '1.1', '1.2.0-rc.1'])(
      'stays resolved when the same or an older build crashes: %s',
      (v) => {
        expect(recur(next, v, '2026-11-11T00:00:00Z').status).toBe('resolved');
      },
    );

    it.each(['1.2.1', '1.3', '2.0.0-beta.1', 'nightly'])('regresses on a newer or unorderable version: %s', (v) => {
      const after = recur(next, v, '2026-11-11T00:00:00Z');
      expect([after.status, after.regressedInVersion]).toEqual(['regressed', v]);
    });
  });

  it('leaves ignored and regressed issues as they are', () => {
    expect(recur(issueAfter('ignored', null, '2026-11-10T00:00:00Z'), '9', '2026-11-11T00:00:00Z').status).toBe(
      'ignored',
    );
    expect(recur(issueAfter('regressed', null, '2026-11-10T00:00:00Z'), '9', '2026-11-11T00:00:00Z').status).toBe(
      'regressed',
    );
  });

  it('adds counts, clients and versions (version order), keeps the newest crash ids first', () => {
    const base = issueAfter('unresolved', null, '2026-11-01T00:00:00Z');
    const older = crash('java/checkout-1.2.0-checkout', {
      version: '1.10',
      clientId: 'client-b',
      at: '2026-11-12T00:00:00Z',
    });
    const newest = crash('java/checkout-1.2.0-checkout', {
      version: '1.9',
      clientId: 'client-a',
      at: '2026-11-13T00:00:00Z',
    });
    const delta = reduceCrashes([older, newest]);
    const next = mergeIssue(base, [...delta.issues.values()][0]!, NOW);
    expect([next.count, next.clients, next.versions, next.lastVersion]).toEqual([3, 2, ['1.2', '1.9', '1.10'], '1.9']);
    expect(next.recentCrashIds[0]).toBe(newest.id);
    expect(next.lastSeen).toEqual(new Date('2026-11-13T00:00:00Z'));
  });

  it('keeps recent crashes newest first when another shard applies older crashes after newer ones', () => {
    const at = (day: number) => `2026-11-${String(day).padStart(2, '0')}T00:00:00Z`;
    const of = (day: number) => crash('java/checkout-1.2.0-checkout', { version: '1.2', at: at(day) });
    const [d12, d13, d14, d15] = [of(12), of(13), of(14), of(15)];
    // Shard A applies the 12th and the 15th; then shard B, which was behind, the 13th and the 14th.
    let issue = mergeIssue(null, [...reduceCrashes([d12!, d15!]).issues.values()][0]!, NOW);
    issue = mergeIssue(issue, [...reduceCrashes([d13!, d14!]).issues.values()][0]!, NOW);
    expect(issue.recentCrashIds).toEqual([d15!.id, d14!.id, d13!.id, d12!.id]);
    expect(issue.recentCrashTimes).toEqual([15, 14, 13, 12].map((d) => new Date(at(d))));
  });
});

describe('an issue built by shards in either order', () => {
  it("shows its earliest crash's title, culprit and top frame, whichever shard commits first", () => {
    const early = crash('java/checkout-1.2.0-checkout', { version: '1.2', at: '2026-11-12T00:00:00Z' });
    const late = crash('java/checkout-1.3.0-checkout', { version: '1.3', at: '2026-11-15T00:00:00Z' });
    const delta = (c: typeof early) => [...reduceCrashes([c]).issues.values()][0]!;
    const inOrder = mergeIssue(mergeIssue(null, delta(early), NOW), delta(late), NOW);
    const lateFirst = mergeIssue(mergeIssue(null, delta(late), NOW), delta(early), NOW);
    expect(inOrder.topFrame).not.toEqual(mergeIssue(null, delta(late), NOW).topFrame);
    for (const field of ['title', 'culprit', 'topFrame'] as const) expect(lateFirst[field]).toEqual(inOrder[field]);
    // Within one batch too, whatever order the shard listed them in.
    const oneBatch = mergeIssue(null, [...reduceCrashes([late, early]).issues.values()][0]!, NOW);
    expect(oneBatch.topFrame).toEqual(inOrder.topFrame);
  });
});

describe('mergeCrashStats', () => {
  it('adds to existing rows and sends values past the row bound to other', () => {
    const first = reduceCrashes(
      Array.from({ length: MAX_STATS_ROWS }, (_, i) =>
        crash('python/simple', { version: `1.0.${i}`, clientId: `c${i}` }),
      ),
    );
    const day = `products/${KEY}/stats/2026-11-20_version`;
    const full = mergeCrashStats(null, first.stats.get(day)!, NOW);
    const more = reduceCrashes([
      crash('python/simple', { version: '1.0.0', clientId: 'c0' }),
      crash('python/simple', { version: '9.9.9', clientId: 'c-new' }),
    ]);
    const next = mergeCrashStats(full, more.stats.get(day)!, NOW);
    expect(next.rows).toHaveLength(MAX_STATS_ROWS);
    expect(next.rows[0]).toMatchObject({ value: '1.0.0', count: 2, clients: 1 });
    expect(next.other).toMatchObject({ count: 1, clients: 1 });
    expect(next.total).toMatchObject({ count: MAX_STATS_ROWS + 2, clients: MAX_STATS_ROWS + 1 });
  });
});

describe('usage', () => {
  let seq = 0;
  function usage(
    metrics: UsageDoc['metrics'],
    installId: string | undefined,
    at = '2026-11-20T10:00:00Z',
  ): ReportRecord<UsageDoc> {
    const id = `u${++seq}`;
    return {
      path: `products/${KEY}/usage/${id}`,
      id,
      doc: {
        productKey: KEY,
        clientId: 'client-x',
        ...(installId ? { installId } : {}),
        receivedAt: new Date(at),
        metrics,
      },
    };
  }

  it('counts installations, numeric metrics (count, sum, min, max) and values per metric', () => {
    const deltas = reduceUsage([
      usage({ session_seconds: 30, theme: 'dark', beta: true }, 'i1'),
      usage({ session_seconds: 90, theme: 'dark' }, 'i2'),
      usage({ session_seconds: -5, theme: 'light', beta: false }, 'i1'),
      usage({ theme: 'dark' }, undefined, '2026-11-21T00:00:00Z'),
    ]);
    const day = mergeUsageStats(null, deltas.get(`products/${KEY}/stats/2026-11-20_usage`)!, NOW);
    expect([day.reports, day.installs.clients]).toEqual([3, 2]);
    expect(day.metrics).toEqual([
      {
        name: 'beta',
        count: 2,
        number: null,
        values: [
          { value: 'false', count: 1 },
          { value: 'true', count: 1 },
        ],
        otherValues: 0,
      },
      {
        name: 'session_seconds',
        count: 3,
        number: { count: 3, sum: 115, min: -5, max: 90 },
        values: [],
        otherValues: 0,
      },
      {
        name: 'theme',
        count: 3,
        number: null,
        values: [
          { value: 'dark', count: 2 },
          { value: 'light', count: 1 },
        ],
        otherValues: 0,
      },
    ]);
    const again = mergeUsageStats(day, deltas.get(`products/${KEY}/stats/2026-11-20_usage`)!, NOW);
    expect(again.metrics[1]!.number).toEqual({ count: 6, sum: 230, min: -5, max: 90 });
    expect(again.installs.clients).toBe(2);
  });

  it('counts values past the per-metric bound without listing them', () => {
    const reports = Array.from({ length: MAX_METRIC_VALUES + 3 }, (_, i) => usage({ screen: `s${i}` }, 'i1'));
    const day = mergeUsageStats(null, [...reduceUsage(reports).values()][0]!, NOW);
    expect([day.metrics[0]!.values.length, day.metrics[0]!.otherValues, day.metrics[0]!.count]).toEqual([
      MAX_METRIC_VALUES,
      3,
      MAX_METRIC_VALUES + 3,
    ]);
  });
});

describe('mergeIssue: releases and first version', () => {
  const id = 'java/checkout-1.3.0-checkout';
  it('counts crashes and distinct installs per release, merged across batches, and keeps the first release', () => {
    const first = reduceCrashes([
      crash(id, { version: '2.0.0', installId: 'inst-a', at: '2026-11-02T00:00:00Z' }),
      crash(id, { version: '1.9.0', installId: 'inst-a', at: '2026-11-01T00:00:00Z' }),
      crash(id, { version: '2.0.0', installId: 'inst-b', at: '2026-11-03T00:00:00Z' }),
    ]);
    const created = mergeIssue(null, [...first.issues.values()][0]!, NOW);
    expect(created.firstVersion).toBe('1.9.0');
    expect(created.releases?.map((r) => [r.version, r.count, r.installs])).toEqual([
      ['2.0.0', 2, 2],
      ['1.9.0', 1, 1],
    ]);
    const later = reduceCrashes([
      crash(id, { version: '2.0.0', installId: 'inst-a', at: '2026-11-04T00:00:00Z' }),
      crash(id, { version: '2.0.0', installId: 'inst-c', at: '2026-11-04T00:00:01Z' }),
    ]);
    const merged = mergeIssue(created, [...later.issues.values()][0]!, NOW);
    expect(merged.firstVersion).toBe('1.9.0');
    expect(merged.releases?.map((r) => [r.version, r.count, r.installs])).toEqual([
      ['2.0.0', 4, 3],
      ['1.9.0', 1, 1],
    ]);
    expect(merged.clients).toBe(3);
  });

  it('takes the first release from an earlier crash applied late', () => {
    const created = issueAfter('unresolved', null, '2026-11-01T00:00:00Z');
    const late = reduceCrashes([crash(id, { version: '1.0.0', at: '2026-10-01T00:00:00Z' })]);
    expect(mergeIssue(created, [...late.issues.values()][0]!, NOW).firstVersion).toBe('1.0.0');
  });
});

describe('mergeIssue: per-day counts for the listing', () => {
  const at = (id: string, when: string) => crash(id, { version: '1.0', at: when });
  const deltaOf = (...crashes: Array<ReturnType<typeof at>>) => [...reduceCrashes(crashes).issues.values()][0]!;
  const ID = 'python/checkout-1.3.0-checkout';

  it('counts a new issue per UTC day, oldest first, from its first batch', () => {
    const created = mergeIssue(
      null,
      deltaOf(at(ID, '2026-11-20T23:59:59Z'), at(ID, '2026-11-21T00:00:00Z'), at(ID, '2026-11-20T01:00:00Z')),
      NOW,
    );
    expect(created.daily).toEqual([
      { day: '2026-11-20', count: 2 },
      { day: '2026-11-21', count: 1 },
    ]);
    expect(created.dailySince).toBeUndefined();
  });

  it('adds later batches to their days and drops days before the last 30 ending today', () => {
    const created = mergeIssue(null, deltaOf(at(ID, '2026-10-24T10:00:00Z'), at(ID, '2026-10-23T10:00:00Z')), NOW);
    // NOW is 2026-11-22: the 30 days kept start on 2026-10-24.
    expect(created.daily).toEqual([{ day: '2026-10-24', count: 1 }]);
    const next = mergeIssue(created, deltaOf(at(ID, '2026-11-22T00:00:00Z'), at(ID, '2026-10-24T11:00:00Z')), NOW);
    expect(next.daily).toEqual([
      { day: '2026-10-24', count: 2 },
      { day: '2026-11-22', count: 1 },
    ]);
    const later = mergeIssue(next, deltaOf(at(ID, '2026-11-25T00:00:00Z')), new Date('2026-11-25T00:00:00Z'));
    expect(later.daily).toEqual([
      { day: '2026-11-22', count: 1 },
      { day: '2026-11-25', count: 1 },
    ]);
    expect(later.dailySince).toBeUndefined();
  });

  it('starts counting on an issue stored before per-day counts, marking the first, partial, day', () => {
    const { daily: _daily, ...stored } = mergeIssue(null, deltaOf(at(ID, '2026-11-10T10:00:00Z')), NOW);
    const next = mergeIssue(stored, deltaOf(at(ID, '2026-11-21T10:00:00Z'), at(ID, '2026-11-20T10:00:00Z')), NOW);
    expect([next.daily, next.dailySince, next.count]).toEqual([
      [
        { day: '2026-11-20', count: 1 },
        { day: '2026-11-21', count: 1 },
      ],
      '2026-11-20',
      3,
    ]);
    expect(mergeIssue(next, deltaOf(at(ID, '2026-11-22T00:00:00Z')), NOW).dailySince).toBe('2026-11-20');
  });
});

import {
  crashDaySeries,
  issueDailyCounts,
  issueDailyFromDoc,
  lastDays,
  usageDaySeries,
} from '../../../functions/src/api/series';
import type { CrashStatsDoc, UsageStatsDoc } from '../../../functions/src/grouping/schemas';

const NOW = new Date('2026-03-01T23:59:59Z');
const counted = (count: number, clients: number) => ({ count, clients, sketch: new Uint8Array(0) });

function issueDay(day: string, rows: Array<[string, number]>): CrashStatsDoc {
  return {
    productKey: 'pk',
    day,
    by: 'issue',
    total: counted(
      rows.reduce((n, [, c]) => n + c, 0),
      1,
    ),
    rows: rows.map(([value, count]) => ({ value, ...counted(count, 1) })),
    other: null,
    updatedAt: NOW,
  };
}

describe('lastDays', () => {
  it('lists the last n UTC days ending today, oldest first, across a month end', () => {
    expect(lastDays(NOW, 3)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(lastDays(new Date('2026-03-01T00:00:00Z'), 1)).toEqual(['2026-03-01']);
    expect(lastDays(NOW, 0)).toEqual([]);
  });
});

describe('issueDailyCounts', () => {
  it('gives each asked issue its count per day, 0 for days without a document or without the issue', () => {
    const days = ['2026-02-27', '2026-02-28', '2026-03-01'];
    const docs = new Map<string, unknown>([
      [
        '2026-02-27_issue',
        issueDay('2026-02-27', [
          ['a', 2],
          ['b', 1],
        ]),
      ],
      [
        '2026-03-01_issue',
        issueDay('2026-03-01', [
          ['a', 5],
          ['c', 9],
        ]),
      ],
    ]);
    const counts = issueDailyCounts(days, docs, ['a', 'b', 'z']);
    expect(Object.fromEntries(counts)).toEqual({ a: [2, 0, 5], b: [1, 0, 0], z: [0, 0, 0] });
  });

  it('fails on a stats document that does not have the stored shape', () => {
    expect(() => issueDailyCounts(['2026-03-01'], new Map([['2026-03-01_issue', { rows: 'x' }]]), ['a'])).toThrow(
      'malformed stats document 2026-03-01_issue',
    );
  });
});

describe('day series', () => {
  it('has a point for every day of the range, 0 where no document exists', () => {
    const days = ['2026-02-28', '2026-03-01'];
    const crash = new Map([['2026-03-01', issueDay('2026-03-01', [['a', 3]])]]);
    expect(crashDaySeries(days, crash)).toEqual([
      { day: '2026-02-28', count: 0, clients: 0 },
      { day: '2026-03-01', count: 3, clients: 1 },
    ]);
    const usage = new Map<string, UsageStatsDoc>([
      [
        '2026-02-28',
        {
          productKey: 'pk',
          day: '2026-02-28',
          by: 'usage',
          reports: 7,
          installs: { clients: 4, sketch: new Uint8Array(0) },
          metrics: [],
          otherMetrics: 0,
          updatedAt: NOW,
        },
      ],
    ]);
    expect(usageDaySeries(days, usage)).toEqual([
      { day: '2026-02-28', reports: 7, installs: 4 },
      { day: '2026-03-01', reports: 0, installs: 0 },
    ]);
  });
});

describe('issueDailyFromDoc', () => {
  const days = ['2026-02-27', '2026-02-28', '2026-03-01'];
  const seen = (iso: string) => new Date(iso);
  const daily = [
    { day: '2026-02-20', count: 9 },
    { day: '2026-02-28', count: 3 },
    { day: '2026-03-01', count: 1 },
  ];

  it("reads the issue's own per-day counts, 0 on days without any", () => {
    expect(issueDailyFromDoc({ lastSeen: seen('2026-03-01T10:00:00Z'), daily }, days)).toEqual([0, 3, 1]);
  });

  it('answers 0 on every day for an issue last seen before them, kept counts or not', () => {
    expect(issueDailyFromDoc({ lastSeen: seen('2026-02-26T23:59:59Z') }, days)).toEqual([0, 0, 0]);
  });

  it('cannot tell for an issue stored before per-day counts, or that started them within the days', () => {
    expect(issueDailyFromDoc({ lastSeen: seen('2026-02-27T00:00:00Z') }, days)).toBeNull();
    expect(
      issueDailyFromDoc({ lastSeen: seen('2026-03-01T00:00:00Z'), daily, dailySince: '2026-02-27' }, days),
    ).toBeNull();
    expect(
      issueDailyFromDoc({ lastSeen: seen('2026-03-01T00:00:00Z'), daily, dailySince: '2026-02-26' }, days),
    ).toEqual([0, 3, 1]);
  });

  it('answers no counts for no days', () => {
    expect(issueDailyFromDoc({ lastSeen: seen('2026-03-01T00:00:00Z') }, [])).toEqual([]);
  });
});

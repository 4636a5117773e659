import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toStoredReport } from '../../../functions/src/ingest/stored-report';
import type { CrashReport, SessionReport, UsageReport } from '../../../functions/src/ingest/schemas';
import { sampleCrash } from '../../../scripts/lib/client';

interface IndexFile {
  indexes: Array<{ collectionGroup: string; queryScope: string; fields: Array<{ fieldPath: string; order?: string }> }>;
  fieldOverrides: Array<{
    collectionGroup: string;
    fieldPath: string;
    indexes: Array<{ order?: string; queryScope?: string }>;
  }>;
}

const file = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'firestore.indexes.json'), 'utf8')) as IndexFile;
const override = (group: string, field: string) =>
  file.fieldOverrides.find((o) => o.collectionGroup === group && o.fieldPath === field);

describe('firestore.indexes.json for the rollup', () => {
  it.each(['crashes', 'usage', 'sessions'])(
    'indexes %s by (shard, receivedAt) across the collection group (the rollup query) and nothing on receivedAt alone',
    (group) => {
      expect(file.indexes).toContainEqual({
        collectionGroup: group,
        queryScope: 'COLLECTION_GROUP',
        fields: [
          { fieldPath: 'shard', order: 'ASCENDING' },
          { fieldPath: 'receivedAt', order: 'ASCENDING' },
        ],
      });
      // An ever-increasing field indexed alone caps writes at ~500/s; the shard prefix spreads them.
      expect(override(group, 'receivedAt')?.indexes).toEqual([]);
    },
  );

  it.each(['lastSeen', 'count', 'clients'])(
    'has the issue listing index on the list rows and on the issues by status, then %s newest/largest first',
    (field) => {
      for (const collectionGroup of ['issueRows', 'issues']) {
        expect(file.indexes).toContainEqual({
          collectionGroup,
          queryScope: 'COLLECTION',
          fields: [
            { fieldPath: 'status', order: 'ASCENDING' },
            { fieldPath: field, order: 'DESCENDING' },
          ],
        });
      }
    },
  );

  it("indexes one product's crashes by (shard, receivedAt newest first) for the api's crash feed", () => {
    expect(file.indexes).toContainEqual({
      collectionGroup: 'crashes',
      queryScope: 'COLLECTION',
      fields: [
        { fieldPath: 'shard', order: 'ASCENDING' },
        { fieldPath: 'receivedAt', order: 'DESCENDING' },
      ],
    });
  });

  it.each(['lastSeen', 'count', 'clients'])(
    'leaves the single-field index on issues.%s on (the unfiltered listing orders by it alone)',
    (field) => {
      expect(override('issues', field)).toBeUndefined();
    },
  );

  it.each([
    ['issues', 'clientSketch'],
    ['issues', 'versions'],
    ['issues', 'recentCrashIds'],
    ['issues', 'recentCrashTimes'],
    ['issues', 'releases'],
    ['stats', 'rows'],
    ['stats', 'total'],
    ['stats', 'metrics'],
    ['stats', 'releases'],
  ])('exempts %s.%s (large, never queried) from indexing', (group, field) => {
    expect(override(group, field)?.indexes).toEqual([]);
  });
});

describe('firestore.indexes.json for raw reports', () => {
  const server = {
    productKey: 'pk_test',
    clientId: 'client',
    counter: 1,
    acceptedAt: new Date('2026-12-04T00:00:00Z'),
    retentionDays: 90,
    documentId: 'a'.repeat(40),
  };
  const crash = toStoredReport(
    {
      ...sampleCrash({
        label: 'checkout',
        tags: { a: 'b' },
        extra: { n: 1 },
        fingerprint: 'fp',
        installId: 'install-1',
        breadcrumbs: [{ timestamp: '2026-12-04T00:00:00Z', category: 'log', level: 'info' }],
      }),
    } as unknown as CrashReport,
    server,
  );
  const usage = toStoredReport(
    {
      reportId: '00000000-0000-4000-8000-000000000000',
      occurredAt: '2026-12-04T00:00:00Z',
      app: { name: 'a', version: '1' },
      label: 'cli',
      installId: 'install-1',
      metrics: { os: 'linux' },
    } satisfies UsageReport,
    server,
  );
  const sessions = toStoredReport(
    {
      reportId: '00000000-0000-4000-8000-000000000001',
      occurredAt: '2026-12-04T00:00:00Z',
      app: { name: 'a', version: '1' },
      installId: 'install-1',
      sessions: [{ started: '2026-12-04T00:00:00Z', ok: 1, errored: 0, crashed: 0, abnormal: 0 }],
    } as SessionReport,
    server,
  );

  // Nothing reads raw reports by a field but through the (shard, receivedAt) indexes; every
  // automatic single-field index entry would be stored (and billed) for nothing.
  it.each([
    ['crashes', crash],
    ['usage', usage],
    ['sessions', sessions],
  ] as const)('exempts every field the ingest stores on %s from single-field indexing', (group, doc) => {
    const fields = [...Object.keys(doc), 'receivedAt'];
    expect(fields.length).toBeGreaterThan(10);
    for (const field of fields) expect([group, field, override(group, field)?.indexes]).toEqual([group, field, []]);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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
  it.each(['crashes', 'usage'])(
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
    'has the issue listing index by status, then %s newest/largest first',
    (field) => {
      expect(file.indexes).toContainEqual({
        collectionGroup: 'issues',
        queryScope: 'COLLECTION',
        fields: [
          { fieldPath: 'status', order: 'ASCENDING' },
          { fieldPath: field, order: 'DESCENDING' },
        ],
      });
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
    ['stats', 'rows'],
    ['stats', 'total'],
    ['stats', 'metrics'],
  ])('exempts %s.%s (large, never queried) from indexing', (group, field) => {
    expect(override(group, field)?.indexes).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface IndexFile {
  indexes: Array<{
    collectionGroup: string;
    queryScope: string;
    fields: Array<{ fieldPath: string; order?: string; arrayConfig?: string }>;
  }>;
  fieldOverrides: Array<{ collectionGroup: string; fieldPath: string; ttl?: boolean; indexes: unknown[] }>;
}

const file = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'firestore.indexes.json'), 'utf8')) as IndexFile;
const override = (group: string, field: string) =>
  file.fieldOverrides.find((o) => o.collectionGroup === group && o.fieldPath === field);

describe('firestore.indexes.json', () => {
  it('passes the validation firebase deploy runs', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FirestoreApi } = require('firebase-tools/lib/firestore/api') as {
      FirestoreApi: new () => { validateSpec(spec: unknown): void };
    };
    expect(() => new FirestoreApi().validateSpec(file)).not.toThrow();
    expect(() =>
      new FirestoreApi().validateSpec({
        ...file,
        fieldOverrides: [{ collectionGroup: 'crashes', fieldPath: 'expireAt', ttl: 'yes', indexes: [] }],
      }),
    ).toThrow();
  });

  it('has the composite index behind GET /v1/products (memberUids contains, newest first)', () => {
    expect(file.indexes).toContainEqual({
      collectionGroup: 'products',
      queryScope: 'COLLECTION',
      fields: [
        { fieldPath: 'memberUids', arrayConfig: 'CONTAINS' },
        { fieldPath: 'createdAt', order: 'DESCENDING' },
      ],
    });
  });

  it.each(['crashes', 'usage'])('deletes %s by TTL on expireAt, which is never queried so not indexed', (group) => {
    expect(override(group, 'expireAt')).toEqual({
      collectionGroup: group,
      fieldPath: 'expireAt',
      ttl: true,
      indexes: [],
    });
  });

  it.each([
    ['crashes', 'exception.stacktrace'],
    ['crashes', 'exception.message'],
    ['crashes', 'extraJson'],
    ['usage', 'metrics'],
    ['issues', 'daily'],
    ['issues', 'dailySince'],
    ['issues', 'environments'],
    // The searched listing orders by a sort field, so only the composite indexes below serve it.
    ['issues', 'searchTokens'],
    ['issueRows', 'daily'],
    ['issueRows', 'dailySince'],
    ['issueRows', 'environmentCounts'],
    ['issueRows', 'searchTokens'],
  ])('exempts %s.%s from indexing', (group, field) => {
    expect(override(group, field)?.indexes).toEqual([]);
  });

  it.each(['lastSeen', 'count', 'clients'])(
    'has the composite indexes behind a searched or filtered issue listing by %s, with and without a status',
    (sort) => {
      const tokens = { fieldPath: 'searchTokens', arrayConfig: 'CONTAINS' };
      const order = { fieldPath: sort, order: 'DESCENDING' };
      // The listing queries the list rows (issueRows) of a product whose rows are complete, the
      // issue documents of one the backfill has not finished.
      for (const collectionGroup of ['issueRows', 'issues']) {
        const issues = { collectionGroup, queryScope: 'COLLECTION' };
        expect(file.indexes).toContainEqual({ ...issues, fields: [tokens, order] });
        expect(file.indexes).toContainEqual({
          ...issues,
          fields: [tokens, { fieldPath: 'status', order: 'ASCENDING' }, order],
        });
      }
    },
  );

  it('has the composite index behind the crash feed of one environment (environment, shard, newest first)', () => {
    expect(file.indexes).toContainEqual({
      collectionGroup: 'crashes',
      queryScope: 'COLLECTION',
      fields: [
        { fieldPath: 'environment', order: 'ASCENDING' },
        { fieldPath: 'shard', order: 'ASCENDING' },
        { fieldPath: 'receivedAt', order: 'DESCENDING' },
      ],
    });
  });

  it('names each field override once', () => {
    const names = file.fieldOverrides.map((o) => `${o.collectionGroup}.${o.fieldPath}`);
    expect(new Set(names).size).toBe(names.length);
  });
});

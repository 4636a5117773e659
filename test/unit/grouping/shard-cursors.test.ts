import { carryOverShardCursors, parseShardCursors } from '../../../functions/src/grouping/shard-cursors';

const AT = new Date('2026-12-01T10:00:00Z');
const cursor = (path: string, processed: number) => ({
  receivedAt: AT,
  receivedAtUs: AT.getTime() * 1000,
  path,
  processed,
});

describe('parseShardCursors', () => {
  it('answers every shard in order, null for a shard without a cursor or absent from the document', () => {
    const data = {
      shards: { '0': cursor('products/a/crashes/x', 4), '1': null, '3': cursor('products/a/crashes/y', 1) },
    };
    expect(parseShardCursors('rollupState/crashes-shards', data, 4)).toEqual([
      cursor('products/a/crashes/x', 4),
      null,
      null,
      cursor('products/a/crashes/y', 1),
    ]);
  });

  it('throws naming the document when a cursor cannot be read', () => {
    const data = { shards: { '0': { path: 'products/a/crashes/x', processed: 1 } } };
    expect(() => parseShardCursors('rollupState/crashes-shards', data, 8)).toThrow('rollupState/crashes-shards');
  });
});

describe('carryOverShardCursors', () => {
  const shards = (...data: unknown[]) => data.map((d, i) => ({ path: `rollupState/crashes-shard-${i}`, data: d }));

  it("takes each shard's own cursor of before, else the stream's single cursor with processed counted from 0", () => {
    const single = { path: 'rollupState/crashes', data: cursor('products/a/crashes/old', 30) };
    expect(carryOverShardCursors(shards(cursor('products/a/crashes/s0', 7), undefined), single)).toEqual([
      cursor('products/a/crashes/s0', 7),
      cursor('products/a/crashes/old', 0),
    ]);
  });

  it('answers null for a shard with neither', () => {
    expect(
      carryOverShardCursors(shards(undefined, undefined), { path: 'rollupState/crashes', data: undefined }),
    ).toEqual([null, null]);
  });

  it('throws naming a document of before that is not a cursor (one already moved is never read again)', () => {
    const moved = { movedTo: 'rollupState/crashes-shards' };
    expect(() => carryOverShardCursors(shards(moved), { path: 'rollupState/crashes', data: undefined })).toThrow(
      'rollupState/crashes-shard-0',
    );
  });
});

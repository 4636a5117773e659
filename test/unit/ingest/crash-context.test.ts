import { sampleCrash } from '../../../scripts/lib/client';
import { CrashReportSchema } from '../../../functions/src/ingest/schemas';
import {
  keepWithinBytes,
  MAX_STORED_BREADCRUMBS_BYTES,
  MAX_STORED_SOURCE_CONTEXT_BYTES,
  toStoredReport,
} from '../../../functions/src/ingest/stored-report';
import { BreadcrumbSchema, StoredCrashSchema } from '../../../functions/src/grouping/schemas';
import { DumpcatcherError } from '../../../functions/src/shared/errors';
import { parseInput } from '../../../functions/src/shared/validation';

const server = {
  productKey: 'pk_test',
  clientId: 'client_abc_123',
  counter: 7,
  acceptedAt: new Date('2026-12-07T10:00:00Z'),
  retentionDays: 90,
  documentId: 'b'.repeat(40),
};
const receivedAt = new Date('2026-12-07T10:00:01Z');

const crumb = (overrides: Record<string, unknown> = {}) => ({
  timestamp: '2026-12-07T10:19:58.120Z',
  category: 'http',
  level: 'warning',
  message: 'GET api.shop.test/cart',
  data: { method: 'GET', host: 'api.shop.test', path: '/cart', status: 404 },
  ...overrides,
});
const lines = (overrides: Record<string, unknown> = {}) => ({
  file: '/srv/app/main.py',
  line: 9,
  pre: ['def main():', '    total, count = 10, 0'],
  context: '    ratio = total / count',
  post: ['    return ratio', ''],
  ...overrides,
});
const withContext = (exceptionExtra: object, top: Record<string, unknown> = {}) => {
  const base = sampleCrash(top);
  return { ...base, exception: { ...(base.exception as object), ...exceptionExtra } };
};

/** What the ingest answers for a crash body: the validated report, or the 400's message and paths. */
function validate(body: unknown) {
  try {
    return { report: parseInput(CrashReportSchema, body, 'invalid_body', 'crash report') };
  } catch (err) {
    if (!(err instanceof DumpcatcherError)) throw err;
    const { issues } = err.details as { issues: Array<{ path: string }> };
    return { code: err.code, status: err.httpStatus, message: err.message, paths: issues.map((i) => i.path) };
  }
}

describe('crash reports with breadcrumbs and source context (protocol.md)', () => {
  it('accepts breadcrumbs and exception.sourceContext as the protocol describes them', () => {
    const result = validate(
      withContext(
        { sourceContext: [lines(), lines({ line: 12, pre: [], post: [] })] },
        {
          breadcrumbs: [
            crumb(),
            { timestamp: '2026-12-07T11:19:59+01:00', category: 'default', level: 'info' },
            crumb({ level: 'fatal', data: { n: 1.5, ok: true, none: null } }),
          ],
        },
      ),
    );
    expect(result.report?.breadcrumbs).toHaveLength(3);
    expect(result.report?.exception.sourceContext).toHaveLength(2);
  });

  it.each([
    ['an unknown breadcrumb field', { breadcrumbs: [crumb(), crumb({ colour: 'red' })] }, 'breadcrumbs.1.colour'],
    ['a breadcrumb without a timestamp', { breadcrumbs: [crumb({ timestamp: undefined })] }, 'breadcrumbs.0.timestamp'],
    [
      'a timestamp without an offset',
      { breadcrumbs: [crumb({ timestamp: '2026-12-07T10:00:00' })] },
      'breadcrumbs.0.timestamp',
    ],
    ['an unknown level', { breadcrumbs: [crumb({ level: 'verbose' })] }, 'breadcrumbs.0.level'],
    ['an empty category', { breadcrumbs: [crumb({ category: '' })] }, 'breadcrumbs.0.category'],
    ['a category of 129 characters', { breadcrumbs: [crumb({ category: 'c'.repeat(129) })] }, 'breadcrumbs.0.category'],
    ['a message of 8,193 characters', { breadcrumbs: [crumb({ message: 'm'.repeat(8193) })] }, 'breadcrumbs.0.message'],
    [
      'a data value that is an object',
      { breadcrumbs: [crumb({ data: { nested: { a: 1 } } })] },
      'breadcrumbs.0.data.nested',
    ],
    [
      'a data string of 1,025 characters',
      { breadcrumbs: [crumb({ data: { s: 'x'.repeat(1025) } })] },
      'breadcrumbs.0.data.s',
    ],
    [
      'data with 51 entries',
      { breadcrumbs: [crumb({ data: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) })] },
      'breadcrumbs.0.data',
    ],
    ['breadcrumbs that are not an array', { breadcrumbs: { 0: crumb() } }, 'breadcrumbs'],
    ['201 breadcrumbs', { breadcrumbs: Array.from({ length: 201 }, () => crumb()) }, 'breadcrumbs'],
  ])('refuses %s with a 400 naming its path', (_name, top, path) => {
    const result = validate(sampleCrash(top));
    expect(result).toMatchObject({ code: 'invalid_body', status: 400 });
    expect(result.paths).toContain(path);
    expect(result.message).toContain(path);
  });

  it.each([
    ['an unknown field', { sourceContext: [lines({ lines: [] })] }, 'exception.sourceContext.0.lines'],
    ['line 0', { sourceContext: [lines({ line: 0 })] }, 'exception.sourceContext.0.line'],
    ['a line that is not an integer', { sourceContext: [lines({ line: 9.5 })] }, 'exception.sourceContext.0.line'],
    ['an empty file', { sourceContext: [lines({ file: '' })] }, 'exception.sourceContext.0.file'],
    [
      'six lines before',
      { sourceContext: [lines({ pre: ['a', 'b', 'c', 'd', 'e', 'f'] })] },
      'exception.sourceContext.0.pre',
    ],
    [
      'a line of 1,025 characters',
      { sourceContext: [lines({ context: 'x'.repeat(1025) })] },
      'exception.sourceContext.0.context',
    ],
    ['no context line', { sourceContext: [lines({ context: undefined })] }, 'exception.sourceContext.0.context'],
    [
      '51 entries',
      { sourceContext: Array.from({ length: 51 }, (_, i) => lines({ line: i + 1 })) },
      'exception.sourceContext',
    ],
  ])('refuses source context with %s with a 400 naming its path', (_name, extra, path) => {
    const result = validate(withContext(extra));
    expect(result).toMatchObject({ code: 'invalid_body', status: 400 });
    expect(result.paths).toContain(path);
  });
});

describe('toStoredReport with breadcrumbs and source context', () => {
  it('stores breadcrumbs as JSON text, source context as sent, and reads back whole', () => {
    const report = CrashReportSchema.parse(
      withContext({ sourceContext: [lines()] }, { breadcrumbs: [crumb(), crumb({ data: { __name__: 'x' } })] }),
    );
    const doc = { ...toStoredReport(report, server), receivedAt };
    expect(doc).not.toHaveProperty('breadcrumbs');
    expect(doc).not.toHaveProperty('breadcrumbsOmitted');
    expect(BreadcrumbSchema.array().parse(JSON.parse(doc.breadcrumbsJson ?? ''))).toEqual(report.breadcrumbs);
    expect(doc.exception.sourceContext).toEqual([lines()]);
    expect(StoredCrashSchema.parse(doc)).toEqual(doc);
  });

  it('leaves out empty lists', () => {
    const doc = toStoredReport(
      CrashReportSchema.parse(withContext({ sourceContext: [] }, { breadcrumbs: [] })),
      server,
    );
    expect(doc).not.toHaveProperty('breadcrumbsJson');
    expect(doc.exception).not.toHaveProperty('sourceContext');
  });

  it('keeps the newest breadcrumbs within the budget and counts the ones left out', () => {
    // 200 breadcrumbs of ~3 KiB each: about 600 KiB, more than the 256 KiB kept.
    const many = Array.from({ length: 200 }, (_, i) => crumb({ message: `${i} ${'é'.repeat(1500)}` }));
    const doc = toStoredReport(CrashReportSchema.parse(sampleCrash({ breadcrumbs: many })), server);
    const kept = JSON.parse(doc.breadcrumbsJson ?? '[]') as Array<{ message: string }>;
    expect(Buffer.byteLength(doc.breadcrumbsJson ?? '', 'utf8')).toBeLessThanOrEqual(MAX_STORED_BREADCRUMBS_BYTES);
    expect(kept.length).toBeGreaterThan(50);
    expect(kept[kept.length - 1]?.message.startsWith('199 ')).toBe(true);
    expect(doc.breadcrumbsOmitted).toBe(200 - kept.length);
    expect(kept[0]?.message.startsWith(`${200 - kept.length} `)).toBe(true);
  });

  it('keeps the first (innermost) source-context entries within the budget', () => {
    const big = Array.from({ length: 50 }, (_, i) =>
      lines({ line: i + 1, pre: Array.from({ length: 5 }, () => 'p'.repeat(1024)), post: [] }),
    );
    const doc = toStoredReport(CrashReportSchema.parse(withContext({ sourceContext: big })), server);
    const kept = doc.exception.sourceContext ?? [];
    expect(Buffer.byteLength(JSON.stringify(kept), 'utf8')).toBeLessThanOrEqual(MAX_STORED_SOURCE_CONTEXT_BYTES);
    expect(kept.length).toBeGreaterThan(10);
    expect(kept.length).toBeLessThan(50);
    expect(kept.map((entry) => entry.line)).toEqual(Array.from({ length: kept.length }, (_, i) => i + 1));
  });
});

describe('keepWithinBytes', () => {
  it('keeps everything that fits, and exactly the budget from the chosen end', () => {
    const items = ['aaaa', 'bbbb', 'cccc']; // each "xxxx" is 6 bytes of JSON, plus a comma between
    expect(keepWithinBytes(items, 2 + 6 * 3 + 2, 'last')).toEqual(items);
    expect(keepWithinBytes(items, 2 + 6 * 2 + 1, 'last')).toEqual(['bbbb', 'cccc']);
    expect(keepWithinBytes(items, 2 + 6 * 2, 'first')).toEqual(['aaaa']);
    expect(keepWithinBytes(items, 5, 'first')).toEqual([]);
  });
});

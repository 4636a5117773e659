import { CrashReportSchema, SessionReportSchema, UsageReportSchema } from '../../../functions/src/ingest/schemas';
import { MAX_STORED_STACKTRACE_BYTES, toStoredReport } from '../../../functions/src/ingest/stored-report';
import {
  CrashDocSchema,
  SessionDocSchema,
  StoredCrashSchema,
  StoredSessionsSchema,
  StoredUsageSchema,
  UsageDocSchema,
} from '../../../functions/src/grouping/schemas';
import { CrashViewFieldsSchema } from '../../../functions/src/api/schemas';
import { sampleCrash } from '../../../scripts/lib/client';

const server = {
  productKey: 'pk_test',
  clientId: 'client_abc_123',
  counter: 7,
  acceptedAt: new Date('2026-12-04T00:00:00Z'),
  retentionDays: 90,
  documentId: 'a'.repeat(40),
};
const receivedAt = new Date('2026-12-04T00:00:01Z');

// Every field the protocol accepts is set, so a field added to the protocol but not to the stored schema shows here.
const crash = CrashReportSchema.parse(
  sampleCrash({
    os: { name: 'linux', version: '6.1', arch: 'x64' },
    label: 'checkout',
    tags: { region: 'eu' },
    extra: { cart: [1, 2] },
    fingerprint: 'fp',
    installId: 'install_abc_123',
    environment: 'staging',
    breadcrumbs: [{ timestamp: '2026-12-04T00:00:00.000Z', category: 'log', level: 'info', message: 'start' }],
  }),
);
const usage = UsageReportSchema.parse({
  reportId: '00000000-0000-4000-8000-000000000000',
  occurredAt: '2026-12-04T00:00:00Z',
  app: { name: 'cli', version: '1.0.0' },
  installId: 'install_abc_123',
  label: 'cli',
  environment: 'staging',
  metrics: { os: 'linux', runs: 3, first: true },
});
const sessions = SessionReportSchema.parse({
  reportId: '00000000-0000-4000-8000-000000000001',
  occurredAt: '2026-12-04T00:00:00Z',
  app: { name: 'cli', version: '1.0.0' },
  installId: 'install_abc_123',
  environment: 'staging',
  sessions: [{ started: '2026-12-04T00:00:00Z', ok: 1, errored: 1, crashed: 1, abnormal: 1 }],
});

describe('toStoredReport', () => {
  it('is given reports with every protocol field set', () => {
    expect(Object.keys(crash).sort()).toEqual(Object.keys(CrashReportSchema.shape).sort());
    expect(Object.keys(usage).sort()).toEqual(Object.keys(UsageReportSchema.shape).sort());
    expect(Object.keys(sessions).sort()).toEqual(Object.keys(SessionReportSchema.shape).sort());
  });

  it('writes a crash that StoredCrashSchema reads back whole, and the rollup and the api can read', () => {
    // The ingest adds the count of replaced lone surrogates when there were any.
    const doc = { ...toStoredReport(crash, server), receivedAt, loneSurrogatesReplaced: 2 };
    expect(doc).toMatchObject({ extraJson: '{"cart":[1,2]}', counter: 7, productKey: 'pk_test' });
    expect(doc).not.toHaveProperty('extra');
    expect(doc).toMatchObject({ breadcrumbsJson: JSON.stringify(crash.breadcrumbs) });
    // z.object drops fields it does not declare: equality means the schema declares every stored field.
    expect(StoredCrashSchema.parse(doc)).toEqual(doc);
    expect(CrashDocSchema.safeParse(doc).success).toBe(true);
    expect(CrashViewFieldsSchema.parse(doc)).toMatchObject({ os: { version: '6.1' }, tags: { region: 'eu' } });
  });

  it('writes a cut stack trace that StoredCrashSchema reads back whole', () => {
    const long = {
      ...crash,
      exception: { ...crash.exception, stacktrace: 'x'.repeat(MAX_STORED_STACKTRACE_BYTES + 1) },
    };
    const doc = { ...toStoredReport(long, server), receivedAt };
    expect(doc.exception.stacktraceTruncated).toBe(true);
    expect(StoredCrashSchema.parse(doc)).toEqual(doc);
  });

  it('writes a usage report that StoredUsageSchema reads back whole, and the rollup can read', () => {
    const doc = { ...toStoredReport(usage, server), receivedAt };
    expect(StoredUsageSchema.parse(doc)).toEqual(doc);
    expect(UsageDocSchema.safeParse(doc).success).toBe(true);
  });

  it('writes a sessions report that StoredSessionsSchema reads back whole, and the rollup can read', () => {
    const doc = { ...toStoredReport(sessions, server), receivedAt };
    expect(StoredSessionsSchema.parse(doc)).toEqual(doc);
    expect(SessionDocSchema.safeParse(doc).success).toBe(true);
  });

  it('keeps the environment a report names on every kind of report', () => {
    for (const report of [crash, usage, sessions]) expect(toStoredReport(report, server).environment).toBe('staging');
  });

  it('stores production for a report that names no environment (old SDKs, curl)', () => {
    for (const { environment: _named, ...report } of [crash, usage, sessions]) {
      expect(toStoredReport(report, server).environment).toBe('production');
    }
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SessionReportSchema } from '../../../functions/src/ingest/schemas';

interface VectorCase {
  name: string;
  reports: Array<Record<string, unknown>>;
}

const vectors = JSON.parse(readFileSync(join(__dirname, '..', '..', 'vectors', 'sessions-v1.json'), 'utf8')) as {
  cases: VectorCase[];
};
const withReports = vectors.cases.filter((c) => c.reports.length > 0);

describe('the sessions vectors against the ingest', () => {
  it('has cases with reports to check', () => {
    expect(withReports.length).toBeGreaterThan(3);
  });

  // Each report the SDKs are held to sending, with the fields every report carries, must be one the ingest accepts.
  it.each(withReports.map((c) => [c.name, c] as const))('accepts every report of "%s"', (_name, c) => {
    for (const report of c.reports) {
      const body = { reportId: '00000000-0000-4000-8000-000000000000', occurredAt: '2026-12-07T12:00:00Z', ...report };
      const result = SessionReportSchema.safeParse(body);
      expect([c.name, result.success ? 'accepted' : result.error.issues]).toEqual([c.name, 'accepted']);
    }
  });
});

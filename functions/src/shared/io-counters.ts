import { writeFileSync } from 'node:fs';

/**
 * Counts the Firestore operations this process makes, so `npm run bench:ingest` can report
 * reads and writes per accepted crash. Plain increments; written out only when
 * DUMPCATCHER_IO_REPORT names a file (at exit).
 */
export const ioCounters = { reads: 0, writes: 0, failedCreates: 0 };

const reportFile = process.env.DUMPCATCHER_IO_REPORT;
if (reportFile) {
  process.on('exit', () => writeFileSync(reportFile, JSON.stringify(ioCounters)));
}

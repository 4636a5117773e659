/**
 * An issue's figures in one environment, as stored on the issue document (`environments`, and
 * `environments` on each release row) and read by the api. One definition of how an issue stored
 * before environments were counted apart reads: wholly production, the environment the ingest
 * gives a report that names none (rollup and api agree through this module).
 */
import { DEFAULT_ENVIRONMENT, type IssueDoc, type IssueEnvironment } from './schemas';

/** An issue's environments: as stored, or for an issue stored before, the whole issue as production. */
export function environmentsOfIssue(
  issue: Pick<IssueDoc, 'environments' | 'count' | 'firstSeen' | 'firstVersion' | 'versions' | 'lastVersion'>,
): Record<string, IssueEnvironment> {
  if (issue.environments !== undefined) return issue.environments;
  if (issue.count === 0) return {};
  const firstVersion = issue.firstVersion ?? issue.versions[0] ?? issue.lastVersion;
  return { [DEFAULT_ENVIRONMENT]: { count: issue.count, firstSeen: issue.firstSeen, firstVersion } };
}

/** A release row of an issue. */
type ReleaseRow = NonNullable<IssueDoc['releases']>[number];

/**
 * An issue's crashes and installs in one release, in every environment (`environment`
 * undefined) or in one; a row stored before environments were counted apart is all production.
 */
export function releaseFiguresIn(
  issue: Pick<IssueDoc, 'releases'>,
  version: string,
  environment: string | undefined,
): { count: number; installs: number } {
  const row: ReleaseRow | undefined = issue.releases?.find((r) => r.version === version);
  if (row === undefined) return { count: 0, installs: 0 };
  if (environment === undefined) return { count: row.count, installs: row.installs };
  if (row.environments === undefined)
    return environment === DEFAULT_ENVIRONMENT
      ? { count: row.count, installs: row.installs }
      : { count: 0, installs: 0 };
  const figures = row.environments[environment];
  return { count: figures?.count ?? 0, installs: figures?.installs ?? 0 };
}

/**
 * Release health, pure: a batch of sessions reports reduced per (product, UTC day of each
 * bucket's start) into the day's releases document, and per product into the releases index
 * (first and last session of each release, and its sessions of the last hour for alerts).
 */

import {
  type ReleaseDay,
  type ReleaseIndexEntry,
  type ReleasesDayDoc,
  type ReleasesIndexDoc,
  type SessionCounts,
  type SessionDoc,
} from '../grouping/schemas';
import { ISSUE_PRECISION, addHash, createSketch, hashClient, mergeDistinct, type Sketch } from '../grouping/sketch';
import { compareVersions } from '../grouping/version';
import { clientIdentity, type ReportRecord } from '../grouping/classify';
import { rollReleaseHours } from '../alerts/rate';
import { COLLECTIONS, environmentsPath, productPath, statsPath } from '../shared/paths';
import { scopesOf } from './environments';

/**
 * Most releases one day's document lists; sessions of later ones count in `otherSessions`.
 * Each release holds two sketches of at most 4 KiB, so the document stays far below 1 MiB.
 */
export const MAX_RELEASES_PER_DAY = 50;
/** Most releases the index keeps; the lowest in version order are dropped first. */
export const MAX_INDEXED_RELEASES = 500;

/** Path of a day's releases document; with `environment`, that environment's copy. */
export function releasesDayPath(productKey: string, day: string, environment?: string): string {
  return statsPath(productKey, day, 'releases', environment);
}

/** Path of a product's releases index; with `environment`, that environment's copy (`releases@{environment}`). */
export function releasesIndexPath(productKey: string, environment?: string): string {
  const id = environment === undefined ? 'releases' : `releases@${environment}`;
  return `${productPath(productKey)}/${COLLECTIONS.stats}/${id}`;
}

/** No sessions. */
export function emptyCounts(): SessionCounts {
  return { total: 0, ok: 0, errored: 0, crashed: 0, abnormal: 0 };
}

/** The sum of two session counts. */
export function addCounts(a: SessionCounts, b: SessionCounts): SessionCounts {
  return {
    total: a.total + b.total,
    ok: a.ok + b.ok,
    errored: a.errored + b.errored,
    crashed: a.crashed + b.crashed,
    abnormal: a.abnormal + b.abnormal,
  };
}

function bucketCounts(b: SessionDoc['sessions'][number]): SessionCounts {
  return {
    total: b.ok + b.errored + b.crashed + b.abnormal,
    ok: b.ok,
    errored: b.errored,
    crashed: b.crashed,
    abnormal: b.abnormal,
  };
}

/**
 * The documents one sessions report changes: the releases document of each day it has a bucket
 * in and the index, each in all and in the report's environment, and the list of environments.
 */
export function sessionDocumentPaths(record: ReportRecord<SessionDoc>): string[] {
  const { productKey, sessions } = record.doc;
  const days = [...new Set(sessions.map((b) => b.started.slice(0, 10)))];
  return [
    ...scopesOf(record.doc).flatMap((environment) => [
      releasesIndexPath(productKey, environment),
      ...days.map((day) => releasesDayPath(productKey, day, environment)),
    ]),
    environmentsPath(productKey),
  ];
}

/** What a batch adds to one release's day. */
interface ReleaseDayDelta {
  sessions: SessionCounts;
  installs: Sketch;
  crashedInstalls: Sketch;
}

/** What a batch adds to one product's day. */
export interface ReleasesDayDelta {
  productKey: string;
  day: string;
  /** Set for one environment's copy; absent for every environment together. */
  environment?: string;
  installs: Sketch;
  releases: Map<string, ReleaseDayDelta>;
}

/** What a batch adds to one release in the index. */
export interface IndexEntryDelta {
  firstSeen: Date;
  lastSeen: Date;
  sessions: number;
  crashed: number;
}

/** What a batch adds to one product's index. */
export interface ReleasesIndexDelta {
  productKey: string;
  /** Set for one environment's copy; absent for every environment together. */
  environment?: string;
  releases: Map<string, IndexEntryDelta>;
}

/**
 * A batch of sessions reports reduced to one delta per (product, day) and one per product, each
 * in all and per environment.
 */
export function reduceSessions(records: ReadonlyArray<ReportRecord<SessionDoc>>): {
  days: Map<string, ReleasesDayDelta>;
  index: Map<string, ReleasesIndexDelta>;
} {
  const days = new Map<string, ReleasesDayDelta>();
  const index = new Map<string, ReleasesIndexDelta>();
  for (const { doc } of records) for (const environment of scopesOf(doc)) addSessions(days, index, doc, environment);
  return { days, index };
}

function addSessions(
  days: Map<string, ReleasesDayDelta>,
  index: Map<string, ReleasesIndexDelta>,
  doc: SessionDoc,
  environment: string | undefined,
): void {
  const scope = environment === undefined ? {} : { environment };
  const version = doc.app.version;
  const hash = hashClient(clientIdentity(doc));
  const indexKey = releasesIndexPath(doc.productKey, environment);
  let product = index.get(indexKey);
  if (product === undefined)
    index.set(indexKey, (product = { productKey: doc.productKey, ...scope, releases: new Map() }));
  for (const bucket of doc.sessions) {
    const counts = bucketCounts(bucket);
    const day = bucket.started.slice(0, 10);
    const key = releasesDayPath(doc.productKey, day, environment);
    let dayDelta = days.get(key);
    if (dayDelta === undefined) {
      dayDelta = {
        productKey: doc.productKey,
        day,
        ...scope,
        installs: createSketch(ISSUE_PRECISION),
        releases: new Map(),
      };
      days.set(key, dayDelta);
    }
    addHash(dayDelta.installs, hash);
    let release = dayDelta.releases.get(version);
    if (release === undefined) {
      release = {
        sessions: emptyCounts(),
        installs: createSketch(ISSUE_PRECISION),
        crashedInstalls: createSketch(ISSUE_PRECISION),
      };
      dayDelta.releases.set(version, release);
    }
    release.sessions = addCounts(release.sessions, counts);
    addHash(release.installs, hash);
    if (bucket.crashed > 0) addHash(release.crashedInstalls, hash);

    const started = new Date(bucket.started);
    const entry = product.releases.get(version);
    if (entry === undefined) {
      product.releases.set(version, {
        firstSeen: started,
        lastSeen: started,
        sessions: counts.total,
        crashed: counts.crashed,
      });
    } else {
      if (started < entry.firstSeen) entry.firstSeen = started;
      if (started > entry.lastSeen) entry.lastSeen = started;
      entry.sessions += counts.total;
      entry.crashed += counts.crashed;
    }
  }
}

/** One product's day after a batch; releases past MAX_RELEASES_PER_DAY count in `otherSessions` only. */
export function mergeReleasesDay(current: ReleasesDayDoc | null, delta: ReleasesDayDelta, now: Date): ReleasesDayDoc {
  const releases = new Map<string, ReleaseDay>((current?.releases ?? []).map((r) => [r.version, r]));
  let otherSessions = current?.otherSessions ?? emptyCounts();
  for (const [version, add] of delta.releases) {
    const existing = releases.get(version);
    if (existing === undefined && releases.size >= MAX_RELEASES_PER_DAY) {
      otherSessions = addCounts(otherSessions, add.sessions);
      continue;
    }
    releases.set(version, {
      version,
      sessions: addCounts(existing?.sessions ?? emptyCounts(), add.sessions),
      installs: mergeDistinct(existing?.installs, add.installs),
      crashedInstalls: mergeDistinct(existing?.crashedInstalls, add.crashedInstalls),
    });
  }
  return {
    productKey: delta.productKey,
    day: delta.day,
    by: 'releases',
    ...(delta.environment === undefined ? {} : { environment: delta.environment }),
    installs: mergeDistinct(current?.installs, delta.installs),
    releases: [...releases.values()].sort((a, b) => compareVersions(b.version, a.version)),
    otherSessions,
    updatedAt: now,
  };
}

/** The product's releases index after a batch. */
export function mergeReleasesIndex(
  current: ReleasesIndexDoc | null,
  delta: ReleasesIndexDelta,
  now: Date,
): ReleasesIndexDoc {
  const releases = new Map<string, ReleaseIndexEntry>((current?.releases ?? []).map((r) => [r.version, r]));
  for (const [version, add] of delta.releases) {
    const existing = releases.get(version);
    const base: ReleaseIndexEntry = rollReleaseHours(
      existing ?? {
        version,
        firstSeen: add.firstSeen,
        lastSeen: add.lastSeen,
        hourStartMs: 0,
        current: { sessions: 0, crashed: 0 },
        previous: { sessions: 0, crashed: 0 },
      },
      now,
    );
    releases.set(version, {
      ...base,
      firstSeen: add.firstSeen < base.firstSeen ? add.firstSeen : base.firstSeen,
      lastSeen: add.lastSeen > base.lastSeen ? add.lastSeen : base.lastSeen,
      current: { sessions: base.current.sessions + add.sessions, crashed: base.current.crashed + add.crashed },
    });
  }
  const sorted = [...releases.values()].sort((a, b) => compareVersions(b.version, a.version));
  return {
    productKey: delta.productKey,
    by: 'release-index',
    ...(delta.environment === undefined ? {} : { environment: delta.environment }),
    releases: sorted.slice(0, MAX_INDEXED_RELEASES),
    updatedAt: now,
  };
}

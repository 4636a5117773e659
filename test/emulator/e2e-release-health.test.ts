/**
 * Release health end to end with each real SDK (issue 20): the Node, Python and Java programs of
 * test/sdk-programs run as many short processes, each queue folder one install, over two
 * releases. Some exit cleanly, some capture a handled error, some crash uncaught, one is killed
 * with SIGKILL and found at its next start (after an upgrade). Then the real rollup runs and the
 * api's releases routes must show exactly the sessions, installs, rates and crashes expected.
 */
import {
  expectExit,
  newQueueDir,
  removeTempDirs,
  reportFiles,
  type RunResult,
  type Target,
} from '../sdk-programs/harness';
import {
  buildJavaPrograms,
  buildNodePackage,
  runJava,
  runNode,
  runPython,
  type ProgramOptions,
} from '../sdk-programs/programs';
import type { IssueInstallsView } from '../../functions/src/api/issues';
import type { ReleaseDetailView, ReleaseView, ReleasesView } from '../../functions/src/api/releases';
import { callApi, productWithViewer, rollUpToTheEnd } from './api-client';

const HOUR_MS = 3_600_000;

beforeAll(async () => {
  await Promise.all([buildNodePackage(), buildJavaPrograms()]);
}, 180_000);
afterAll(removeTempDirs);

/** What one process does: exit cleanly, capture a handled error, crash uncaught, or be killed with SIGKILL. */
type Ending = 'clean' | 'handled' | 'crash' | 'sigkill';

type SdkName = 'node' | 'python' | 'java';

/** One process: which install (queue folder) it runs as, its release, how it ends, and (when it is not the suite's) its SDK. */
interface Run {
  install: string;
  version: string;
  ending: Ending;
  sdk?: SdkName;
}

/** A release's figures as `GET /releases` gives them, but for firstSeen and lastSeen (hours of the run). */
type Figures = Omit<ReleaseView, 'firstSeen' | 'lastSeen'>;

/** What a plan of runs must show: each release's figures, newest first, and its top issues as [installs, crashes]. */
type Expected = Array<{ figures: Figures; topIssues: Array<[number, number]> }>;

/** An issue's installs as its detail gives them: in all, and [version, installs, crashes] per release. */
interface IssueInstalls {
  total: number;
  releases: Array<[string, number, number]>;
}

/**
 * Each SDK on its own, in order. 1.0.0: a and b exit cleanly, c captures a handled error, d
 * crashes, e is killed. 2.0.0: d and e upgrade (their first start sends d's queued crash and
 * finds e's dead session, both counted in 1.0.0), f crashes then runs again cleanly (one
 * install, two sessions), g captures a handled error.
 */
const ONE_SDK: readonly Run[] = [
  { install: 'a', version: '1.0.0', ending: 'clean' },
  { install: 'b', version: '1.0.0', ending: 'clean' },
  { install: 'c', version: '1.0.0', ending: 'handled' },
  { install: 'd', version: '1.0.0', ending: 'crash' },
  { install: 'e', version: '1.0.0', ending: 'sigkill' },
  { install: 'd', version: '2.0.0', ending: 'clean' },
  { install: 'e', version: '2.0.0', ending: 'clean' },
  { install: 'f', version: '2.0.0', ending: 'crash' },
  { install: 'f', version: '2.0.0', ending: 'clean' },
  { install: 'g', version: '2.0.0', ending: 'handled' },
];

/**
 * ONE_SDK's figures, worked out by hand. 7 installs in all (a-g).
 * 2.0.0: installs d-g (4), sessions d, e, f (second run) ok, f crashed, g errored; crashes: f's
 * crash and g's handled error, issues already seen in 1.0.0.
 * 1.0.0: installs a-e (5), sessions a, b ok, c errored, d crashed, e abnormal; crashes: c's
 * handled error and d's crash; both issues first seen here.
 */
const ONE_SDK_EXPECTED: Expected = [
  {
    figures: {
      version: '2.0.0',
      installs: 4,
      crashedInstalls: 1,
      sessions: 5,
      crashedSessions: 1,
      erroredSessions: 1,
      abnormalSessions: 0,
      crashFreeSessions: 1 - 1 / 5,
      crashFreeInstalls: 1 - 1 / 4,
      adoption: 4 / 7,
      crashes: 2,
      newIssues: 0,
    },
    topIssues: [
      [1, 1],
      [1, 1],
    ],
  },
  {
    figures: {
      version: '1.0.0',
      installs: 5,
      crashedInstalls: 1,
      sessions: 5,
      crashedSessions: 1,
      erroredSessions: 1,
      abnormalSessions: 1,
      crashFreeSessions: 1 - 1 / 5,
      crashFreeInstalls: 1 - 1 / 5,
      adoption: 5 / 7,
      crashes: 2,
      newIssues: 2,
    },
    topIssues: [
      [1, 1],
      [1, 1],
    ],
  },
];

/** ONE_SDK's two issues (the handled error: c then g; the crash: d then f), each one install per release. */
const ONE_SDK_ISSUES: IssueInstalls[] = [
  {
    total: 2,
    releases: [
      ['1.0.0', 1, 1],
      ['2.0.0', 1, 1],
    ],
  },
  {
    total: 2,
    releases: [
      ['1.0.0', 1, 1],
      ['2.0.0', 1, 1],
    ],
  },
];

/**
 * One queue folder (one install id file, so one install) shared by the three SDKs, each
 * killed in turn and found dead by the next one; and a Node crash sent by a Python start.
 */
const SHARED: readonly Run[] = [
  { install: 'x', version: '1.0.0', ending: 'sigkill', sdk: 'python' },
  { install: 'x', version: '1.0.0', ending: 'clean', sdk: 'node' },
  { install: 'x', version: '2.0.0', ending: 'sigkill', sdk: 'java' },
  { install: 'x', version: '2.0.0', ending: 'clean', sdk: 'python' },
  { install: 'x', version: '2.0.0', ending: 'sigkill', sdk: 'node' },
  { install: 'x', version: '2.0.0', ending: 'clean', sdk: 'java' },
  { install: 'y', version: '2.0.0', ending: 'crash', sdk: 'node' },
  { install: 'y', version: '2.0.0', ending: 'clean', sdk: 'python' },
];

/**
 * SHARED's figures. 1.0.0: x's killed Python run (abnormal) and its Node run (ok). 2.0.0: x's
 * killed Java and Node runs (abnormal), its Python and Java runs (ok); y's Node crash and Python
 * run. 2 installs in all.
 */
const SHARED_EXPECTED: Expected = [
  {
    figures: {
      version: '2.0.0',
      installs: 2,
      crashedInstalls: 1,
      sessions: 6,
      crashedSessions: 1,
      erroredSessions: 0,
      abnormalSessions: 2,
      crashFreeSessions: 1 - 1 / 6,
      crashFreeInstalls: 1 - 1 / 2,
      adoption: 1,
      crashes: 1,
      newIssues: 1,
    },
    topIssues: [[1, 1]],
  },
  {
    figures: {
      version: '1.0.0',
      installs: 1,
      crashedInstalls: 0,
      sessions: 2,
      crashedSessions: 0,
      erroredSessions: 0,
      abnormalSessions: 1,
      crashFreeSessions: 1,
      crashFreeInstalls: 1,
      adoption: 1 / 2,
      crashes: 0,
      newIssues: 0,
    },
    topIssues: [],
  },
];

/** SHARED's one issue: y's Node crash, sent by its Python start. */
const SHARED_ISSUES: IssueInstalls[] = [{ total: 1, releases: [['2.0.0', 1, 1]] }];

/** A real SDK program and its arguments for each ending. */
interface Sdk {
  name: SdkName;
  run: (target: Target, args: string[], options: ProgramOptions) => Promise<RunResult>;
}

const SDKS: Record<SdkName, Sdk> = {
  node: { name: 'node', run: runNode },
  python: { name: 'python', run: runPython },
  java: { name: 'java', run: runJava },
};

const ARGS: Record<Ending, string[]> = {
  clean: ['start'],
  handled: ['burst', '1'],
  crash: ['crash'],
  sigkill: ['wait'],
};

/** Runs one process as its install, with sessions and the install id on, and checks how it ended. */
async function runOnce(sdk: Sdk, target: Target, queueDir: string, run: Run): Promise<void> {
  const result = await sdk.run(target, ARGS[run.ending], {
    queueDir,
    extra: {
      E2E_SESSIONS: '1',
      E2E_INSTALL_ID: '1',
      E2E_APP_VERSION: run.version,
      // The last run of an install sends its session at exit: on a loaded machine the 2 s default can run out.
      E2E_SHUTDOWN_TIMEOUT_MS: '15000',
    },
    ...(run.ending === 'sigkill' ? { killWhen: 'ready' } : {}),
  });
  const what = `${sdk.name} ${run.install} ${run.version} ${run.ending}`;
  if (run.ending === 'sigkill') {
    expect({ what, signal: result.signal, stdout: result.stdout.trim() }).toEqual({
      what,
      signal: 'SIGKILL',
      stdout: 'ready',
    });
  } else {
    // Each program's uncaught crash exits 1, as it would without the SDK.
    expectExit(result, run.ending === 'crash' ? 1 : 0);
  }
}

/** The UTC hour of `ms` as the api writes it. */
function hourIso(ms: number): string {
  return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString();
}

/** Runs `runs` for a new product (each install its own queue folder), rolls up, and checks the releases routes. */
function describeReleaseHealth(
  title: string,
  runs: readonly Run[],
  sdkOf: (run: Run) => Sdk,
  expected: Expected,
  issues: IssueInstalls[],
) {
  describe(title, () => {
    let s: Awaited<ReturnType<typeof productWithViewer>>;
    let range: string;
    let runHours: string[];
    const queueDirs = new Map<string, string>();

    beforeAll(async () => {
      s = await productWithViewer();
      const startedAt = Date.now();
      for (const run of runs) {
        let queueDir = queueDirs.get(run.install);
        if (queueDir === undefined) queueDirs.set(run.install, (queueDir = newQueueDir(`health-${run.install}`)));
        await runOnce(sdkOf(run), s, queueDir, run);
      }
      const endedAt = Date.now();
      await rollUpToTheEnd();
      range = `from=${new Date(startedAt).toISOString().slice(0, 10)}&to=${new Date(endedAt).toISOString().slice(0, 10)}`;
      runHours = [hourIso(startedAt), hourIso(endedAt)];
    }, 300_000);

    it('delivered every report: no queue folder holds one after its last run', () => {
      expect(new Map([...queueDirs].map(([install, dir]) => [install, reportFiles(dir)]))).toEqual(
        new Map([...queueDirs.keys()].map((install) => [install, []])),
      );
    });

    it('GET /releases lists the releases, newest first, with the exact sessions, installs, rates and crashes', async () => {
      const res = await callApi<ReleasesView>(s.viewer.token, 'GET', `${s.base}/releases?${range}`);
      expect(res.status).toBe(200);
      const releases = res.json.releases.map(({ firstSeen, lastSeen, ...figures }) => {
        // Every session started between the first run and the last.
        expect(runHours).toContain(firstSeen);
        expect(runHours).toContain(lastSeen);
        expect(String(firstSeen) <= String(lastSeen)).toBe(true);
        return figures;
      });
      expect(releases).toEqual(expected.map((e) => e.figures));
    });

    it.each(expected.map((e) => [e.figures.version, e] as const))(
      'GET /releases/%s gives the same figures, a day series that adds up to them, and its issues',
      async (version, release) => {
        const res = await callApi<ReleaseDetailView>(s.viewer.token, 'GET', `${s.base}/releases/${version}?${range}`);
        expect(res.status).toBe(200);
        const { firstSeen, lastSeen, series, firstSeenIssues, topIssues, from, to, ...figures } = res.json;
        expect(`from=${from}&to=${to}`).toBe(range);
        expect(figures).toEqual(release.figures);
        expect(runHours).toContain(firstSeen);
        expect(runHours).toContain(lastSeen);
        const withSessions = series.filter((d) => d.sessions > 0);
        if (series.length === 1) {
          const { version: _version, newIssues: _newIssues, ...daily } = release.figures;
          expect(withSessions).toEqual([{ day: series[0]!.day, ...daily }]);
        } else {
          // The runs crossed midnight: the days still add up to the release's sessions.
          expect(withSessions.reduce((sum, d) => sum + d.sessions, 0)).toBe(release.figures.sessions);
        }
        expect(topIssues.map((i) => [i.releaseInstalls, i.releaseCrashes])).toEqual(release.topIssues);
        expect(firstSeenIssues).toHaveLength(release.figures.newIssues);
      },
    );

    it("each issue's page counts the installs it affected, in all and per release", async () => {
      const list = await callApi<{ issues: Array<{ id: string }> }>(s.viewer.token, 'GET', `${s.base}/issues`);
      expect(list.status).toBe(200);
      const found: IssueInstalls[] = [];
      for (const { id } of list.json.issues) {
        const res = await callApi<{ installs: IssueInstallsView }>(s.viewer.token, 'GET', `${s.base}/issues/${id}`);
        expect(res.status).toBe(200);
        const { total, releases } = res.json.installs;
        found.push({
          total,
          releases: releases
            .map((r): [string, number, number] => [r.version, r.installs, r.crashes])
            .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
        });
      }
      expect(found).toEqual(issues);
    });
  });
}

for (const sdk of Object.values(SDKS)) {
  describeReleaseHealth(
    `release health end to end with the ${sdk.name} SDK`,
    ONE_SDK,
    () => sdk,
    ONE_SDK_EXPECTED,
    ONE_SDK_ISSUES,
  );
}

describeReleaseHealth(
  'release health end to end with one install shared by the three SDKs (each finds the run another one left dead)',
  SHARED,
  (run) => {
    if (run.sdk === undefined) throw new Error(`run ${JSON.stringify(run)} names no SDK`);
    return SDKS[run.sdk];
  },
  SHARED_EXPECTED,
  SHARED_ISSUES,
);

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
import { callApi, productWithViewer, rollUpToTheEnd } from './api-client';

const HOUR_MS = 3_600_000;

beforeAll(async () => {
  await Promise.all([buildNodePackage(), buildJavaPrograms()]);
}, 180_000);
afterAll(removeTempDirs);

/** What one process does: exit cleanly, capture a handled error, crash uncaught, or be killed with SIGKILL. */
type Ending = 'clean' | 'handled' | 'crash' | 'sigkill';

/** One process: which install (queue folder) it runs as, its release, and how it ends. */
interface Run {
  install: string;
  version: string;
  ending: Ending;
}

/**
 * The runs, in order. 1.0.0: a and b exit cleanly, c captures a handled error, d crashes, e is
 * killed. 2.0.0: d and e upgrade (their first start sends d's queued crash and finds e's dead
 * session, both counted in 1.0.0), f crashes then runs again cleanly (one install, two
 * sessions), g captures a handled error.
 */
const RUNS: readonly Run[] = [
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
 * The figures the runs above must give, worked out by hand. 7 installs in all (a-g).
 * 1.0.0: installs a-e (5), sessions a, b ok, c errored, d crashed, e abnormal; crashes: c's
 * handled error and d's crash; both issues first seen here.
 * 2.0.0: installs d-g (4), sessions d, e, f (second run) ok, f crashed, g errored; crashes: f's
 * crash and g's handled error, issues already seen in 1.0.0.
 */
const EXPECTED = {
  '2.0.0': {
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
  '1.0.0': {
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
} as const;

/** A real SDK program and its arguments for each ending. */
interface Sdk {
  name: string;
  run: (target: Target, args: string[], options: ProgramOptions) => Promise<RunResult>;
  /** How the program's uncaught crash exits. */
  crashExit: number;
}

const SDKS: readonly Sdk[] = [
  { name: 'node', run: runNode, crashExit: 1 },
  { name: 'python', run: runPython, crashExit: 1 },
  { name: 'java', run: runJava, crashExit: 1 },
];

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
    extra: { E2E_SESSIONS: '1', E2E_INSTALL_ID: '1', E2E_APP_VERSION: run.version },
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
    expectExit(result, run.ending === 'crash' ? sdk.crashExit : 0);
  }
}

/** The UTC hour of `ms` as the api writes it. */
function hourIso(ms: number): string {
  return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString();
}

type ReleaseFigures = Record<string, unknown> & { version: string; firstSeen: string; lastSeen: string };

describe.each(SDKS)('release health end to end with the $name SDK', (sdk) => {
  let s: Awaited<ReturnType<typeof productWithViewer>>;
  let range: string;
  let firstHour: string;
  let lastHour: string;
  const queueDirs = new Map<string, string>();

  beforeAll(async () => {
    s = await productWithViewer();
    const startedAt = Date.now();
    for (const run of RUNS) {
      let queueDir = queueDirs.get(run.install);
      if (queueDir === undefined) queueDirs.set(run.install, (queueDir = newQueueDir(`health-${sdk.name}`)));
      await runOnce(sdk, s, queueDir, run);
    }
    const endedAt = Date.now();
    await rollUpToTheEnd();
    range = `from=${new Date(startedAt).toISOString().slice(0, 10)}&to=${new Date(endedAt).toISOString().slice(0, 10)}`;
    firstHour = hourIso(startedAt);
    lastHour = hourIso(endedAt);
  }, 300_000);

  it('delivered every report: no queue folder holds one after its last run', () => {
    expect(new Map([...queueDirs].map(([install, dir]) => [install, reportFiles(dir)]))).toEqual(
      new Map([...queueDirs.keys()].map((install) => [install, []])),
    );
  });

  it('GET /releases lists both releases, newest first, with the exact sessions, installs, rates and crashes', async () => {
    const res = await callApi<{ releases: ReleaseFigures[] }>(s.viewer.token, 'GET', `${s.base}/releases?${range}`);
    expect(res.status).toBe(200);
    const releases = res.json.releases;
    expect(releases.map((r) => r.version)).toEqual(['2.0.0', '1.0.0']);
    for (const r of releases) {
      const { firstSeen, lastSeen, ...figures } = r;
      expect(figures).toEqual(EXPECTED[r.version as keyof typeof EXPECTED]);
      // Every session started between the first run and the last; both are hours of the runs.
      for (const hour of [firstSeen, lastSeen]) expect([firstHour, lastHour]).toContain(hour);
      expect(firstSeen <= lastSeen).toBe(true);
    }
  });

  it.each(['1.0.0', '2.0.0'] as const)(
    'GET /releases/%s gives the same figures, a day series that adds up to them, and its issues',
    async (version) => {
      const res = await callApi<
        ReleaseFigures & {
          series: Array<Record<string, unknown> & { day: string; sessions: number }>;
          firstSeenIssues: Array<{ releaseCrashes: number; releaseInstalls: number }>;
          topIssues: Array<{ releaseCrashes: number; releaseInstalls: number }>;
        }
      >(s.viewer.token, 'GET', `${s.base}/releases/${version}?${range}`);
      expect(res.status).toBe(200);
      const { firstSeen, lastSeen, series, firstSeenIssues, topIssues, from, to, ...figures } = res.json;
      expect(typeof from).toBe('string');
      expect(typeof to).toBe('string');
      expect(figures).toEqual(EXPECTED[version]);
      expect([firstHour, lastHour]).toContain(firstSeen);
      expect([firstHour, lastHour]).toContain(lastSeen);
      const withSessions = series.filter((d) => d.sessions > 0);
      if (series.length === 1) {
        const { version: _v, newIssues: _n, ...daily } = EXPECTED[version];
        expect(withSessions).toEqual([{ day: series[0]!.day, ...daily }]);
      } else {
        // The runs crossed midnight: the days still add up to the release's sessions.
        expect(withSessions.reduce((sum, d) => sum + d.sessions, 0)).toBe(EXPECTED[version].sessions);
      }
      // Two issues in each release (the handled error and the crash), one install and one crash each.
      expect(topIssues.map((i) => [i.releaseInstalls, i.releaseCrashes])).toEqual([
        [1, 1],
        [1, 1],
      ]);
      expect(firstSeenIssues).toHaveLength(EXPECTED[version].newIssues);
    },
  );
});

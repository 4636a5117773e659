import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type CrashItem, type CrashStats, type IssueRow, type Release, type ReleaseList } from '../api';
import { DailyChart } from '../components/chart';
import { Empty, ErrorBox, Link, Loading, TableScroll } from '../components/ui';
import { useLoad } from '../hooks';
import { ago, exact, inEnvironment, lastDays, num, percent, plural } from '../format';
import { RangePicker } from '../components/range-picker';
import { CrashFree, CrashFreeFacts } from '../components/release-health';
import { FIRST_SDK_WITH_SESSIONS } from '../release-figures';
import { issuePath, navigate, productPath, routeUrl, withEnvironment, RANGES, type Route } from '../router';

/** How often the overview asks for crashes newer than the last it has. */
const LIVE_POLL_MS = 2000;
const LIVE_KEEP = 20;
/** After new crashes, when to read the list and the numbers again: by then the rollup (every 5 s locally, per schedule in production) has usually grouped them. */
const REGROUP_DELAY_MS = 8000;

function crashTitle(c: CrashItem): string {
  const e = (c.exception ?? {}) as { type?: string; message?: string };
  return `${e.type ?? 'Error'}${e.message ? `: ${e.message}` : ''}`;
}

function versionOf(c: CrashItem): string {
  const v = (c.app as { version?: unknown } | null)?.version;
  return typeof v === 'string' ? v : '—';
}

/** The newest crashes (of the environment picked), polled while the page is visible; new ones are announced. */
function LiveCrashes(props: { productKey: string; env: string | undefined; onArrived: () => void }) {
  const [crashes, setCrashes] = useState<CrashItem[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const cursor = useRef<string | null>(null);
  const onArrived = useRef(props.onArrived);
  onArrived.current = props.onArrived;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let regroup: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      if (!document.hidden) {
        try {
          const feed = await api.latestCrashes(props.productKey, cursor.current, props.env);
          if (stopped) return;
          const first = cursor.current === null;
          cursor.current = feed.cursor;
          setError(null);
          if (first) setCrashes(feed.crashes);
          else if (feed.crashes.length > 0) {
            setCrashes((prev) => [...feed.crashes, ...(prev ?? [])].slice(0, LIVE_KEEP));
            setFresh(new Set(feed.crashes.map((c) => c.id)));
            onArrived.current();
            // Read the whole list again once the rollup has had time to group the new crashes (links to issues).
            clearTimeout(regroup);
            regroup = setTimeout(() => {
              cursor.current = null;
            }, REGROUP_DELAY_MS);
          }
        } catch (err) {
          if (!stopped) setError(err as Error);
        }
      }
      if (!stopped) timer = setTimeout(() => void poll(), LIVE_POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(regroup);
    };
  }, [props.productKey, props.env]);
  return (
    <section class="card" aria-labelledby="live-h">
      <h2 id="live-h">
        Latest crashes{inEnvironment(props.env)} <span class="live-dot" aria-hidden="true" />{' '}
        <span class="muted small">live</span>
      </h2>
      {error && <ErrorBox error={error} what="the latest crashes" />}
      {crashes === null ? (
        !error && <Loading what="the latest crashes" />
      ) : crashes.length === 0 ? (
        <Empty
          title={props.env === undefined ? 'No crashes received yet' : `No crashes received from ${props.env} yet`}
        >
          <p>
            This list updates by itself. Send a test crash (<code>npm run send-crash</code> on the local stack) or set
            up an SDK from <Link href={productPath(props.productKey, 'settings')}>Settings</Link>.
          </p>
        </Empty>
      ) : (
        <ul class="plain feed" aria-live="polite" aria-relevant="additions">
          {crashes.map((c) => (
            <li key={c.id} class={fresh.has(c.id) ? 'fresh' : ''}>
              {c.issueId ? (
                <Link href={issuePath(props.productKey, c.issueId)}>{crashTitle(c)}</Link>
              ) : (
                <span>{crashTitle(c)}</span>
              )}{' '}
              <span class="muted small">
                v{versionOf(c)} · <time title={exact(c.receivedAt)}>{ago(c.receivedAt)}</time>
                {!c.issueId && ' · grouping at the next rollup'}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** A short list of issues; in one environment (the api's `environment`), each count is that environment's. */
function IssueList(props: {
  productKey: string;
  title: string;
  issues: IssueRow[];
  environment: string | null;
  empty: string;
}) {
  return (
    <section class="card" aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.issues.length === 0 ? (
        <p class="muted">{props.empty}</p>
      ) : (
        <ol class="plain top-issues">
          {props.issues.map((i) => (
            <li key={i.id}>
              <Link href={issuePath(props.productKey, i.id)}>{i.title}</Link>{' '}
              <span class="muted small">
                {plural(i.count, 'crash', 'crashes')}
                {inEnvironment(props.environment ?? undefined)} · {num(i.clients)} clients · last {ago(i.lastSeen)}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Breakdown(props: { title: string; stats: CrashStats | undefined }) {
  const rows = props.stats?.rows.slice(0, 8) ?? [];
  return (
    <section class="card breakdown" aria-label={props.title}>
      <h2>{props.title}</h2>
      {rows.length === 0 ? (
        <p class="muted">No crashes in this range.</p>
      ) : (
        <TableScroll label={`${props.title}, table`}>
          <table class="list compact">
            <caption class="visually-hidden">{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">Value</th>
                <th scope="col">Crashes</th>
                <th scope="col">Clients</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.value}>
                  <td>{r.value}</td>
                  <td>{num(r.count)}</td>
                  <td>{num(r.clients)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

/** One release beside another on the overview. */
function ReleaseFigures(props: {
  productKey: string;
  range: number;
  env: string | undefined;
  role: string;
  release: Release | undefined;
}) {
  const r = props.release;
  return (
    <section class="release-card" aria-label={props.role}>
      <h3>
        {props.role}
        {r && (
          <>
            :{' '}
            <Link
              href={routeUrl(
                withEnvironment(
                  { page: 'release', key: props.productKey, version: r.version, range: props.range },
                  props.env,
                ),
              )}
            >
              {r.version}
            </Link>
          </>
        )}
      </h3>
      {r === undefined ? (
        <p class="muted">None in this range.</p>
      ) : (
        <dl class="facts">
          <CrashFreeFacts release={r} />
          <dt>Adoption</dt>
          <dd>{percent(r.adoption)}</dd>
          <dt>Sessions</dt>
          <dd>
            {num(r.sessions)} ({num(r.crashedSessions)} crashed)
          </dd>
          <dt>Installs</dt>
          <dd>{num(r.installs)}</dd>
        </dl>
      )}
    </section>
  );
}

/** The overview's lead: crash-free sessions and installs over the range, the latest release beside the one before. */
function ReleaseHealth(props: { productKey: string; range: number; env: string | undefined; list: ReleaseList }) {
  const { total, releases } = props.list;
  const all = routeUrl(withEnvironment({ page: 'releases', key: props.productKey, range: props.range }, props.env));
  return (
    <section class="card lead" aria-labelledby="health-h">
      <h2 id="health-h">
        Release health, last {props.range} days{inEnvironment(props.env)}
      </h2>
      {total.sessions === 0 ? (
        <p class="muted">
          No sessions yet: the SDKs send them from version {FIRST_SDK_WITH_SESSIONS} on. See docs/release-health.md.
        </p>
      ) : (
        <>
          <p class="figure lead-figures">
            <span>
              <strong>
                <CrashFree release={total} rate={total.crashFreeSessions} />
              </strong>{' '}
              crash-free sessions
            </span>
            <span>
              <strong>
                <CrashFree release={total} rate={total.crashFreeInstalls} />
              </strong>{' '}
              crash-free installs
            </span>
            <span class="muted">
              {plural(total.sessions, 'session', 'sessions')} from {plural(total.installs, 'install', 'installs')}
            </span>
          </p>
          <div class="grid2">
            <ReleaseFigures
              productKey={props.productKey}
              range={props.range}
              env={props.env}
              role="Latest release"
              release={releases[0]}
            />
            <ReleaseFigures
              productKey={props.productKey}
              range={props.range}
              env={props.env}
              role="The release before"
              release={releases[1]}
            />
          </div>
        </>
      )}
      <p>
        <Link href={all}>Every release</Link>
      </p>
    </section>
  );
}

/** Crashes per day, top issues, breakdowns, and crashes as they arrive. */
export function OverviewPage(props: { route: Extract<Route, { page: 'overview' }> }) {
  const { key, range, env } = props.route;
  const [from, to] = lastDays(range);
  const [load, reload] = useLoad(
    () =>
      Promise.all([
        api.crashStats(key, 'type', from, to, env),
        api.crashStats(key, 'version', from, to, env),
        api.crashStats(key, 'label', from, to, env),
        api.listIssues(key, { status: 'unresolved', sort: 'count', limit: 5, days: 0, environment: env }),
        api.listIssues(key, { status: 'regressed', sort: 'lastSeen', limit: 5, days: 0, environment: env }),
      ]),
    [key, from, to, env],
  );
  const [byType, byVersion, byLabel, unresolved, regressed] = load.data ?? [];
  // Its own read: release health failing leaves the crash numbers standing, and the other way round.
  const [health, reloadHealth] = useLoad(() => api.listReleases(key, from, to, env), [key, from, to, env]);
  const numbersTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(numbersTimer.current), []);
  const onArrived = () => {
    clearTimeout(numbersTimer.current);
    numbersTimer.current = setTimeout(() => void reload(), REGROUP_DELAY_MS);
  };
  return (
    <>
      <div class="toolbar">
        <h2 class="visually-hidden">Overview</h2>
        <RangePicker
          days={RANGES.overview.days}
          value={range}
          onChange={(days) => navigate(routeUrl({ ...props.route, range: days }), { replace: true })}
        />
        <button
          type="button"
          class="secondary"
          onClick={() => {
            void reload();
            void reloadHealth();
          }}
        >
          Refresh numbers
        </button>
      </div>
      {health.state === 'error' && (
        <ErrorBox error={health.error} retry={() => void reloadHealth()} what="release health" />
      )}
      {health.data === undefined && health.state === 'loading' && <Loading what="release health" />}
      {health.data !== undefined && <ReleaseHealth productKey={key} range={range} env={env} list={health.data} />}
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="the numbers" />}
      {load.data === undefined && load.state === 'loading' && <Loading what="the numbers" />}
      {byType && (
        <section class="card">
          <p class="figure">
            <strong>{plural(byType.total.count, 'crash', 'crashes')}</strong> from{' '}
            <strong>{plural(byType.total.clients, 'client', 'clients')}</strong> in the last {range} days
            {inEnvironment(env)}
          </p>
          <DailyChart
            title={`Crashes per day, last ${range} days (UTC)`}
            days={byType.series.map((s) => s.day)}
            series={[{ label: 'Crashes', values: byType.series.map((s) => s.count) }]}
          />
        </section>
      )}
      {/* Keyed by environment: another one starts a fresh feed, never showing the last one's crashes under its heading. */}
      <LiveCrashes key={env ?? ''} productKey={key} env={env} onArrived={onArrived} />
      {unresolved && regressed && (
        <div class="grid2">
          <IssueList
            productKey={key}
            title="Top unresolved issues"
            issues={unresolved.issues}
            environment={unresolved.environment}
            empty="No unresolved issues."
          />
          <IssueList
            productKey={key}
            title="Regressed issues"
            issues={regressed.issues}
            environment={regressed.environment}
            empty="Nothing has regressed."
          />
        </div>
      )}
      {byType && (
        <div class="grid3">
          <Breakdown title="By version" stats={byVersion} />
          <Breakdown title="By exception type" stats={byType} />
          <Breakdown title="By label" stats={byLabel} />
        </div>
      )}
    </>
  );
}

import { api, type ReleaseList } from '../api';
import { RangePicker } from '../components/range-picker';
import { CrashFree } from '../components/release-health';
import { FIRST_SDK_WITH_SESSIONS, hasRates, TOO_FEW } from '../release-figures';
import { Empty, ErrorBox, Link, Loading, Sparkline, TableScroll } from '../components/ui';
import { exact, lastDays, num, percent } from '../format';
import { useLoad } from '../hooks';
import { navigate, RANGES, routeUrl, withEnvironment, type Route } from '../router';

/** Every release's health over a range, newest first: crash-free sessions and installs, adoption, sessions, new issues. */
export function ReleasesPage(props: { route: Extract<Route, { page: 'releases' }> }) {
  const { key, range, env } = props.route;
  const [from, to] = lastDays(range);
  const [load, reload] = useLoad(() => api.listReleases(key, from, to, env), [key, from, to, env]);
  const list = load.data;
  return (
    <>
      <div class="toolbar">
        <h2 class="visually-hidden">Releases</h2>
        <RangePicker
          days={RANGES.releases.days}
          value={range}
          onChange={(days) => navigate(routeUrl({ ...props.route, range: days }), { replace: true })}
        />
      </div>
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="the releases" />}
      {list === undefined && load.state === 'loading' && <Loading what="the releases" />}
      {list !== undefined &&
        (list.releases.length === 0 ? (
          <NoSessions range={range} />
        ) : (
          <ReleaseTable productKey={key} range={range} env={env} list={list} busy={load.state === 'loading'} />
        ))}
    </>
  );
}

/** The empty state: what sends sessions, and where to read about them. */
function NoSessions(props: { range: number }) {
  return (
    <Empty title={`No sessions yet in the last ${props.range} days`}>
      <p>
        The SDKs send sessions from version {FIRST_SDK_WITH_SESSIONS} on (Node, Python and Java): one per process run,
        one per app start on Android, each with how it ended. Update the SDK in your app and its releases show here with
        their crash-free sessions and installs. See docs/release-health.md for what the numbers mean.
      </p>
    </Empty>
  );
}

/** Each release's sessions per day of the range, oldest first (0 on days without any). */
function sessionsPerDay(list: ReleaseList): Map<string, number[]> {
  const perDay = new Map<string, number[]>(list.releases.map((r) => [r.version, list.series.map(() => 0)]));
  list.series.forEach((day, i) => {
    for (const r of day.releases) {
      const values = perDay.get(r.version);
      if (values !== undefined) values[i] = r.sessions;
    }
  });
  return perDay;
}

function ReleaseTable(props: {
  productKey: string;
  range: number;
  env: string | undefined;
  list: ReleaseList;
  busy: boolean;
}) {
  const perDay = sessionsPerDay(props.list);
  return (
    <TableScroll label="Releases table">
      <table class="list releases" aria-busy={props.busy}>
        <caption class="visually-hidden">Releases in the last {props.range} days, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Release</th>
            <th scope="col">Crash-free sessions</th>
            <th scope="col">Crash-free installs</th>
            <th scope="col">Adoption</th>
            <th scope="col">Sessions</th>
            <th scope="col">Installs</th>
            <th scope="col">New issues</th>
            <th scope="col">Sessions per day</th>
            <th scope="col">Last session</th>
          </tr>
        </thead>
        <tbody>
          {props.list.releases.map((r) => (
            <tr key={r.version}>
              <th scope="row">
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
              </th>
              {hasRates(r) || r.sessions === 0 ? (
                <>
                  <td>
                    <CrashFree release={r} rate={r.crashFreeSessions} />
                  </td>
                  <td>
                    <CrashFree release={r} rate={r.crashFreeInstalls} />
                  </td>
                </>
              ) : (
                <td colSpan={2} class="muted too-few">
                  {TOO_FEW}
                </td>
              )}
              <td>{percent(r.adoption)}</td>
              <td>
                {num(r.sessions)}
                {r.crashedSessions > 0 && <div class="muted small">{num(r.crashedSessions)} crashed</div>}
              </td>
              <td>
                {num(r.installs)}
                {r.crashedInstalls > 0 && <div class="muted small">{num(r.crashedInstalls)} crashed</div>}
              </td>
              <td>{num(r.newIssues)}</td>
              <td>
                <Sparkline
                  values={perDay.get(r.version) ?? []}
                  label={`Release ${r.version}, sessions per day`}
                  unit="sessions"
                />
              </td>
              <td>{r.lastSeen === null ? '—' : <time dateTime={r.lastSeen}>{exact(r.lastSeen)}</time>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

import { api, ApiError, type ReleaseDetail, type ReleaseIssue } from '../api';
import { DailyChart } from '../components/chart';
import { RangePicker } from '../components/range-picker';
import { CrashFreeFacts } from '../components/release-health';
import { hasRates, TOO_FEW } from '../release-figures';
import { ErrorBox, Link, Loading, TableScroll } from '../components/ui';
import { ago, exact, inEnvironment, lastDays, num, percent, plural } from '../format';
import { useLoad } from '../hooks';
import { issuePath, navigate, RANGES, routeUrl, withEnvironment, type Route } from '../router';

/** One release over a range: its figures, crash-free sessions and sessions per day, and its issues. */
export function ReleasePage(props: { route: Extract<Route, { page: 'release' }> }) {
  const { route } = props;
  const { key, version, range, env } = route;
  const [from, to] = lastDays(range);
  const [load, reload] = useLoad(() => api.getRelease(key, version, from, to, env), [key, version, from, to, env]);
  const release = load.data;
  const releases = routeUrl(withEnvironment({ page: 'releases', key, range }, env));
  return (
    <article class="release">
      <p class="crumbs">
        <Link href={releases}>Releases</Link> /
      </p>
      <h2 class="release-title">Release {version}</h2>
      <div class="toolbar">
        <RangePicker
          days={RANGES.releases.days}
          value={range}
          onChange={(days) => navigate(routeUrl({ ...route, range: days }), { replace: true })}
        />
      </div>
      {load.state === 'error' &&
        (load.error instanceof ApiError && load.error.status === 404 ? (
          <p>
            Release <code>{version}</code> has no sessions or crashes in the last {range} days{inEnvironment(env)}.{' '}
            <Link href={releases}>See every release</Link>
          </p>
        ) : (
          <ErrorBox error={load.error} retry={() => void reload()} what="this release" />
        ))}
      {release === undefined && load.state === 'loading' && <Loading what="this release" />}
      {release !== undefined && <ReleaseBody productKey={key} range={range} env={env} release={release} />}
    </article>
  );
}

function ReleaseBody(props: { productKey: string; range: number; env: string | undefined; release: ReleaseDetail }) {
  const { release: r, range } = props;
  const where = inEnvironment(props.env);
  const days = r.series.map((d) => d.day);
  return (
    <>
      <dl class="facts wide release-facts">
        <CrashFreeFacts release={r} />
        <dt>Adoption</dt>
        <dd>{percent(r.adoption)} of installs</dd>
        <dt>Sessions</dt>
        <dd>
          {num(r.sessions)}: {num(r.sessions - r.crashedSessions - r.erroredSessions - r.abnormalSessions)} ok,{' '}
          {num(r.erroredSessions)} errored, {num(r.crashedSessions)} crashed, {num(r.abnormalSessions)} abnormal
        </dd>
        <dt>Installs</dt>
        <dd>
          {num(r.installs)}, {num(r.crashedInstalls)} with a crash
        </dd>
        <dt>Crashes</dt>
        <dd>{num(r.crashes)}</dd>
        <dt>First session</dt>
        <dd title={exact(r.firstSeen)}>{ago(r.firstSeen)}</dd>
        <dt>Last session</dt>
        <dd title={exact(r.lastSeen)}>{ago(r.lastSeen)}</dd>
      </dl>
      <div class="grid2">
        <section class="card">
          {hasRates(r) ? (
            <DailyChart
              title={`Crash-free sessions per day, last ${range} days (UTC)`}
              days={days}
              series={[{ label: 'Crash-free sessions', values: r.series.map((d) => d.crashFreeSessions) }]}
              percent
              height={160}
            />
          ) : (
            <p class="muted">
              Crash-free sessions per day: {TOO_FEW} ({plural(r.installs, 'install', 'installs')}; the rate shows from
              10).
            </p>
          )}
        </section>
        <section class="card">
          <DailyChart
            title={`Sessions per day, last ${range} days (UTC)`}
            days={days}
            series={[
              { label: 'Sessions', values: r.series.map((d) => d.sessions) },
              { label: 'Crashed', values: r.series.map((d) => d.crashedSessions) },
            ]}
            height={160}
          />
        </section>
      </div>
      <div class="grid2">
        <IssueTable
          productKey={props.productKey}
          title="New in this release"
          issues={r.firstSeenIssues}
          empty={`No issue first seen in ${r.version} in the last ${range} days${where}.`}
        />
        <IssueTable
          productKey={props.productKey}
          title="Top issues by installs affected"
          issues={r.topIssues}
          empty={`No crashes of ${r.version} in the last ${range} days${where}.`}
        />
      </div>
    </>
  );
}

function IssueTable(props: { productKey: string; title: string; issues: ReleaseIssue[]; empty: string }) {
  return (
    <section class="card" aria-label={props.title}>
      <h3>{props.title}</h3>
      {props.issues.length === 0 ? (
        <p class="muted">{props.empty}</p>
      ) : (
        <TableScroll label={`${props.title}, table`}>
          <table class="list compact">
            <caption class="visually-hidden">{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">Issue</th>
                <th scope="col">Installs</th>
                <th scope="col">Crashes</th>
              </tr>
            </thead>
            <tbody>
              {props.issues.map((i) => (
                <tr key={i.id}>
                  <td>
                    <Link href={issuePath(props.productKey, i.id)}>{i.title}</Link>
                    <div class="muted small">
                      {i.status} · first seen {ago(i.firstSeen)}
                    </div>
                  </td>
                  <td>{num(i.releaseInstalls)}</td>
                  <td>{num(i.releaseCrashes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

import { api } from '../api';
import { Empty, ErrorBox, Link, Loading, Sparkline, TableScroll } from '../components/ui';
import { useLoad } from '../hooks';
import { ago, exact, num } from '../format';
import {
  issuePath,
  ISSUE_SORTS,
  ISSUE_STATUSES,
  navigate,
  nextPage,
  previousPage,
  routeUrl,
  type IssueSort,
  type IssueTab,
  type Route,
} from '../router';

const STATUS_LABELS: Record<IssueTab, string> = {
  unresolved: 'Unresolved',
  regressed: 'Regressed',
  resolved: 'Resolved',
  ignored: 'Ignored',
};
const SORT_LABELS: Record<IssueSort, string> = { lastSeen: 'Last seen', count: 'Crashes', clients: 'Affected clients' };
const PAGE_SIZE = 25;
const SPARK_DAYS = 14;

/**
 * Issues by status, sorted, paged with the api's cursor. The route (the URL) holds tab, sort and
 * the cursors followed from the first page, so "Previous page" works after a reload and on a shared link.
 */
export function IssuesPage(props: { route: Extract<Route, { page: 'issues' }> }) {
  const { route } = props;
  const { key, status, sort, trail } = route;
  const cursor = trail.at(-1) ?? null;
  const [load, reload] = useLoad(
    () => api.listIssues(key, { status, sort, limit: PAGE_SIZE, cursor, days: SPARK_DAYS }),
    [key, status, sort, cursor],
  );
  const page = load.data;
  return (
    <>
      <nav aria-label="Issue status">
        <ul class="tabs subtabs">
          {ISSUE_STATUSES.map((s) => (
            <li key={s}>
              <Link
                href={routeUrl({ ...route, status: s, trail: [] })}
                aria-current={s === status ? 'page' : undefined}
              >
                {STATUS_LABELS[s]}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div class="toolbar">
        <label for="sort">Sort by</label>
        <select
          id="sort"
          value={sort}
          onChange={(e) =>
            navigate(routeUrl({ ...route, sort: e.currentTarget.value as IssueSort, trail: [] }), { replace: true })
          }
        >
          {ISSUE_SORTS.map((s) => (
            <option key={s} value={s}>
              {SORT_LABELS[s]}
            </option>
          ))}
        </select>
      </div>
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="the issues" />}
      {load.state === 'error' && trail.length > 0 && (
        <p>
          <Link href={routeUrl({ ...route, trail: [] })}>Go to the first page</Link>
        </p>
      )}
      {page === undefined && load.state === 'loading' && <Loading what="issues" />}
      {page !== undefined &&
        (page.issues.length === 0 ? (
          <Empty title={`No ${status} issues`}>
            <p>
              {status === 'unresolved'
                ? 'Crashes are grouped into issues by the rollup, seconds after they arrive. Nothing unresolved: enjoy it.'
                : `Issues you mark ${status} show up here.`}
            </p>
          </Empty>
        ) : (
          <TableScroll label="Issues table">
            <table class="list issues" aria-busy={load.state === 'loading'}>
              <caption class="visually-hidden">
                {status} issues sorted by {SORT_LABELS[sort].toLowerCase()}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Issue</th>
                  <th scope="col">Crashes</th>
                  <th scope="col">Clients</th>
                  <th scope="col">Last {SPARK_DAYS} days</th>
                  <th scope="col">First seen</th>
                  <th scope="col">Last seen</th>
                  <th scope="col">Version</th>
                </tr>
              </thead>
              <tbody>
                {page.issues.map((i) => (
                  <tr key={i.id}>
                    <td>
                      <Link href={issuePath(key, i.id)}>{i.title}</Link>
                      {i.culprit && <div class="muted small">{i.culprit}</div>}
                    </td>
                    <td>{num(i.count)}</td>
                    <td>{num(i.clients)}</td>
                    <td>
                      <Sparkline values={i.daily} label={`${i.title}, crashes per day`} />
                    </td>
                    <td>
                      <time title={exact(i.firstSeen)}>{ago(i.firstSeen)}</time>
                    </td>
                    <td>
                      <time title={exact(i.lastSeen)}>{ago(i.lastSeen)}</time>
                    </td>
                    <td>{i.lastVersion}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        ))}
      {page !== undefined && (cursor !== null || page.nextCursor !== null) && (
        <nav class="pager" aria-label="Pages">
          <button
            type="button"
            class="secondary"
            disabled={cursor === null}
            onClick={() => navigate(routeUrl(previousPage(route)))}
          >
            Previous page
          </button>
          <button
            type="button"
            class="secondary"
            disabled={page.nextCursor === null}
            onClick={() => {
              if (page.nextCursor !== null) navigate(routeUrl(nextPage(route, page.nextCursor)));
            }}
          >
            Next page
          </button>
        </nav>
      )}
    </>
  );
}

import { api, type IssueStatus } from '../api';
import { Empty, ErrorBox, Link, Loading, Sparkline, useLoad } from '../components/ui';
import { ago, exact, num } from '../format';
import { navigate, productPath, useLocation, withQuery } from '../router';

const STATUSES: Array<{ value: IssueStatus; label: string }> = [
  { value: 'unresolved', label: 'Unresolved' },
  { value: 'regressed', label: 'Regressed' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'ignored', label: 'Ignored' },
];
const SORTS = [
  { value: 'lastSeen', label: 'Last seen' },
  { value: 'count', label: 'Crashes' },
  { value: 'clients', label: 'Affected clients' },
];
const PAGE_SIZE = 25;
const SPARK_DAYS = 14;

// Cursors of the pages before the current one, per listing, so "Previous page" works without the server keeping state.
const previous = new Map<string, string[]>();

/** Issues by status, sorted, paged with the api's cursor; the URL holds tab, sort and page. */
export function IssuesPage(props: { productKey: string }) {
  const key = props.productKey;
  const { search } = useLocation();
  const status = (STATUSES.find((s) => s.value === search.get('status'))?.value ?? 'unresolved') as IssueStatus;
  const sort = SORTS.find((s) => s.value === search.get('sort'))?.value ?? 'lastSeen';
  const cursor = search.get('cursor');
  const listing = `${key}|${status}|${sort}`;
  const [load, reload] = useLoad(
    () => api.listIssues(key, { status, sort, limit: PAGE_SIZE, cursor, days: SPARK_DAYS }),
    [key, status, sort, cursor],
  );
  const stack = previous.get(listing) ?? [];
  const page = load.data;
  return (
    <>
      <nav aria-label="Issue status">
        <ul class="tabs subtabs">
          {STATUSES.map((s) => (
            <li key={s.value}>
              <Link
                href={withQuery({ status: s.value === 'unresolved' ? null : s.value, cursor: null })}
                aria-current={s.value === status ? 'page' : undefined}
              >
                {s.label}
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
            navigate(
              withQuery({ sort: e.currentTarget.value === 'lastSeen' ? null : e.currentTarget.value, cursor: null }),
              {
                replace: true,
              },
            )
          }
        >
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="the issues" />}
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
          <table class="list issues" aria-busy={load.state === 'loading'}>
            <caption class="visually-hidden">
              {status} issues sorted by {sort}
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
                    <Link href={`${productPath(key, 'issues')}/${i.id}`}>{i.title}</Link>
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
        ))}
      {page !== undefined && (cursor !== null || page.nextCursor !== null) && (
        <nav class="pager" aria-label="Pages">
          <button
            type="button"
            class="secondary"
            disabled={cursor === null}
            onClick={() => {
              // After a reload the stack is empty: go back to the first page.
              const prev = stack.pop();
              previous.set(listing, stack);
              navigate(withQuery({ cursor: prev ? prev : null }));
            }}
          >
            Previous page
          </button>
          <button
            type="button"
            class="secondary"
            disabled={page.nextCursor === null}
            onClick={() => {
              if (page.nextCursor === null) return;
              previous.set(listing, [...(cursor === null ? [] : stack), cursor ?? '']);
              navigate(withQuery({ cursor: page.nextCursor }));
            }}
          >
            Next page
          </button>
        </nav>
      )}
    </>
  );
}

import { useState } from 'preact/hooks';
import { api } from '../api';
import { Empty, ErrorBox, Link, Loading, Sparkline, TableScroll } from '../components/ui';
import { useLoad } from '../hooks';
import { ago, exact, num } from '../format';
import {
  filteredIssues,
  issuePath,
  ISSUE_FILTER_KINDS,
  ISSUE_SORTS,
  ISSUE_STATUSES,
  navigate,
  nextPage,
  previousPage,
  routeUrl,
  withChip,
  type IssueFilterChip,
  type IssueFilterKind,
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
const FILTER_LABELS: Record<IssueFilterKind, string> = {
  version: 'Version',
  label: 'Label',
  type: 'Type',
  app: 'App',
  tag: 'Tag',
};
const FILTER_HINTS: Record<IssueFilterKind, string> = {
  version: '2.3.0',
  label: 'checkout',
  type: 'TypeError',
  app: 'shop',
  tag: 'key:value',
};
const PAGE_SIZE = 25;
const SPARK_DAYS = 14;

type IssuesRoute = Extract<Route, { page: 'issues' }>;

/** The api's search and filter parameters for the route's search box, environment and chips. */
function filterQuery(route: IssuesRoute) {
  const one = (kind: IssueFilterKind) => route.filters.find((f) => f.kind === kind)?.value;
  const pick = (kind: IssueFilterKind) => {
    const value = one(kind);
    return value === undefined ? {} : { [kind]: value };
  };
  return {
    q: route.q,
    environment: route.env,
    ...pick('version'),
    ...pick('label'),
    ...pick('type'),
    ...pick('app'),
    tag: route.filters.filter((f) => f.kind === 'tag').map((f) => f.value),
  };
}

/** The search box: submitting it goes to the first page of the search (an empty box clears it). */
function SearchBox(props: { route: IssuesRoute }) {
  const { route } = props;
  const [text, setText] = useState(route.q);
  return (
    <form
      role="search"
      class="search"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(routeUrl(filteredIssues(route, { q: text.trim() })));
      }}
    >
      <label for="issue-search">Search issues</label>
      <input
        id="issue-search"
        type="search"
        name="q"
        maxLength={200}
        placeholder="checkout, KeyError, priceOf…"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <button type="submit" class="secondary">
        Search
      </button>
    </form>
  );
}

/** Adds a filter chip: a kind and a value (a tag as `key:value`). */
function AddFilter(props: { route: IssuesRoute }) {
  const { route } = props;
  const [kind, setKind] = useState<IssueFilterKind>('version');
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      class="add-filter"
      aria-label="Add a filter"
      onSubmit={(e) => {
        e.preventDefault();
        const v = value.trim();
        if (v === '') return setProblem('Give a value to filter by.');
        if (kind === 'tag' && !/^[A-Za-z0-9_.-]{1,64}:/.test(v)) return setProblem('A tag filter is key:value.');
        setProblem(null);
        setValue('');
        navigate(routeUrl(filteredIssues(route, { filters: withChip(route.filters, { kind, value: v }) })));
      }}
    >
      <label for="filter-kind">Filter by</label>
      <select id="filter-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as IssueFilterKind)}>
        {ISSUE_FILTER_KINDS.map((k) => (
          <option key={k} value={k}>
            {FILTER_LABELS[k]}
          </option>
        ))}
      </select>
      <input
        aria-label={`${FILTER_LABELS[kind]} to filter by`}
        aria-invalid={problem !== null}
        aria-describedby={problem === null ? undefined : 'filter-problem'}
        placeholder={FILTER_HINTS[kind]}
        maxLength={kind === 'tag' ? 321 : 512}
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit" class="secondary">
        Add filter
      </button>
      {problem !== null && (
        <span id="filter-problem" class="error-text" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}

/** The search and filters in force, each removable; a link clears them all (the environment stays: it is the picker's). */
function ActiveFilters(props: { route: IssuesRoute }) {
  const { route } = props;
  const chips: Array<{ label: string; without: IssuesRoute }> = [
    ...(route.q === '' ? [] : [{ label: `Search: ${route.q}`, without: filteredIssues(route, { q: '' }) }]),
    ...route.filters.map((f: IssueFilterChip) => ({
      label: `${FILTER_LABELS[f.kind]}: ${f.value}`,
      without: filteredIssues(route, { filters: route.filters.filter((g) => g !== f) }),
    })),
  ];
  if (chips.length === 0) return null;
  return (
    <ul class="filter-chips" aria-label="Filters in force">
      {chips.map((c) => (
        <li key={c.label} class="chip">
          <span>{c.label}</span>
          <button
            type="button"
            class="chip-remove"
            aria-label={`Remove ${c.label}`}
            onClick={() => navigate(routeUrl(c.without))}
          >
            ×
          </button>
        </li>
      ))}
      <li>
        <Link href={routeUrl(filteredIssues(route, { q: '', filters: [] }))}>Clear all</Link>
      </li>
    </ul>
  );
}

/**
 * Issues by status, sorted, searched and filtered (in the shell's environment, `env`), paged
 * with the api's cursor. The route (the URL) holds tab, sort, search, filters, environment and
 * the cursors followed from the first page, so "Previous page" works after a reload and on a
 * shared link.
 */
export function IssuesPage(props: { route: IssuesRoute }) {
  const { route } = props;
  const { key, status, sort, trail } = route;
  const cursor = trail.at(-1) ?? null;
  const filters = filterQuery(route);
  const filterKey = JSON.stringify(filters);
  const filtered = route.q !== '' || route.env !== undefined || route.filters.length > 0;
  const [load, reload] = useLoad(
    () => api.listIssues(key, { status, sort, limit: PAGE_SIZE, cursor, days: SPARK_DAYS, ...filters }),
    [key, status, sort, cursor, filterKey],
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
      <SearchBox key={route.q} route={route} />
      <div class="toolbar">
        <AddFilter route={route} />
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
      <ActiveFilters route={route} />
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="the issues" />}
      {load.state === 'error' && trail.length > 0 && (
        <p>
          <Link href={routeUrl({ ...route, trail: [] })}>Go to the first page</Link>
        </p>
      )}
      {page === undefined && load.state === 'loading' && <Loading what="issues" />}
      {page !== undefined &&
        (page.issues.length === 0 ? (
          filtered ? (
            <Empty title={`No ${status} issues match`}>
              <p>
                {page.nextCursor === null
                  ? 'Nothing matches the search and filters on this tab. Remove a filter or look at another tab.'
                  : 'None among the issues searched so far. The next page searches further.'}
              </p>
            </Empty>
          ) : (
            <Empty title={`No ${status} issues`}>
              <p>
                {status === 'unresolved'
                  ? 'Crashes are grouped into issues by the rollup, seconds after they arrive. Nothing unresolved: enjoy it.'
                  : `Issues you mark ${status} show up here.`}
              </p>
            </Empty>
          )
        ) : (
          <TableScroll label="Issues table">
            <table class="list issues" aria-busy={load.state === 'loading'}>
              <caption class="visually-hidden">
                {status} issues{filtered ? ' matching the filters' : ''} sorted by {SORT_LABELS[sort].toLowerCase()}
                {page.environment !== null && sort !== 'lastSeen' && ' in every environment'}
              </caption>{' '}
              <thead>
                <tr>
                  <th scope="col">Issue</th>
                  <th scope="col">{page.environment === null ? 'Crashes' : `Crashes in ${page.environment}`}</th>
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

import {
  filteredIssues,
  isEnvironment,
  MAX_TAG_CHIPS,
  MAX_TRAIL,
  nextPage,
  parseRoute,
  previousPage,
  routeUrl,
  withChip,
  withEnvironment,
  type Route,
} from '../../../dashboard/src/routes';
import { ENVIRONMENT_PATTERN } from '../../../functions/src/grouping/schemas';

const key = 'pk_0JZvHG3loLBp2_ph0sdoHA';
const issue = 'a'.repeat(64);
const issues = (over: Partial<Extract<Route, { page: 'issues' }>> = {}): Route => ({
  page: 'issues',
  key,
  status: 'unresolved',
  sort: 'lastSeen',
  q: '',
  filters: [],
  trail: [],
  ...over,
});

describe('parseRoute', () => {
  it.each([
    ['/', '', { page: 'products' }],
    [`/p/${key}`, '', { page: 'overview', key, range: 14 }],
    [`/p/${key}`, '?range=30', { page: 'overview', key, range: 30 }],
    [`/p/${key}/issues`, '', issues()],
    [`/p/${key}/issues`, '?status=resolved&sort=count', issues({ status: 'resolved', sort: 'count' })],
    [`/p/${key}/issues`, '?cursor=c1&cursor=c2', issues({ trail: ['c1', 'c2'] })],
    [`/p/${key}/issues/${issue}`, '?sort=count', { page: 'issue', key, issueId: issue }],
    [`/p/${key}/usage`, '', { page: 'usage', key, range: 30 }],
    [`/p/${key}/usage`, '?range=7', { page: 'usage', key, range: 7 }],
    [`/p/${key}/settings/`, '', { page: 'settings', key }],
    [`/p/${key}/releases`, '', { page: 'releases', key, range: 14 }],
    [`/p/${key}/releases`, '?range=90', { page: 'releases', key, range: 90 }],
    [`/p/${key}/releases/2.3.0`, '?range=30', { page: 'release', key, version: '2.3.0', range: 30 }],
    [`/p/${key}/releases/1.0%20beta%2F2`, '', { page: 'release', key, version: '1.0 beta/2', range: 14 }],
    [`/p/${key}/releases/%E0%A4%A`, '', { page: 'not-found' }],
    [`/p/${key}/releases/${'9'.repeat(65)}`, '', { page: 'not-found' }],
    [`/p/${key}/releases/2.3.0/more`, '', { page: 'not-found' }],
    [`/p/${key}/usage/${issue}`, '', { page: 'not-found' }],
    [`/p/${key}/issues/not-an-issue`, '', { page: 'not-found' }],
    ['/p/short', '', { page: 'not-found' }],
    ['/elsewhere', '', { page: 'not-found' }],
  ])('reads %s%s', (path, search, route) => {
    expect(parseRoute(path, search)).toEqual(route);
  });

  it.each([
    [`/p/${key}`, '?range=7', { page: 'overview', key, range: 14 }],
    [`/p/${key}/usage`, '?range=abc', { page: 'usage', key, range: 30 }],
    [`/p/${key}/usage`, '?range=', { page: 'usage', key, range: 30 }],
    [`/p/${key}/issues`, '?status=deleted&sort=name&cursor=', issues()],
    [`/p/${key}/releases/2.3.0`, '?range=1', { page: 'release', key, version: '2.3.0', range: 14 }],
  ])('falls back to the default view for unknown values: %s%s', (path, search, route) => {
    expect(parseRoute(path, search)).toEqual(route);
  });

  it('accepts the query as URLSearchParams too', () => {
    expect(parseRoute(`/p/${key}/usage`, new URLSearchParams({ range: '90' }))).toEqual({
      page: 'usage',
      key,
      range: 90,
    });
  });

  it(`keeps at most the last ${MAX_TRAIL} cursors of a long trail`, () => {
    const many = Array.from({ length: MAX_TRAIL + 5 }, (_, i) => `c${i}`);
    const route = parseRoute(`/p/${key}/issues`, new URLSearchParams(many.map((c): [string, string] => ['cursor', c])));
    expect(route).toEqual(issues({ trail: many.slice(5) }));
  });
});

describe('routeUrl', () => {
  it.each([
    [{ page: 'products' }, '/'],
    [{ page: 'overview', key, range: 14 }, `/p/${key}`],
    [{ page: 'overview', key, range: 30 }, `/p/${key}?range=30`],
    [{ page: 'usage', key, range: 30 }, `/p/${key}/usage`],
    [{ page: 'usage', key, range: 90 }, `/p/${key}/usage?range=90`],
    [issues(), `/p/${key}/issues`],
    [issues({ status: 'regressed', sort: 'clients' }), `/p/${key}/issues?status=regressed&sort=clients`],
    [issues({ trail: ['a/b+c=', 'd'] }), `/p/${key}/issues?cursor=a%2Fb%2Bc%3D&cursor=d`],
    [{ page: 'issue', key, issueId: issue }, `/p/${key}/issues/${issue}`],
    [{ page: 'settings', key }, `/p/${key}/settings`],
    [{ page: 'releases', key, range: 14 }, `/p/${key}/releases`],
    [{ page: 'releases', key, range: 7 }, `/p/${key}/releases?range=7`],
    [{ page: 'release', key, version: '2.3.0', range: 30 }, `/p/${key}/releases/2.3.0?range=30`],
    [{ page: 'release', key, version: '1.0 beta/2?', range: 14 }, `/p/${key}/releases/1.0%20beta%2F2%3F`],
  ] as Array<[Route, string]>)('writes %j as %s', (route, url) => {
    expect(routeUrl(route)).toBe(url);
  });

  it.each([
    issues({ status: 'ignored', sort: 'count', trail: ['eyJrIjoicGsifQ', 'eyJrIjoicGsiLCJ2IjoxfQ'] }),
    { page: 'overview', key, range: 30 },
    { page: 'usage', key, range: 7 },
    { page: 'releases', key, range: 90 },
    { page: 'release', key, version: '2.3.0+build.7 (rc #1)', range: 7 },
  ] as Route[])('reads back what it writes: %j', (route) => {
    const url = new URL(routeUrl(route), 'https://dash.example');
    expect(parseRoute(url.pathname, url.search)).toEqual(route);
  });
});

describe('paging the issue list through the URL', () => {
  it('goes forward by appending the next cursor and back by dropping the last one', () => {
    const first = issues({ sort: 'count' }) as Extract<Route, { page: 'issues' }>;
    const second = nextPage(first, 'n1');
    const third = nextPage(second, 'n2');
    expect(routeUrl(third)).toBe(`/p/${key}/issues?sort=count&cursor=n1&cursor=n2`);
    // A reload or a shared link parses the same trail, so "Previous page" needs nothing in memory.
    const reloaded = parseRoute(`/p/${key}/issues`, '?sort=count&cursor=n1&cursor=n2') as typeof third;
    expect(previousPage(reloaded)).toEqual(second);
    expect(previousPage(previousPage(reloaded))).toEqual(first);
    expect(previousPage(first)).toEqual(first);
  });

  it(`drops the oldest cursor beyond ${MAX_TRAIL}`, () => {
    let route = issues() as Extract<Route, { page: 'issues' }>;
    for (let i = 0; i < MAX_TRAIL + 1; i++) route = nextPage(route, `n${i}`);
    expect(route.trail).toHaveLength(MAX_TRAIL);
    expect(route.trail[0]).toBe('n1');
    expect(route.trail.at(-1)).toBe(`n${MAX_TRAIL}`);
  });
});

describe('the environment in the URL (env=)', () => {
  it.each([
    [`/p/${key}`, '?env=staging', { page: 'overview', key, range: 14, env: 'staging' }],
    [`/p/${key}/usage`, '?range=7&env=qa.eu-1', { page: 'usage', key, range: 7, env: 'qa.eu-1' }],
    [`/p/${key}/issues/${issue}`, '?env=staging', { page: 'issue', key, issueId: issue, env: 'staging' }],
    [`/p/${key}/settings`, '?env=staging', { page: 'settings', key, env: 'staging' }],
    [`/p/${key}/releases/2.3.0`, '?env=staging', { page: 'release', key, version: '2.3.0', range: 14, env: 'staging' }],
    [`/p/${key}`, '?env=has%20space', { page: 'overview', key, range: 14 }],
    [`/p/${key}`, '?env=', { page: 'overview', key, range: 14 }],
    [`/p/${key}`, `?env=${'x'.repeat(65)}`, { page: 'overview', key, range: 14 }],
    ['/', '?env=staging', { page: 'products' }],
  ])('reads %s%s', (path, search, route) => {
    expect(parseRoute(path, search)).toStrictEqual(route);
  });

  it.each([
    [{ page: 'overview', key, range: 14, env: 'staging' }, `/p/${key}?env=staging`],
    [{ page: 'overview', key, range: 30, env: 'staging' }, `/p/${key}?range=30&env=staging`],
    [issues({ sort: 'count', env: 'prod' }), `/p/${key}/issues?sort=count&env=prod`],
    [{ page: 'issue', key, issueId: issue, env: 'staging' }, `/p/${key}/issues/${issue}?env=staging`],
    [{ page: 'settings', key, env: 'staging' }, `/p/${key}/settings?env=staging`],
  ] as Array<[Route, string]>)('writes %j as %s', (route, url) => {
    expect(routeUrl(route)).toBe(url);
    const back = new URL(url, 'https://dash.example');
    expect(parseRoute(back.pathname, back.search)).toStrictEqual(route);
  });

  it('switches a route to another environment or to all, and the issue list back to its first page', () => {
    const usage: Route = { page: 'usage', key, range: 7, env: 'staging' };
    expect(withEnvironment(usage, 'production')).toStrictEqual({ ...usage, env: 'production' });
    expect(withEnvironment(usage, undefined)).toStrictEqual({ page: 'usage', key, range: 7 });
    expect(withEnvironment(issues({ trail: ['c1'] }), 'staging')).toStrictEqual({
      ...issues(),
      env: 'staging',
    });
    expect(withEnvironment({ page: 'products' }, 'staging')).toStrictEqual({ page: 'products' });
  });

  it.each(['production', 'staging', 'qa.eu-1', 'A_b', 'x'.repeat(64), '', 'a b', 'a/b', 'ü', 'x'.repeat(65), 'a@b'])(
    'agrees with the api on whether %j is an environment',
    (name) => {
      expect(isEnvironment(name)).toBe(ENVIRONMENT_PATTERN.test(name));
    },
  );
});

describe('search and filters in the issue list URL', () => {
  type Issues = Extract<Route, { page: 'issues' }>;
  const filtered = issues({
    status: 'regressed',
    q: 'checkout price',
    env: 'staging',
    filters: [
      { kind: 'version', value: '2.3.0' },
      { kind: 'label', value: 'pay' },
      { kind: 'tag', value: 'region:eu' },
      { kind: 'tag', value: 'plan:pro' },
    ],
    trail: ['c1'],
  }) as Issues;
  const url = `/p/${key}/issues?status=regressed&q=checkout+price&version=2.3.0&label=pay&tag=region%3Aeu&tag=plan%3Apro&cursor=c1&env=staging`;

  it('writes the search, environment and chips into the URL and reads them back (a shared link, a reload)', () => {
    expect(routeUrl(filtered)).toBe(url);
    const [path, query] = url.split('?') as [string, string];
    expect(parseRoute(path, query)).toEqual(filtered);
  });

  it.each([
    ['an empty search', '?q=', issues()],
    ['an environment the api would refuse', '?env=prod%20uction', issues()],
    ['a tag without a colon', '?tag=region', issues()],
    [
      'a second version: the last one stays',
      '?version=1&version=2',
      issues({ filters: [{ kind: 'version', value: '2' }] }),
    ],
    [
      'kinds out of order: put in the order of kinds',
      '?tag=a%3A1&type=KeyError',
      issues({
        filters: [
          { kind: 'type', value: 'KeyError' },
          { kind: 'tag', value: 'a:1' },
        ],
      }),
    ],
  ])('drops or mends %s', (_name, query, route) => {
    expect(parseRoute(`/p/${key}/issues`, query)).toEqual(route);
  });

  it('starts from the first page when the search or a filter changes', () => {
    expect(filteredIssues(filtered, { q: 'checkout' })).toEqual({ ...filtered, q: 'checkout', trail: [] });
    // The environment is the picker's: clearing the search and chips keeps it.
    expect(routeUrl(filteredIssues(filtered, { q: '', filters: [] }))).toBe(
      `/p/${key}/issues?status=regressed&env=staging`,
    );
  });

  it('adds a chip in place of one of its kind, keeps distinct tags up to the bound, and ignores a repeat', () => {
    const chips = withChip(filtered.filters, { kind: 'version', value: '3.0' });
    expect(chips.map((c) => `${c.kind}=${c.value}`)).toEqual([
      'version=3.0',
      'label=pay',
      'tag=region:eu',
      'tag=plan:pro',
    ]);
    expect(withChip(chips, { kind: 'tag', value: 'plan:pro' })).toEqual(chips);
    let many = chips;
    for (let i = 0; i < MAX_TAG_CHIPS + 2; i++) many = withChip(many, { kind: 'tag', value: `k${i}:v` });
    expect(many.filter((c) => c.kind === 'tag')).toHaveLength(MAX_TAG_CHIPS);
    expect(withChip([], { kind: 'app', value: 'shop' })).toEqual([{ kind: 'app', value: 'shop' }]);
  });
});

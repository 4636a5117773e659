import { DumpcatcherError } from '../shared/errors';
import {
  acceptInvitation,
  declineInvitation,
  inviteMember,
  listMyInvitations,
  listProductInvitations,
  revokeInvitation,
} from './invitations';
import {
  createProduct,
  deleteProduct,
  getProduct,
  listProducts,
  removeMember,
  rotateSecret,
  updateMemberRole,
  updateProduct,
} from './products';
import {
  CreateProductBodySchema,
  InviteBodySchema,
  RotateBodySchema,
  UpdateMemberBodySchema,
  UpdateProductBodySchema,
} from './schemas';
import { getMe } from './users';
import { listCrashes } from './crashes';
import { commentOnIssue, getIssue, listIssueActivity, listIssues, patchIssue } from './issues';
import { getStats } from './stats';
import { listEnvironments } from './environments';
import { getRelease, getReleases } from './releases';
import { createAlert, deleteAlert, listAlerts, rotateAlertSecret, testAlert, updateAlert } from './alerts';
import { CreateAlertBodySchema, UpdateAlertBodySchema } from '../alerts/schemas';
import { MAPPING_ROUTES } from './mapping-routes';
import type { Caller } from './access';
import type { ApiDeps, InsightsStore } from './deps';
import { parseBody, type Handler, type RouteTable } from './route-table';

/** A matched route: its name (for logs) and what it answers with. */
export interface RouteAnswer {
  route: string;
  status: number;
  body: unknown;
}

/** What a route needs from the request. */
export interface ApiRequest {
  method: string;
  path: string;
  body: unknown;
  /** Query parameters (the issue and stats routes read them). */
  query?: unknown;
}

// Product keys and uids as they appear in paths; anything else cannot exist.
const KEY = '([A-Za-z0-9_-]{8,64})';
const UID = '([A-Za-z0-9_-]{1,128})';
const ISSUE = '([0-9a-f]{64})';
const INVITATION = '(inv_[A-Za-z0-9_-]{8,64})';
const ALERT = '(al_[A-Za-z0-9_-]{8,64})';
// An app version is 1-64 characters of anything: one path segment, percent-encoded.
const VERSION = '([^/]{1,400})';

function decodeVersion(segment: string): string {
  let version: string;
  try {
    version = decodeURIComponent(segment);
  } catch {
    version = '';
  }
  if (version.length === 0 || version.length > 64)
    throw new DumpcatcherError(
      'invalid_argument',
      'The version must be 1-64 characters, percent-encoded in the path.',
      {
        details: { version: segment },
      },
    );
  return version;
}

const ok = (body: unknown) => ({ status: 200, body });

function insightsOf(deps: ApiDeps): InsightsStore {
  if (deps.insights === undefined) throw new Error('the api was built without an insights store');
  return deps.insights;
}

/** Every route: path pattern, then the handler per method. */
const ROUTES: RouteTable = [
  { name: 'me', pattern: /^\/v1\/me$/, methods: { GET: async (d, c) => ok(await getMe(d, c)) } },
  {
    name: 'products',
    pattern: /^\/v1\/products$/,
    methods: {
      GET: async (d, c) => ok(await listProducts(d, c)),
      POST: async (d, c, _p, b) => ({
        status: 201,
        body: await createProduct(d, c, parseBody(CreateProductBodySchema, b)),
      }),
    },
  },
  {
    name: 'product',
    pattern: new RegExp(`^/v1/products/${KEY}$`),
    methods: {
      GET: async (d, c, [key]) => ok(await getProduct(d, c, key!)),
      PATCH: async (d, c, [key], b) => ok(await updateProduct(d, c, key!, parseBody(UpdateProductBodySchema, b))),
      DELETE: async (d, c, [key]) => ok(await deleteProduct(d, c, key!)),
    },
  },
  {
    name: 'rotate',
    pattern: new RegExp(`^/v1/products/${KEY}/rotate$`),
    methods: {
      POST: async (d, c, [key], b) => ok(await rotateSecret(d, c, key!, parseBody(RotateBodySchema, b ?? {}))),
    },
  },
  // Members join only by accepting an invitation; there is no route that adds one directly.
  {
    name: 'invitations',
    pattern: new RegExp(`^/v1/products/${KEY}/invitations$`),
    methods: {
      GET: async (d, c, [key]) => ok(await listProductInvitations(d, c, key!)),
      POST: async (d, c, [key], b) => {
        const { created, invitation } = await inviteMember(d, c, key!, parseBody(InviteBodySchema, b));
        return { status: created ? 201 : 200, body: invitation };
      },
    },
  },
  {
    name: 'invitation',
    pattern: new RegExp(`^/v1/products/${KEY}/invitations/${INVITATION}$`),
    methods: { DELETE: async (d, c, [key, id]) => ok(await revokeInvitation(d, c, key!, id!)) },
  },
  {
    name: 'my-invitations',
    pattern: /^\/v1\/invitations$/,
    methods: { GET: async (d, c) => ok(await listMyInvitations(d, c)) },
  },
  {
    name: 'accept',
    pattern: new RegExp(`^/v1/invitations/${INVITATION}/accept$`),
    methods: { POST: async (d, c, [id]) => ok(await acceptInvitation(d, c, id!)) },
  },
  {
    name: 'decline',
    pattern: new RegExp(`^/v1/invitations/${INVITATION}/decline$`),
    methods: { POST: async (d, c, [id]) => ok(await declineInvitation(d, c, id!)) },
  },
  {
    name: 'member',
    pattern: new RegExp(`^/v1/products/${KEY}/members/${UID}$`),
    methods: {
      PATCH: async (d, c, [key, uid], b) =>
        ok(await updateMemberRole(d, c, key!, uid!, parseBody(UpdateMemberBodySchema, b))),
      DELETE: async (d, c, [key, uid]) => ok(await removeMember(d, c, key!, uid!)),
    },
  },
  {
    name: 'issues',
    pattern: new RegExp(`^/v1/products/${KEY}/issues$`),
    methods: {
      GET: async (d, c, [key], _b, q) =>
        ok(await listIssues({ store: insightsOf(d), clock: d.clock }, { productKey: key!, query: q }, c)),
    },
  },
  {
    name: 'issue',
    pattern: new RegExp(`^/v1/products/${KEY}/issues/${ISSUE}$`),
    methods: {
      GET: async (d, c, [key, id], _b, q) =>
        ok(await getIssue({ store: insightsOf(d), clock: d.clock }, { productKey: key!, issueId: id!, query: q }, c)),
      PATCH: async (d, c, [key, id], b) =>
        ok(await patchIssue({ store: insightsOf(d), clock: d.clock }, { productKey: key!, issueId: id!, body: b }, c)),
    },
  },
  {
    name: 'issue-activity',
    pattern: new RegExp(`^/v1/products/${KEY}/issues/${ISSUE}/activity$`),
    methods: {
      GET: async (d, c, [key, id], _b, q) =>
        ok(
          await listIssueActivity(
            { store: insightsOf(d), clock: d.clock },
            { productKey: key!, issueId: id!, query: q },
            c,
          ),
        ),
    },
  },
  {
    name: 'issue-comments',
    pattern: new RegExp(`^/v1/products/${KEY}/issues/${ISSUE}/comments$`),
    methods: {
      POST: async (d, c, [key, id], b) => ({
        status: 201,
        body: await commentOnIssue(
          { store: insightsOf(d), clock: d.clock },
          { productKey: key!, issueId: id!, body: b },
          c,
        ),
      }),
    },
  },
  {
    name: 'crashes',
    pattern: new RegExp(`^/v1/products/${KEY}/crashes$`),
    methods: {
      GET: async (d, c, [key], _b, q) => ok(await listCrashes(insightsOf(d), { productKey: key!, query: q }, c)),
    },
  },
  {
    name: 'stats',
    pattern: new RegExp(`^/v1/products/${KEY}/stats$`),
    methods: {
      GET: async (d, c, [key], _b, q) => ok(await getStats(insightsOf(d), { productKey: key!, query: q }, c)),
    },
  },
  {
    name: 'environments',
    pattern: new RegExp(`^/v1/products/${KEY}/environments$`),
    methods: {
      GET: async (d, c, [key]) => ok(await listEnvironments(insightsOf(d), { productKey: key! }, c)),
    },
  },
  {
    name: 'releases',
    pattern: new RegExp(`^/v1/products/${KEY}/releases$`),
    methods: {
      GET: async (d, c, [key], _b, q) => ok(await getReleases(insightsOf(d), { productKey: key!, query: q }, c)),
    },
  },
  {
    name: 'release',
    pattern: new RegExp(`^/v1/products/${KEY}/releases/${VERSION}$`),
    methods: {
      GET: async (d, c, [key, version], _b, q) =>
        ok(await getRelease(insightsOf(d), { productKey: key!, version: decodeVersion(version!), query: q }, c)),
    },
  },
  {
    name: 'alerts',
    pattern: new RegExp(`^/v1/products/${KEY}/alerts$`),
    methods: {
      GET: async (d, c, [key]) => ok(await listAlerts(d, c, key!)),
      POST: async (d, c, [key], b) => ({
        status: 201,
        body: await createAlert(d, c, key!, parseBody(CreateAlertBodySchema, b)),
      }),
    },
  },
  {
    name: 'alert',
    pattern: new RegExp(`^/v1/products/${KEY}/alerts/${ALERT}$`),
    methods: {
      PATCH: async (d, c, [key, id], b) => ok(await updateAlert(d, c, key!, id!, parseBody(UpdateAlertBodySchema, b))),
      DELETE: async (d, c, [key, id]) => ok(await deleteAlert(d, c, key!, id!)),
    },
  },
  {
    name: 'alert-rotate',
    pattern: new RegExp(`^/v1/products/${KEY}/alerts/${ALERT}/rotate$`),
    methods: { POST: async (d, c, [key, id]) => ok(await rotateAlertSecret(d, c, key!, id!)) },
  },
  {
    name: 'alert-test',
    pattern: new RegExp(`^/v1/products/${KEY}/alerts/${ALERT}/test$`),
    methods: { POST: async (d, c, [key, id]) => ok(await testAlert(d, c, key!, id!)) },
  },
  ...MAPPING_ROUTES,
];

/** Finds the route for a method and path: 404 for unknown paths, 405 (with Allow) for other methods. */
export function matchRoute(method: string, path: string): { name: string; params: string[]; handler: Handler } {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match === null) continue;
    const handler = route.methods[method];
    if (handler === undefined) {
      const allow = Object.keys(route.methods).join(', ');
      throw new DumpcatcherError('method_not_allowed', `Use ${allow} on this path.`, {
        details: { allow },
        headers: { Allow: allow },
      });
    }
    return { name: route.name, params: match.slice(1), handler };
  }
  throw new DumpcatcherError('not_found', 'No such route.', { details: { path } });
}

/** Runs an already authenticated request through its route. */
export async function runRoute(
  deps: ApiDeps,
  caller: Caller,
  req: ApiRequest,
  matched = matchRoute(req.method, req.path),
): Promise<RouteAnswer> {
  const answer = await matched.handler(deps, caller, matched.params, req.body, req.query);
  return { route: matched.name, ...answer };
}

import { DumpcatcherError } from '../shared/errors';
import { CreateUploadTokenBodySchema } from '../rollup/retrace/schemas';
import {
  authenticateUploadToken,
  createUploadToken,
  deleteMapping,
  getMapping,
  listMappings,
  listUploadTokens,
  putMapping,
  revokeUploadToken,
  type RawUpload,
} from './mappings';
import type { ApiDeps } from './products';
import { matchRoute, parseBody, type RouteAnswer, type RouteTable } from './routes';

const KEY = '([A-Za-z0-9_-]{8,64})';
// Any segment reaches the core, which names what is wrong with a bad id.
const MAP_ID = '([^/]{1,200})';
const TOKEN_ID = '([A-Za-z0-9]{16})';

function rawUploadOf(body: unknown): RawUpload {
  if (body !== null && typeof body === 'object' && Buffer.isBuffer((body as RawUpload).bytes)) return body as RawUpload;
  throw new DumpcatcherError('invalid_body', 'Send the mapping.txt as the request body.', {
    details: { reason: 'empty' },
  });
}

/** The mapping and upload-token routes (see docs/api.md#mappings); routes.ts lists them with the rest. */
export const MAPPING_ROUTES: RouteTable = [
  {
    name: 'mappings',
    pattern: new RegExp(`^/v1/products/${KEY}/mappings$`),
    methods: { GET: async (d, c, [key]) => ({ status: 200, body: await listMappings(d, c, key!) }) },
  },
  {
    name: 'mapping',
    pattern: new RegExp(`^/v1/products/${KEY}/mappings/${MAP_ID}$`),
    methods: {
      PUT: async (d, c, [key, id], b) => {
        const { created, mapping } = await putMapping(d, { kind: 'user', caller: c }, key!, id!, rawUploadOf(b));
        return { status: created ? 201 : 200, body: mapping };
      },
      GET: async (d, c, [key, id]) => ({
        status: 200,
        body: await getMapping(d, { kind: 'user', caller: c }, key!, id!),
      }),
      DELETE: async (d, c, [key, id]) => ({ status: 200, body: await deleteMapping(d, c, key!, id!) }),
    },
  },
  {
    name: 'upload-tokens',
    pattern: new RegExp(`^/v1/products/${KEY}/upload-tokens$`),
    methods: {
      GET: async (d, c, [key]) => ({ status: 200, body: await listUploadTokens(d, c, key!) }),
      POST: async (d, c, [key], b) => ({
        status: 201,
        body: await createUploadToken(d, c, key!, parseBody(CreateUploadTokenBodySchema, b)),
      }),
    },
  },
  {
    name: 'upload-token',
    pattern: new RegExp(`^/v1/products/${KEY}/upload-tokens/${TOKEN_ID}$`),
    methods: { DELETE: async (d, c, [key, id]) => ({ status: 200, body: await revokeUploadToken(d, c, key!, id!) }) },
  },
];

/** True for the one route whose body is raw bytes (a mapping upload), not JSON. */
export function takesRawBody(route: string, method: string): boolean {
  return route === 'mapping' && method === 'PUT';
}

/**
 * A request authenticated by an upload token instead of a Firebase user: it may only PUT or
 * GET a mapping of the token's own product; anything else is refused before any work.
 */
export async function runUploadTokenRequest(
  deps: ApiDeps,
  req: { method: string; path: string; authorization: string; upload: () => RawUpload },
): Promise<RouteAnswer> {
  const matched = matchRoute(req.method, req.path);
  if (matched.name !== 'mapping' || (req.method !== 'PUT' && req.method !== 'GET'))
    throw new DumpcatcherError(
      'permission_denied',
      'An upload token may only upload (PUT) or read (GET) a mapping of its product.',
      { details: { reason: 'upload_token_scope' } },
    );
  const [key = '', id = ''] = matched.params;
  const actor = await authenticateUploadToken(deps, req.authorization, key);
  if (req.method === 'GET') return { route: 'mapping', status: 200, body: await getMapping(deps, actor, key, id) };
  const { created, mapping } = await putMapping(deps, actor, key, id, req.upload());
  return { route: 'mapping', status: created ? 201 : 200, body: mapping };
}

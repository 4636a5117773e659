import { DumpcatcherError } from '../shared/errors';
import {
  createUploadToken,
  deleteMapping,
  getMapping,
  listMappings,
  listUploadTokens,
  putMapping,
  revokeUploadToken,
  type RawUpload,
} from './mappings';
import { parseBody, type RouteTable } from './route-table';
import { CreateUploadTokenBodySchema } from './schemas';

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

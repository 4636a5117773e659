import { DumpcatcherError } from '../shared/errors';
import { authenticateUploadToken, getMapping, putMapping, type RawUpload } from './mappings';
import { matchRoute, type RouteAnswer } from './routes';
import type { ApiDeps } from './deps';

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

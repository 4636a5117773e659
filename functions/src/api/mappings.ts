import { randomBytes, timingSafeEqual } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DumpcatcherError } from '../shared/errors';
import { sha256Hex } from '../shared/sha256';
import { parseMapping } from '../grouping/retrace/mapping';
import {
  MAPPING_CHUNK_BYTES,
  MAX_MAPPING_BYTES,
  MAX_UPLOAD_TOKENS,
  MapIdSchema,
  type MappingDoc,
  type UploadTokenDoc,
} from '../grouping/retrace/schemas';
import type { MappingStore } from '../grouping/retrace/store';
import { loadProductFor, type Caller } from './access';
import type { ApiDeps } from './deps';
import type { CreateUploadTokenBody } from './schemas';

/** The body of a mapping upload as the handler received it: raw bytes, never parsed as JSON. */
export interface RawUpload {
  bytes: Buffer;
  contentType: string | undefined;
  contentEncoding: string | undefined;
}

/** Who is uploading: the owner (signed in) or an upload token of the product. */
export type MappingActor = { kind: 'user'; caller: Caller } | { kind: 'token'; tokenId: string };

/** A stored mapping as the api shows it. */
export interface MappingView {
  productKey: string;
  mapId: string;
  sizeBytes: number;
  storedBytes: number;
  sha256: string;
  pgMapId: string | null;
  classCount: number;
  uploadedAt: string;
  uploadedBy: { kind: 'user' | 'token'; id: string };
}

/** An upload token as listed (never its secret). */
export interface UploadTokenView {
  id: string;
  name: string;
  scope: 'mappings';
  createdAt: string;
  createdBy: string;
}

/** Prefix that tells an upload token from a Firebase ID token in `Authorization: Bearer`. */
export const UPLOAD_TOKEN_PREFIX = 'dcu_';
const UPLOAD_TOKEN = /^dcu_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
const ACCEPTED_TYPES = /^(?:text\/plain|application\/octet-stream|application\/gzip|application\/x-gzip)(?:\s*;.*)?$/i;

function storeOf(deps: ApiDeps): MappingStore {
  if (deps.mappings === undefined) throw new Error('the api was built without a mapping store');
  return deps.mappings;
}

function mappingNotFound(mapId: string): DumpcatcherError {
  return new DumpcatcherError('not_found', 'No mapping with this id.', { details: { mapId } });
}

function parseMapId(raw: string): string {
  const result = MapIdSchema.safeParse(raw);
  if (!result.success)
    throw new DumpcatcherError('invalid_argument', `Invalid mapping id: ${result.error.issues[0]?.message}.`, {
      details: { issues: [{ path: 'mapId', message: result.error.issues[0]?.message }] },
    });
  return result.data;
}

/** The view of a stored mapping. */
export function toMappingView(productKey: string, doc: MappingDoc): MappingView {
  return {
    productKey,
    mapId: doc.mapId,
    sizeBytes: doc.sizeBytes,
    storedBytes: doc.storedBytes,
    sha256: doc.sha256,
    pgMapId: doc.pgMapId,
    classCount: doc.classCount,
    uploadedAt: doc.uploadedAt.toISOString(),
    uploadedBy: { ...doc.uploadedBy },
  };
}

function tooLarge(): DumpcatcherError {
  return new DumpcatcherError(
    'payload_too_large',
    `The mapping is larger than ${MAX_MAPPING_BYTES} bytes uncompressed.`,
    { details: { limitBytes: MAX_MAPPING_BYTES } },
  );
}

/**
 * The mapping text of an upload: the body as sent, or gunzipped when it starts with gzip's
 * magic bytes (`Content-Type: application/gzip`). `Content-Encoding` is refused: the
 * framework would inflate it before any size check.
 */
export function decodeMappingUpload(upload: RawUpload): string {
  if (upload.contentEncoding !== undefined && upload.contentEncoding !== 'identity')
    throw new DumpcatcherError(
      'unsupported_encoding',
      'Send a gzipped mapping as the body with Content-Type: application/gzip, without Content-Encoding.',
      { details: { header: 'content-encoding' } },
    );
  if (upload.contentType === undefined || !ACCEPTED_TYPES.test(upload.contentType))
    throw new DumpcatcherError(
      'unsupported_encoding',
      'Send the mapping with Content-Type: text/plain (or application/gzip when gzipped).',
      { details: { header: 'content-type' } },
    );
  let bytes = upload.bytes;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_MAPPING_BYTES });
    } catch (err) {
      if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
      throw new DumpcatcherError('invalid_body', 'The body is not valid gzip.', { details: { encoding: 'gzip' } });
    }
  } else if (bytes.length > MAX_MAPPING_BYTES) {
    throw tooLarge();
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '')
    throw new DumpcatcherError('invalid_body', 'The mapping is empty.', { details: { reason: 'empty' } });
  return text;
}

/** Splits a buffer into chunks of at most `size` bytes (at least one chunk). */
export function splitChunks(data: Buffer, size = MAPPING_CHUNK_BYTES): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += size) chunks.push(data.subarray(offset, offset + size));
  return chunks.length === 0 ? [Buffer.alloc(0)] : chunks;
}

async function authorize(deps: ApiDeps, actor: MappingActor, productKey: string, need: 'owner' | 'viewer') {
  // A token was already checked against this product by authenticateUploadToken.
  if (actor.kind === 'user') await loadProductFor(deps.store, actor.caller, productKey, need);
}

/**
 * `PUT /v1/products/{key}/mappings/{id}`: stores a ProGuard/R8 mapping.txt (owner or upload
 * token). Answers 201 for a new id, 200 when it replaced the mapping stored under it. A body
 * that is not a mapping (no `original -> obfuscated:` class line) is refused, never stored.
 */
export async function putMapping(
  deps: ApiDeps,
  actor: MappingActor,
  productKey: string,
  rawMapId: string,
  upload: RawUpload,
): Promise<{ created: boolean; mapping: MappingView }> {
  await authorize(deps, actor, productKey, 'owner');
  const mapId = parseMapId(rawMapId);
  const text = decodeMappingUpload(upload);
  const mapping = parseMapping(text);
  if (mapping.classCount === 0)
    throw new DumpcatcherError(
      'invalid_body',
      'The body is not a ProGuard/R8 mapping: it has no "original.Class -> obfuscated:" line.',
      { details: { reason: 'not_a_mapping' } },
    );
  const compressed = gzipSync(Buffer.from(text, 'utf8'));
  const chunks = splitChunks(compressed);
  const doc: MappingDoc = {
    mapId,
    sizeBytes: Buffer.byteLength(text, 'utf8'),
    storedBytes: compressed.length,
    chunkCount: chunks.length,
    generation: randomBytes(12).toString('hex'),
    sha256: sha256Hex(text),
    pgMapId: mapping.mapId ?? null,
    classCount: mapping.classCount,
    uploadedAt: deps.clock(),
    uploadedBy: actor.kind === 'user' ? { kind: 'user', id: actor.caller.uid } : { kind: 'token', id: actor.tokenId },
  };
  const store = storeOf(deps);
  const previous = await store.getMapping(productKey, mapId);
  await store.putMapping(productKey, doc, chunks);
  return { created: previous === null, mapping: toMappingView(productKey, doc) };
}

/** `GET /v1/products/{key}/mappings/{id}`: a stored mapping's metadata (members or upload token). */
export async function getMapping(
  deps: ApiDeps,
  actor: MappingActor,
  productKey: string,
  rawMapId: string,
): Promise<MappingView> {
  await authorize(deps, actor, productKey, 'viewer');
  const mapId = parseMapId(rawMapId);
  const doc = await storeOf(deps).getMapping(productKey, mapId);
  if (doc === null) throw mappingNotFound(mapId);
  return toMappingView(productKey, doc);
}

/** `GET /v1/products/{key}/mappings`: every stored mapping, newest upload first (members). */
export async function listMappings(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
): Promise<{ mappings: MappingView[] }> {
  await loadProductFor(deps.store, caller, productKey, 'viewer');
  const docs = await storeOf(deps).listMappings(productKey);
  docs.sort((a, b) => b.uploadedAt.getTime() - a.uploadedAt.getTime() || a.mapId.localeCompare(b.mapId));
  return { mappings: docs.map((doc) => toMappingView(productKey, doc)) };
}

/** `DELETE /v1/products/{key}/mappings/{id}` (owner): later crashes of that build stay obfuscated. */
export async function deleteMapping(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  rawMapId: string,
): Promise<{ productKey: string; deleted: true; mapId: string }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  const mapId = parseMapId(rawMapId);
  if (!(await storeOf(deps).deleteMapping(productKey, mapId))) throw mappingNotFound(mapId);
  return { productKey, deleted: true, mapId };
}

function toTokenView(doc: UploadTokenDoc): UploadTokenView {
  return {
    id: doc.id,
    name: doc.name,
    scope: doc.scope,
    createdAt: doc.createdAt.toISOString(),
    createdBy: doc.createdBy,
  };
}

/**
 * `POST /v1/products/{key}/upload-tokens` (owner): a new token for build servers. The token is
 * in this answer only; the store keeps its hash.
 */
export async function createUploadToken(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  body: CreateUploadTokenBody,
): Promise<UploadTokenView & { productKey: string; token: string }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  const store = storeOf(deps);
  if ((await store.listUploadTokens(productKey)).length >= MAX_UPLOAD_TOKENS)
    throw new DumpcatcherError('conflict', `A product may have at most ${MAX_UPLOAD_TOKENS} upload tokens.`, {
      details: { limit: MAX_UPLOAD_TOKENS },
    });
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const doc: UploadTokenDoc = {
    id,
    name: body.name,
    scope: 'mappings',
    secretHash: sha256Hex(secret),
    createdAt: deps.clock(),
    createdBy: caller.uid,
  };
  await store.createUploadToken(productKey, doc);
  return { productKey, ...toTokenView(doc), token: `${UPLOAD_TOKEN_PREFIX}${id}_${secret}` };
}

/** `GET /v1/products/{key}/upload-tokens` (owner). */
export async function listUploadTokens(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
): Promise<{ tokens: UploadTokenView[] }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  const docs = await storeOf(deps).listUploadTokens(productKey);
  docs.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id));
  return { tokens: docs.map(toTokenView) };
}

/** `DELETE /v1/products/{key}/upload-tokens/{id}` (owner): the token stops working at once. */
export async function revokeUploadToken(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  id: string,
): Promise<{ productKey: string; revoked: true; id: string }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  if (!(await storeOf(deps).deleteUploadToken(productKey, id)))
    throw new DumpcatcherError('not_found', 'No upload token with this id.', { details: { id } });
  return { productKey, revoked: true, id };
}

/** True when an Authorization header carries an upload token rather than a Firebase ID token. */
export function isUploadTokenHeader(header: string | string[] | undefined): boolean {
  return typeof header === 'string' && /^Bearer +dcu_/i.test(header.trim());
}

function badToken(): DumpcatcherError {
  return new DumpcatcherError('unauthenticated', 'This upload token is not valid for this product.', {
    details: { reason: 'invalid_upload_token' },
    headers: { 'WWW-Authenticate': 'Bearer' },
  });
}

/** Checks an upload token against the product in the path; any mismatch is the same 401. */
export async function authenticateUploadToken(
  deps: ApiDeps,
  header: string,
  productKey: string,
): Promise<MappingActor> {
  const match = UPLOAD_TOKEN.exec(header.trim().replace(/^Bearer +/i, ''));
  if (match === null) throw badToken();
  const [, id = '', secret = ''] = match;
  const doc = await storeOf(deps).getUploadToken(productKey, id);
  if (doc === null) throw badToken();
  const expected = Buffer.from(doc.secretHash, 'hex');
  const actual = Buffer.from(sha256Hex(secret), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw badToken();
  return { kind: 'token', tokenId: id };
}

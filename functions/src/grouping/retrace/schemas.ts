import { z } from 'zod';

/** A mapping id as it may appear in a path: R8's map id, or an app version. */
export const MapIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_", "+" or "-"');

/** Largest mapping accepted, uncompressed (a large app's mapping.txt is tens of megabytes). */
export const MAX_MAPPING_BYTES = 64 * 1024 * 1024;

/** Bytes of compressed mapping per chunk document (a Firestore document holds at most 1 MiB). */
export const MAPPING_CHUNK_BYTES = 900 * 1024;

/** Most upload tokens one product may have at once. */
export const MAX_UPLOAD_TOKENS = 20;

/** Who stored a mapping: the owner through the api, or an upload token (by its id). */
export const UploaderSchema = z.object({ kind: z.enum(['user', 'token']), id: z.string().min(1) });

/** `products/{key}/mappings/{mapId}`: what is stored, and which chunk generation holds it. */
export const MappingDocSchema = z.object({
  mapId: MapIdSchema,
  /** Size of the mapping.txt as uploaded, uncompressed. */
  sizeBytes: z.number().int().nonnegative(),
  /** Size of the gzip stream kept in the chunks. */
  storedBytes: z.number().int().nonnegative(),
  chunkCount: z.number().int().positive(),
  /** Chunks are `chunks/{generation}-{index}`; a new upload writes a new generation first. */
  generation: z.string().regex(/^[A-Za-z0-9]{8,32}$/),
  /** SHA-256 of the uncompressed text. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The file's own `# pg_map_id:`, when it has one. */
  pgMapId: z.string().nullable(),
  classCount: z.number().int().nonnegative(),
  uploadedAt: z.date(),
  uploadedBy: UploaderSchema,
});
/** A stored mapping's metadata. */
export type MappingDoc = z.infer<typeof MappingDocSchema>;

/** `products/{key}/uploadTokens/{id}`: a revocable credential for build servers; only its hash is kept. */
export const UploadTokenDocSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9]{16}$/),
  name: z.string(),
  scope: z.literal('mappings'),
  /** SHA-256 of the token's secret part. */
  secretHash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.date(),
  createdBy: z.string().min(1),
});
/** An upload token document. */
export type UploadTokenDoc = z.infer<typeof UploadTokenDocSchema>;

/** What the rollup found when it tried to retrace a crash; kept on its issue. */
export const RetraceOutcomeSchema = z.object({
  status: z.enum(['retraced', 'missing_mapping']),
  mapId: z.string(),
  /** Where the id came from: R8's `r8-map-id-…` source files, or the report's app version. */
  source: z.enum(['map_id', 'app_version']),
});
/** The retrace outcome of a crash. */
export type RetraceOutcome = z.infer<typeof RetraceOutcomeSchema>;

/**
 * `products/{key}/regroupRequests/{mapId}`: written with a mapping's metadata on every upload;
 * the rollup merges the issues that waited for that mapping (rollup/regroup.ts), then deletes it.
 */
export const RegroupRequestDocSchema = z.object({
  productKey: z.string().min(1),
  mapId: MapIdSchema,
  /** The upload's time; a request is kept until the rollup's runs that began before it have ended. */
  requestedAt: z.date(),
});
/** A regroup request. */
export type RegroupRequestDoc = z.infer<typeof RegroupRequestDocSchema>;

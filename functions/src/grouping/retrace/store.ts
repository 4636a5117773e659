import type { MappingDoc, UploadTokenDoc } from './schemas';

/** Reads a stored mapping's gzip bytes; null when none is stored under that id. */
export interface MappingLoader {
  loadCompressed(productKey: string, mapId: string): Promise<Buffer | null>;
}

/** Persistence of mappings and upload tokens; the Firestore adapter is api/mapping-store.ts. */
export interface MappingStore {
  /**
   * Writes the chunks, then the metadata with a regroup request for the rollup in one batch
   * (readers never see a partial upload), then drops the old chunks.
   */
  putMapping(productKey: string, doc: MappingDoc, chunks: readonly Buffer[]): Promise<void>;
  getMapping(productKey: string, mapId: string): Promise<MappingDoc | null>;
  listMappings(productKey: string): Promise<MappingDoc[]>;
  /** Deletes the metadata and every chunk; false when there was none. */
  deleteMapping(productKey: string, mapId: string): Promise<boolean>;
  createUploadToken(productKey: string, doc: UploadTokenDoc): Promise<void>;
  getUploadToken(productKey: string, id: string): Promise<UploadTokenDoc | null>;
  listUploadTokens(productKey: string): Promise<UploadTokenDoc[]>;
  deleteUploadToken(productKey: string, id: string): Promise<boolean>;
}

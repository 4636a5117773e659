import { type Firestore } from 'firebase-admin/firestore';
import { COLLECTIONS } from '../shared/paths';
import {
  MappingDocSchema,
  UploadTokenDocSchema,
  type MappingDoc,
  type RegroupRequestDoc,
  type UploadTokenDoc,
} from '../grouping/retrace/schemas';
import type { MappingLoader, MappingStore } from '../grouping/retrace/store';
import { parseStoredDoc } from '../shared/firestore';

// Firestore caps a write request at 10 MiB; chunks are up to 900 KiB, so 8 fit in one batch.
const CHUNKS_PER_BATCH = 8;

function chunkId(generation: string, index: number): string {
  return `${generation}-${String(index).padStart(4, '0')}`;
}

/**
 * Mappings as gzip streams cut into chunk documents under `products/{key}/mappings/{id}/chunks`,
 * and upload tokens under `products/{key}/uploadTokens/{id}`; both go with the product.
 */
export function createFirestoreMappingStore(db: Firestore): MappingStore & MappingLoader {
  const mappingsOf = (productKey: string) =>
    db.collection(COLLECTIONS.products).doc(productKey).collection(COLLECTIONS.mappings);
  const tokensOf = (productKey: string) =>
    db.collection(COLLECTIONS.products).doc(productKey).collection(COLLECTIONS.uploadTokens);

  const getMapping = async (productKey: string, mapId: string): Promise<MappingDoc | null> => {
    const snap = await mappingsOf(productKey).doc(mapId).get();
    return snap.exists ? parseStoredDoc(MappingDocSchema, snap.ref.path, snap.data()) : null;
  };

  return {
    async putMapping(productKey, doc, chunks) {
      const ref = mappingsOf(productKey).doc(doc.mapId);
      const chunkRefs = ref.collection(COLLECTIONS.mappingChunks);
      for (let start = 0; start < chunks.length; start += CHUNKS_PER_BATCH) {
        const batch = db.batch();
        chunks.slice(start, start + CHUNKS_PER_BATCH).forEach((data, offset) => {
          batch.set(chunkRefs.doc(chunkId(doc.generation, start + offset)), { data });
        });
        await batch.commit();
      }
      // The metadata names the new generation only once all of its chunks are written; the
      // rollup's next run merges the issues that waited for this mapping (rollup/regroup.ts).
      const request: RegroupRequestDoc = { productKey, mapId: doc.mapId, requestedAt: doc.uploadedAt };
      await db
        .batch()
        .set(ref, doc)
        .set(
          db.collection(COLLECTIONS.products).doc(productKey).collection(COLLECTIONS.regroupRequests).doc(doc.mapId),
          request,
        )
        .commit();
      const stale = (await chunkRefs.listDocuments()).filter((c) => !c.id.startsWith(`${doc.generation}-`));
      for (let start = 0; start < stale.length; start += 400) {
        const batch = db.batch();
        for (const c of stale.slice(start, start + 400)) batch.delete(c);
        await batch.commit();
      }
    },
    getMapping,
    async listMappings(productKey) {
      const snaps = await mappingsOf(productKey).get();
      return snaps.docs.map((snap) => parseStoredDoc(MappingDocSchema, snap.ref.path, snap.data()));
    },
    async deleteMapping(productKey, mapId) {
      const ref = mappingsOf(productKey).doc(mapId);
      const existed = (await ref.get()).exists;
      await db.recursiveDelete(ref);
      return existed;
    },
    async loadCompressed(productKey, mapId) {
      const doc = await getMapping(productKey, mapId);
      if (doc === null) return null;
      const chunkRefs = mappingsOf(productKey).doc(mapId).collection(COLLECTIONS.mappingChunks);
      const refs = Array.from({ length: doc.chunkCount }, (_, i) => chunkRefs.doc(chunkId(doc.generation, i)));
      const snaps = await db.getAll(...refs);
      const parts: Buffer[] = [];
      for (const snap of snaps) {
        const data: unknown = snap.get('data');
        // Replaced or deleted while being read: treat as not stored; the next run reads it again.
        if (!Buffer.isBuffer(data) && !(data instanceof Uint8Array)) return null;
        parts.push(Buffer.from(data));
      }
      return Buffer.concat(parts);
    },
    async createUploadToken(productKey, doc: UploadTokenDoc) {
      await tokensOf(productKey).doc(doc.id).create(doc);
    },
    async getUploadToken(productKey, id) {
      const snap = await tokensOf(productKey).doc(id).get();
      return snap.exists ? parseStoredDoc(UploadTokenDocSchema, snap.ref.path, snap.data()) : null;
    },
    async listUploadTokens(productKey) {
      const snaps = await tokensOf(productKey).get();
      return snaps.docs.map((snap) => parseStoredDoc(UploadTokenDocSchema, snap.ref.path, snap.data()));
    },
    async deleteUploadToken(productKey, id) {
      const ref = tokensOf(productKey).doc(id);
      const existed = (await ref.get()).exists;
      await ref.delete();
      return existed;
    },
  };
}

import type { Firestore } from 'firebase-admin/firestore';
import { buildNewProduct } from '../../functions/src/shared/product-docs';
import { COLLECTIONS } from '../../functions/src/shared/paths';

/** Writes a product straight to Firestore (local stack and tests; the api does this for users). */
export async function seedProduct(db: Firestore, input: { name: string; ownerUid: string }): Promise<{ productKey: string; secret: string }> {
  const docs = buildNewProduct({ ...input, now: new Date() });
  const batch = db.batch();
  batch.create(db.collection(COLLECTIONS.products).doc(docs.productKey), docs.product);
  batch.create(db.collection(COLLECTIONS.productSecrets).doc(docs.productKey), docs.secrets);
  await batch.commit();
  return { productKey: docs.productKey, secret: docs.secret };
}

import { randomBytes } from 'node:crypto';

/** Raw crashes are kept this many days unless the product says otherwise. */
export const DEFAULT_RETENTION_DAYS = 90;

/** A new public product key: `pk_` + 128 random bits, URL-safe, fits the ingest's key pattern. */
export function generateProductKey(): string {
  return 'pk_' + randomBytes(16).toString('base64url');
}

/** A new product secret: `sk_` + 256 random bits, URL-safe. */
export function generateSecret(): string {
  return 'sk_' + randomBytes(32).toString('base64url');
}

/** The two documents that make a product: the readable one and the secret one. */
export interface NewProductDocs {
  productKey: string;
  secret: string;
  product: {
    name: string;
    ownerUid: string;
    memberUids: string[];
    createdAt: Date;
    updatedAt: Date;
    settings: { retentionDays: number; rateLimitPerMinute: number | null };
    issueRowsComplete: true;
  };
  secrets: {
    ownerUid: string;
    secrets: Array<{ secret: string; createdAt: Date; expiresAt: Date | null }>;
    retentionDays: number;
    rateLimitPerMinute: number | null;
  };
}

/** Builds a product's documents (`products/{key}` and `productSecrets/{key}`), not yet written. */
export function buildNewProduct(input: { name: string; ownerUid: string; now: Date }): NewProductDocs {
  const productKey = generateProductKey();
  const secret = generateSecret();
  return {
    productKey,
    secret,
    product: {
      name: input.name,
      ownerUid: input.ownerUid,
      memberUids: [input.ownerUid],
      createdAt: input.now,
      updatedAt: input.now,
      settings: { retentionDays: DEFAULT_RETENTION_DAYS, rateLimitPerMinute: null },
      // No issue predates its list row, so the listing reads the rows from the start.
      issueRowsComplete: true,
    },
    secrets: {
      ownerUid: input.ownerUid,
      secrets: [{ secret, createdAt: input.now, expiresAt: null }],
      retentionDays: DEFAULT_RETENTION_DAYS,
      rateLimitPerMinute: null,
    },
  };
}

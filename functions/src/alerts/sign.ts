/** Standard Webhooks signing (https://www.standardwebhooks.com): what receivers verify with its libraries. */
import { createHmac, randomBytes } from 'node:crypto';

/** A new webhook secret: `whsec_` + base64 of 24 random bytes, the form the Standard Webhooks libraries read. */
export function generateWebhookSecret(): string {
  return 'whsec_' + randomBytes(24).toString('base64');
}

/** The `webhook-signature` value: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the secret's bytes. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three Standard Webhooks headers for one attempt; the id stays the same on every retry. */
export function webhookHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, id, timestamp, body),
  };
}

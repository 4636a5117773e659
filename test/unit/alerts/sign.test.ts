import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, webhookHeaders } from '../../../functions/src/alerts/sign';

describe('webhookHeaders', () => {
  const body = JSON.stringify({ type: 'issue.new', issues: [] });

  it('signs so that the standardwebhooks package verifies the message', () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders(secret, 'msg_abc', new Date(), body);
    expect(new Webhook(secret).verify(body, headers)).toEqual({ type: 'issue.new', issues: [] });
  });
  it('is refused by the package when the body changed after signing', () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders(secret, 'msg_abc', new Date(), body);
    expect(() => new Webhook(secret).verify(body.replace('new', 'old'), headers)).toThrow();
  });
  it('is refused by the package under another secret', () => {
    const headers = webhookHeaders(generateWebhookSecret(), 'msg_abc', new Date(), body);
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
  });
  it('matches the Standard Webhooks reference signature', () => {
    // The example in the Standard Webhooks specification's reference implementations.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const headers = webhookHeaders(
      secret,
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1614265330_000),
      '{"test": 2432232314}',
    );
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });
  it('makes secrets the package accepts, different each time', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});

import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, verifyWebhook } from './signing';

describe('Standard Webhooks signing', () => {
  it('produces signatures the reference verifier accepts, and it rejects a tampered body', async () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ type: 'test', tenantId: 't', data: { n: 1 } });
    const now = Math.floor(Date.now() / 1000);
    const headers = await signWebhook(secret, 'msg_1', now, body);
    expect(headers['webhook-signature']).toMatch(/^v1,/);
    const reference = new Webhook(secret);
    expect(reference.verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(() => reference.verify(body.replace('1', '2'), { ...headers })).toThrow();
    expect(() => reference.verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
  });

  it('matches the spec example (secret, id, timestamp, body → signature)', async () => {
    // From the Standard Webhooks specification's example.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const headers = await signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('our verifier agrees and enforces the timestamp tolerance', async () => {
    const secret = generateWebhookSecret();
    const ts = 1_700_000_000;
    const h = await signWebhook(secret, 'id', ts, 'body');
    const hdr = { id: h['webhook-id'], timestamp: h['webhook-timestamp'], signature: h['webhook-signature'] };
    expect(await verifyWebhook(secret, hdr, 'body', ts + 10)).toBe(true);
    expect(await verifyWebhook(secret, hdr, 'bodx', ts + 10)).toBe(false);
    expect(await verifyWebhook(secret, hdr, 'body', ts + 3600)).toBe(false);
    expect(await verifyWebhook(generateWebhookSecret(), hdr, 'body', ts)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { endpointName, isIdSegment, sourceForHost, templatePath } from './naming';

describe('sourceForHost', () => {
  it('names the well-known providers', () => {
    expect(sourceForHost('api.stripe.com')).toBe('stripe');
    expect(sourceForHost('API.Twilio.com')).toBe('twilio');
    expect(sourceForHost('api.openai.com')).toBe('openai');
    expect(sourceForHost('verify.twilio.com')).toBe('twilio');
  });

  it('falls back to the host, without port or trailing dot', () => {
    expect(sourceForHost('billing.internal:8443')).toBe('billing.internal');
    expect(sourceForHost('example.com.')).toBe('example.com');
  });

  it('prefers the caller mapping: exact, then the closest wildcard', () => {
    const sources = {
      'api.acme.dev': 'acme-api',
      '*.acme.dev': 'acme',
      '*.eu.acme.dev': 'acme-eu',
      'api.stripe.com': 'pay',
    };
    expect(sourceForHost('api.acme.dev', sources)).toBe('acme-api');
    expect(sourceForHost('x.acme.dev', sources)).toBe('acme');
    expect(sourceForHost('x.eu.acme.dev', sources)).toBe('acme-eu');
    expect(sourceForHost('acme.dev', sources)).toBe('acme.dev');
    expect(sourceForHost('api.stripe.com', sources)).toBe('pay');
    expect(sourceForHost('api.stripe.com', new Map([['api.stripe.com', 'm']]))).toBe('m');
  });

  it('does not read inherited keys of a plain-object mapping', () => {
    expect(sourceForHost('constructor', {})).toBe('constructor');
    expect(sourceForHost('__proto__', {})).toBe('__proto__');
  });
});

describe('templatePath', () => {
  it.each([
    ['/v1/customers/cus_123', '/v1/customers/:id'],
    ['/v1/payment_intents/pi_3NxYz9Ab/confirm', '/v1/payment_intents/:id/confirm'],
    ['/v1/charges', '/v1/charges'],
    ['/users/42/orders/7', '/users/:id/orders/:id'],
    ['/items/3f2504e0-4f89-11d3-9a0c-0305e82c3301', '/items/:id'],
    [
      '/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json',
      '/2010-04-01/Accounts/:id/Messages/:id.json',
    ],
    ['/v1/chat/completions', '/v1/chat/completions'],
    ['/v1/files/file-abc123', '/v1/files/:id'],
    ['/v2beta/objects/deadbeef42', '/v2beta/objects/:id'],
    ['/v1/customers/cus_123?expand=sources#x', '/v1/customers/:id'],
    ['/', '/'],
    ['', '/'],
    ['/tokens/abcDEF1234567890xyz', '/tokens/:id'],
    ['/payment_methods', '/payment_methods'],
    ['/bad/%E0%A4%A', '/bad/%E0%A4%A'],
  ])('%s → %s', (path, expected) => {
    expect(templatePath(path)).toBe(expected);
  });

  it('keeps names that merely contain a digit-free underscore or a version', () => {
    expect(isIdSegment('payment_intents')).toBe(false);
    expect(isIdSegment('v1')).toBe(false);
    expect(isIdSegment('2010-04-01')).toBe(false);
    expect(isIdSegment('oauth2')).toBe(false);
  });
});

describe('endpointName', () => {
  it('is METHOD and the templated path', () => {
    expect(endpointName('post', '/v1/customers/cus_9/sources')).toBe('POST /v1/customers/:id/sources');
  });
});

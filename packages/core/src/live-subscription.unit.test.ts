import { describe, expect, it } from 'vitest';
import { liveFilterKey, matchesLiveFilter, parseClientMessage, parseLiveFilter } from './live-subscription';

describe('live filters', () => {
  it('matches every present field and nothing else', () => {
    const e = { source: 'stripe', endpoint: 'POST /v1/charges', type: 'api_call' };
    expect(matchesLiveFilter({}, e)).toBe(true);
    expect(matchesLiveFilter({ source: 'stripe' }, e)).toBe(true);
    expect(matchesLiveFilter({ source: 'twilio' }, e)).toBe(false);
    expect(matchesLiveFilter({ source: 'stripe', endpoint: 'GET /x' }, e)).toBe(false);
    expect(matchesLiveFilter({ type: 'error' }, e)).toBe(false);
    expect(matchesLiveFilter({ endpoint: 'POST /v1/charges' }, { source: 's', endpoint: null })).toBe(false);
  });

  it('refuses unknown fields and non-string values', () => {
    expect(parseLiveFilter({ sorce: 'x' })).toEqual({ error: 'unknown filter field "sorce"' });
    expect('error' in parseLiveFilter({ source: 5 })).toBe(true);
    expect('error' in parseLiveFilter({ source: 'x'.repeat(513) })).toBe(true);
    expect(parseLiveFilter(undefined)).toEqual({ filter: {} });
    expect(parseLiveFilter({ source: 'a', type: null })).toEqual({ filter: { source: 'a' } });
  });

  it('gives equal filters the same key and different ones different keys', () => {
    expect(liveFilterKey({ source: 'a' })).toBe(liveFilterKey({ source: 'a', endpoint: undefined }));
    expect(liveFilterKey({ source: 'a' })).not.toBe(liveFilterKey({ endpoint: 'a' }));
  });
});

describe('client messages', () => {
  it('parses ping and subscribe, and reports garbage as invalid', () => {
    expect(parseClientMessage('{"type":"ping"}')).toEqual({ type: 'ping' });
    expect(parseClientMessage('{"type":"subscribe","filter":{"source":"stripe"}}')).toEqual({
      type: 'subscribe',
      filter: { source: 'stripe' },
    });
    expect(parseClientMessage('nope').type).toBe('invalid');
    expect(parseClientMessage('[1]').type).toBe('invalid');
    expect(parseClientMessage('{"type":"shout"}').type).toBe('invalid');
    expect(parseClientMessage(`{"type":"ping","pad":"${'x'.repeat(5000)}"}`)).toEqual({
      type: 'invalid',
      reason: 'message too large',
    });
    expect(parseClientMessage(new TextEncoder().encode('{"type":"ping"}').buffer as ArrayBuffer)).toEqual({
      type: 'ping',
    });
  });
});

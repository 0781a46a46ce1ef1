import { describe, expect, it } from 'vitest';
import { isEventsMessage } from './events-message';

describe('isEventsMessage', () => {
  const base = { type: 'events', batchId: 'b', tenantId: 't', events: [] };
  it('reads version 1 and the unversioned messages written before it', () => {
    expect(isEventsMessage({ ...base, v: 1 })).toBe(true);
    expect(isEventsMessage(base)).toBe(true);
  });
  it('refuses versions it does not know and other shapes, so they are retried and dead-lettered, not misread', () => {
    expect(isEventsMessage({ ...base, v: 2 })).toBe(false);
    expect(isEventsMessage({ ...base, events: 'x' })).toBe(false);
    expect(isEventsMessage({ ...base, type: 'notify' })).toBe(false);
    expect(isEventsMessage(null)).toBe(false);
  });
});

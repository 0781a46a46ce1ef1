import { describe, expect, it } from 'vitest';
import { deadLetterKeyOf } from './dead-letter-key';

describe('deadLetterKeyOf', () => {
  it('reads the stable key of each message type', () => {
    expect(deadLetterKeyOf({ type: 'events', batchId: 'b-1', events: [] })).toBe('b-1');
    expect(deadLetterKeyOf({ type: 'events', batchId: 'b-1/#3', events: [] })).toBe('b-1/#3');
    expect(deadLetterKeyOf({ type: 'notify', deliveryId: 'report.ready:r:c' })).toBe('notify:report.ready:r:c');
    const reportId = '0192f0c4-1b2a-7c3d-8e4f-5a6b7c8d9e0f';
    expect(deadLetterKeyOf({ type: 'report.generate', reportId })).toBe(`report.generate:${reportId}`);
    expect(deadLetterKeyOf({ type: 'report.generate', reportId: reportId.toUpperCase() })).toBe(
      `report.generate:${reportId}`,
    );
  });

  it('names no key for a body without a usable one, so the queue message id is used', () => {
    expect(deadLetterKeyOf(null)).toBeNull();
    expect(deadLetterKeyOf('events')).toBeNull();
    expect(deadLetterKeyOf({ type: 'events', batchId: '' })).toBeNull();
    expect(deadLetterKeyOf({ type: 'notify' })).toBeNull();
    expect(deadLetterKeyOf({ type: 'notify', deliveryId: 'has space' })).toBeNull();
    expect(deadLetterKeyOf({ type: 'notify', deliveryId: 'x'.repeat(201) })).toBeNull();
    expect(deadLetterKeyOf({ type: 'report.generate', reportId: 'not-a-uuid' })).toBeNull();
    expect(deadLetterKeyOf({ type: 'retired', id: 'x' })).toBeNull();
  });
});

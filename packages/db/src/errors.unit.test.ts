import { describe, expect, it } from 'vitest';
import { describeFailure, isDataError } from './errors';

/** drizzle's wrapper: the SQL text as message, the driver's error as cause. */
function wrapped(cause: unknown): Error {
  return new Error('Failed query: insert into events ... params: ...', { cause });
}

describe('describeFailure', () => {
  it('names the SQLSTATE and the driver message under drizzle’s wrapper, never the SQL', () => {
    const driver = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    expect(describeFailure(wrapped(driver))).toBe('22021: invalid byte sequence for encoding "UTF8": 0x00');
    expect(isDataError(wrapped(driver))).toBe(true);
  });

  it('adds a useful detail but never the failing row’s values', () => {
    const useful = Object.assign(new Error('duplicate key'), { code: '23505', detail: 'Key (id)=(1) exists.' });
    expect(describeFailure(useful)).toBe('23505: duplicate key (Key (id)=(1) exists.)');
    const row = Object.assign(new Error('null value'), { code: '23502', detail: 'Failing row contains (secret).' });
    expect(describeFailure(row)).toBe('23502: null value');
  });

  it('reads the message of a WebSocket ErrorEvent instead of "[object ErrorEvent]"', () => {
    class ErrorEvent extends Event {
      constructor(readonly message: string) {
        super('error');
      }
    }
    expect(describeFailure(wrapped(new ErrorEvent('Network connection lost.')))).toBe('Network connection lost.');
    expect(describeFailure(new ErrorEvent(''))).toBe('ErrorEvent: error');
    const carrying = Object.assign(new Event('error'), { error: new Error('socket hang up') });
    expect(describeFailure(carrying)).toBe('socket hang up');
    expect(isDataError(new ErrorEvent('Network connection lost.'))).toBe(false);
  });

  it('describes a thrown string', () => {
    expect(describeFailure('boom')).toBe('boom');
  });

  it('describes a thrown plain object by its content, not "[object Object]", and never throws itself', () => {
    expect(describeFailure({ reason: 'pool exhausted', retryable: true })).toBe(
      '{"reason":"pool exhausted","retryable":true}',
    );
    // No prototype: String() of it throws, and describeFailure runs inside catch blocks.
    const bare = Object.assign(Object.create(null) as object, { detail: 'x' });
    expect(describeFailure(bare)).toBe('{"detail":"x"}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeFailure(cyclic)).toBe('[object Object]');
    expect(describeFailure(Object.create(null))).toBe('[object Object]');
    expect(describeFailure(undefined)).toBe('undefined');
    expect(describeFailure(null)).toBe('null');
    expect(describeFailure({ big: 'y'.repeat(5000) }).length).toBeLessThanOrEqual(1000);
  });
});

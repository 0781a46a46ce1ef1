import { describe, expect, it } from 'vitest';
import { parseParkedDeadLetter } from './parked-dead-letter';

const letter = {
  messageId: 'batch-1',
  tenantId: '0192f0c4-1b2a-7c3d-8e4f-5a6b7c8d9e0f',
  queue: 'pulsestream-events',
  body: { type: 'events', batchId: 'batch-1', events: [] },
  reason: '08006: connection failure',
  attempts: 6,
};

describe('parseParkedDeadLetter', () => {
  it('reads back the letter the dead-letter consumer parked, exactly', () => {
    expect(parseParkedDeadLetter(JSON.stringify(letter))).toEqual({ ok: true, letter });
  });

  it('takes a missing body or tenant as null, as the writer stringified undefined', () => {
    const { body: _body, tenantId: _tenant, ...rest } = letter;
    expect(parseParkedDeadLetter(JSON.stringify(rest))).toEqual({
      ok: true,
      letter: { ...rest, tenantId: null, body: null },
    });
    expect(parseParkedDeadLetter(JSON.stringify({ ...letter, body: 'text' }))).toMatchObject({
      ok: true,
      letter: { body: 'text' },
    });
  });

  it('refuses what is not JSON, with the parser’s reason', () => {
    const parsed = parseParkedDeadLetter('this is not json');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(/^not JSON: /);
  });

  it.each([
    ['null', 'not a dead letter: JSON null'],
    ['[1,2]', 'not a dead letter: JSON array'],
    ['"letter"', 'not a dead letter: JSON string'],
    ['42', 'not a dead letter: JSON number'],
  ])('refuses the JSON value %s', (text, problem) => {
    expect(parseParkedDeadLetter(text)).toEqual({ ok: false, problem });
  });

  it.each([
    [{ messageId: undefined }, 'messageId is missing, expected a non-empty string'],
    [{ messageId: '' }, 'messageId is a string, expected a non-empty string'],
    [{ messageId: 7 }, 'messageId is a number, expected a non-empty string'],
    [{ queue: null }, 'queue is null, expected a string'],
    [{ reason: ['x'] }, 'reason is an array, expected a string'],
    [{ attempts: '6' }, 'attempts is a string, expected a number'],
    [{ tenantId: 12 }, 'tenantId is a number, expected a string or null'],
  ])('refuses a letter with %o, naming the field', (change, problem) => {
    expect(parseParkedDeadLetter(JSON.stringify({ ...letter, ...change }))).toEqual({
      ok: false,
      problem: `not a dead letter: ${problem}`,
    });
  });

  it('never lets a prototype name through as a field', () => {
    const parsed = parseParkedDeadLetter('{"__proto__":{"messageId":"x"},"queue":"q","reason":"r","attempts":1}');
    expect(parsed).toEqual({
      ok: false,
      problem: 'not a dead letter: messageId is missing, expected a non-empty string',
    });
  });
});

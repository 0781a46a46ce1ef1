// fast-check arbitraries shared by the event schema's property tests: hostile keys, strings, numbers and
// values, event-shaped dictionaries, and a valid event from which mutations start.
import fc from 'fast-check';
import { MAX_LATENCY_MS } from './event-schema';

export const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
export const opts = { now: NOW, retentionDays: 30, generateId: () => 'generated-id' };

export const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', ''),
  fc.string({ maxLength: 12 }),
);
export const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('x\u0000y', '\ud800', 'a\udfffb', '\ud83d', '\u0001', '\u007f', ' ', '', '\ufeff'),
);
export const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e308, -1e308, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, Number('12345678901234567890'), -0, 0.1),
);
export const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

export const eventField = fc.constantFrom(
  'id',
  'timestamp',
  'type',
  'source',
  'endpoint',
  'method',
  'status',
  'latencyMs',
  'properties',
  '__proto__',
  'constructor',
);
export const eventLike = fc.dictionary(eventField, hostileValue, { maxKeys: 9 });

/** A valid event, from which mutations start. */
export const validEvent = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
  timestamp: fc.integer({ min: NOW - 29 * 86_400_000, max: NOW + 86_000_000 }),
  type: fc.constantFrom('api_call', 'error', 'custom'),
  source: fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/),
  endpoint: fc.stringMatching(/^(GET|POST) \/[a-z0-9/:]{0,40}$/),
  method: fc.constantFrom('GET', 'POST', 'delete'),
  status: fc.integer({ min: 100, max: 599 }),
  latencyMs: fc.double({ min: 0, max: MAX_LATENCY_MS, noNaN: true }),
  properties: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
});

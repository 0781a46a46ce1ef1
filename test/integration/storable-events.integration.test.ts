// The edge's promise to storage, proved against the real database: every event that `validateEvents`
// accepts, however hostile the input it came from, is inserted by `insertEvents` (the plain, non-isolating
// write) without an error. fast-check generates the inputs; a failure prints the shrunk counterexample.
import { validateEvents } from '@pulsestream/core/event-schema';
import { type EventInsert, insertEvents } from '@pulsestream/db';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withDb } from '../helpers/db';
import { createIngestTenant } from '../helpers/ingest';

const hostileString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('x\u0000y', '\ud800', 'a\udfffb', '\ud83d\ude00', '\u0001', '__proto__', 'constructor', ''),
);
const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e308, -1e308, 5e-324, 2 ** 31, 2 ** 53 + 1, Number('12345678901234567890'), -0),
);
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** Mostly-valid events with one field at a time replaced by something hostile, so many pass the edge. */
const event = (now: number) =>
  fc
    .record({
      id: fc.option(fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/), { nil: undefined }),
      timestamp: fc.oneof(fc.integer({ min: now - 29 * 86_400_000, max: now + 86_000_000 }), fc.constant(undefined)),
      type: fc.constantFrom('api_call', 'error', 'custom'),
      source: fc.oneof(fc.stringMatching(/^[a-z]{1,12}$/), hostileString),
      endpoint: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 60 }), hostileString),
      method: fc.constantFrom(undefined, 'GET', 'post'),
      status: fc.oneof(fc.integer({ min: 100, max: 599 }), hostileNumber, fc.constant(undefined)),
      latencyMs: fc.oneof(fc.double({ min: 0, max: 3_600_000, noNaN: true }), hostileNumber, fc.constant(undefined)),
      properties: fc.oneof(fc.constant(undefined), fc.dictionary(hostileString, hostileValue, { maxKeys: 5 })),
    })
    .map((e) => JSON.parse(JSON.stringify(e)) as unknown);

describe('whatever the edge accepts, Postgres stores', () => {
  it('inserts every accepted event of 150 generated batches without an error', async () => {
    const t = await createIngestTenant();
    const now = Date.now();
    let accepted = 0;
    let seq = 0;
    await withDb(async (db) => {
      await fc.assert(
        fc.asyncProperty(fc.array(event(now), { minLength: 1, maxLength: 12 }), async (items) => {
          const result = validateEvents(items, {
            now,
            retentionDays: 30,
            generateId: () => `gen-${seq++}`,
          });
          const rows: EventInsert[] = result.valid.map((e) => ({
            ...e,
            id: `${e.id}-${seq++}`.slice(0, 64),
            tenantId: t.tenantId,
            receivedAt: now,
          }));
          accepted += rows.length;
          await insertEvents(db, rows);
        }),
        { numRuns: 150 },
      );
    });
    // The generator must exercise the database, not only the refusals.
    expect(accepted).toBeGreaterThan(100);
  });
});

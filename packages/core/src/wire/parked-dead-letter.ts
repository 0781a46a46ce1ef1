/**
 * A dead letter parked in R2 while the database was down: the JSON of the letter the dead-letter consumer
 * could not store (`pending/<key>.json`), read back by the cron's drain. It is a wire format (written by one
 * version of the Worker, read by a later one), so its shape is checked here, apart from the database's row type,
 * before anything is stored: an object that is not such a letter can never become one and is set aside.
 */
export interface ParkedDeadLetter {
  /** The letter's key (`dead_letters.message_id`). */
  messageId: string;
  tenantId: string | null;
  queue: string;
  body: unknown;
  reason: string;
  attempts: number;
}

export type ParkedDeadLetterParse = { ok: true; letter: ParkedDeadLetter } | { ok: false; problem: string };

/**
 * Reads a parked object's text as a dead letter. Lenient only where the writer is: a missing `body` or
 * `tenantId` was `undefined` when it was stringified (stored as null, as `storeDeadLetters` would); every other
 * field must be there with its type. Never throws.
 */
export function parseParkedDeadLetter(text: string): ParkedDeadLetterParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: `not a dead letter: JSON ${describe(value).replace(/^an? /, '')}` };
  }
  const v = value as Record<string, unknown>;
  const wrong = (field: string, expected: string) => ({
    ok: false as const,
    problem: `not a dead letter: ${field} is ${describe(v[field])}, expected ${expected}`,
  });
  if (typeof v.messageId !== 'string' || v.messageId === '') return wrong('messageId', 'a non-empty string');
  if (typeof v.queue !== 'string') return wrong('queue', 'a string');
  if (typeof v.reason !== 'string') return wrong('reason', 'a string');
  if (typeof v.attempts !== 'number') return wrong('attempts', 'a number');
  if (v.tenantId !== undefined && v.tenantId !== null && typeof v.tenantId !== 'string') {
    return wrong('tenantId', 'a string or null');
  }
  return {
    ok: true,
    letter: {
      messageId: v.messageId,
      tenantId: typeof v.tenantId === 'string' ? v.tenantId : null,
      queue: v.queue,
      body: Object.hasOwn(v, 'body') ? v.body : null,
      reason: v.reason,
      attempts: v.attempts,
    },
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

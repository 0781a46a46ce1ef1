import type { PulseStreamEvent } from '@pulsestream/sdk';
import { describe, expectTypeOf, it } from 'vitest';
import type { EventInput } from './event-schema';

/**
 * The SDK writes its event type out by hand so that the published package depends on nothing of the server's.
 * This keeps the two equal: the type check (`npm run typecheck`) fails on any difference, and so does this test.
 */
describe('the SDK event type', () => {
  it('is exactly what the server schema accepts', () => {
    expectTypeOf<PulseStreamEvent>().toEqualTypeOf<EventInput>();
  });
});

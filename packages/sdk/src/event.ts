/**
 * One event as `POST /v1/events` accepts it. Written out here, not imported, so that the published SDK has no
 * dependency on the server's packages; `packages/core/src/sdk-event-type.unit.test.ts` fails the type check
 * if it ever differs from the server's schema (`EventInput` in `@pulsestream/core/event-schema`).
 */
export interface PulseStreamEvent {
  /** 1-64 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"; the server assigns one when absent. */
  id?: string | null | undefined;
  /** ISO 8601 with a timezone, or epoch milliseconds; the server's receive time when absent. */
  timestamp?: string | number | null | undefined;
  type?: 'api_call' | 'error' | 'custom' | undefined;
  /** The provider or service called, e.g. `stripe` (1-128 characters). */
  source: string;
  endpoint?: string | null | undefined;
  method?: string | null | undefined;
  status?: number | null | undefined;
  latencyMs?: number | null | undefined;
  properties?: Record<string, unknown> | null | undefined;
}

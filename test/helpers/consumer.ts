import { createExecutionContext, env } from 'cloudflare:test';
import type { ConsumerContext } from '../../workers/consumers';
import type { QueuedEvent } from '../../workers/consumers/messages';
import { type Config, parseConfig } from '../../workers/lib/config';
import { createLogger } from '../../workers/lib/logger';

/** What a queue consumer is called with in the Worker, with bindings or settings replaced where a test needs it. */
export function consumerContext(
  envOverrides: Partial<Env> = {},
  configOverrides: Partial<Config> = {},
): ConsumerContext {
  return {
    env: { ...env, ...envOverrides },
    ctx: createExecutionContext(),
    config: { ...parseConfig(env), ...configOverrides },
    logger: createLogger('error'),
  };
}

/** An events-queue event as the edge enqueues it, a minute old. */
export function queuedEvent(id: string, over: Partial<QueuedEvent> = {}): QueuedEvent {
  return {
    id,
    timestamp: Date.now() - 60_000,
    receivedAt: Date.now(),
    type: 'api_call',
    source: 'stripe',
    endpoint: 'POST /v1/charges',
    method: 'POST',
    status: 200,
    latencyMs: 12,
    country: null,
    region: null,
    city: null,
    colo: null,
    asn: null,
    properties: null,
    ...over,
  };
}

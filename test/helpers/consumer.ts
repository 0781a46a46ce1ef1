import { createExecutionContext, env } from 'cloudflare:test';
import type { ConsumerContext } from '../../workers/consumers';
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

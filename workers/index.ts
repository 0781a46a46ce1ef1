import { handleQueue, type QueueMessage } from './consumers';
import { handleScheduled } from './cron';
import { newApp } from './lib/app';
import { parseConfig } from './lib/config';
import { createLogger } from './lib/logger';
import { OPENAPI_DOCUMENT } from './lib/openapi';
import { registerRoutes } from './routes';

export { LoginThrottle } from './objects/login-throttle';
export { TenantGate } from './objects/tenant-gate';
export { TenantHub } from './objects/tenant-hub';

const app = newApp();
registerRoutes(app);

app.doc31('/openapi.json', OPENAPI_DOCUMENT);

export { app };

export default {
  fetch: app.fetch,
  async queue(batch, env, ctx) {
    const config = parseConfig(env);
    await handleQueue(batch, { env, ctx, config, logger: createLogger(config.LOG_LEVEL, { queue: batch.queue }) });
  },
  async scheduled(controller, env, ctx) {
    const config = parseConfig(env);
    await handleScheduled(controller, {
      env,
      ctx,
      config,
      logger: createLogger(config.LOG_LEVEL, { cron: controller.cron }),
    });
  },
} satisfies ExportedHandler<Env, QueueMessage>;

import type { ConsumerContext } from '../consumers';

/** Cron jobs, dispatched by the trigger expression from wrangler.toml. */
export async function handleScheduled(controller: ScheduledController, cc: ConsumerContext): Promise<void> {
  cc.logger.info('cron', { cron: controller.cron, scheduledTime: controller.scheduledTime });
}

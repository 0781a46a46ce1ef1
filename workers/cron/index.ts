import type { ConsumerContext } from '../consumers';
import { retention, selfHealingRedrive } from './pipeline';

/** Cron jobs, dispatched by the trigger expression from wrangler.toml. */
export async function handleScheduled(controller: ScheduledController, cc: ConsumerContext): Promise<void> {
  cc.logger.info('cron', { cron: controller.cron, scheduledTime: controller.scheduledTime });
  switch (controller.cron) {
    case '* * * * *':
      await selfHealingRedrive(cc);
      break;
    case '17 3 * * *':
      await retention(cc, new Date(controller.scheduledTime));
      break;
  }
}

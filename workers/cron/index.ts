import { describeFailure } from '@pulsestream/db';
import type { ConsumerContext } from '../consumers';
import { retention, selfHealingRedrive } from './pipeline';
import { enqueueDueReports, expireReports, failStuck, requeueOwedNotices } from './reports';

/** Cron jobs, dispatched by the trigger expression from wrangler.toml. */
export async function handleScheduled(controller: ScheduledController, cc: ConsumerContext): Promise<void> {
  cc.logger.info('cron', { cron: controller.cron, scheduledTime: controller.scheduledTime });
  switch (controller.cron) {
    case '* * * * *':
      await runAll(cc, [
        () => selfHealingRedrive(cc),
        () => enqueueDueReports(cc, new Date(controller.scheduledTime)),
        () => failStuck(cc, new Date(controller.scheduledTime)),
        () => requeueOwedNotices(cc, new Date(controller.scheduledTime)),
      ]);
      break;
    case '17 3 * * *':
      await runAll(cc, [
        () => retention(cc, new Date(controller.scheduledTime)),
        () => expireReports(cc, new Date(controller.scheduledTime)),
      ]);
      break;
  }
}

/** Runs every job even when one fails, then fails the invocation if any did (so the platform shows it). */
async function runAll(cc: ConsumerContext, jobs: (() => Promise<unknown>)[]): Promise<void> {
  const results = await Promise.allSettled(jobs.map((job) => job()));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  for (const f of failures) {
    // The driver's reason, not the SQL text drizzle wraps a failed query in.
    cc.logger.error('cron: job failed', { error: describeFailure(f.reason) });
  }
  if (failures.length > 0) throw new Error(`${failures.length} cron job(s) failed`);
}

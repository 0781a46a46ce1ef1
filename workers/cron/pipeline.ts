import { applyRetention, describeFailure, pingDatabase } from '@pulsestream/db';
import type { ConsumerContext } from '../consumers';
import { drainParkedDeadLetters, redriveDeadLetters } from '../lib/pipeline';
import { createServices } from '../lib/services';

/** Automatic redrive gives up on a letter after this many redrives: it is poison, not an outage. */
export const AUTO_REDRIVE_MAX = 3;

/**
 * Self-healing pipeline, every minute: when the database answers, dead letters parked in R2 during the
 * outage are moved into `dead_letters`, and pending dead letters are re-enqueued. While the database is
 * down this does nothing (the ping fails fast) and the next run tries again.
 */
export async function selfHealingRedrive(cc: ConsumerContext): Promise<{ drained: number; redriven: number }> {
  const services = createServices(cc.config, cc.logger);
  try {
    try {
      await pingDatabase(services.db());
    } catch (err) {
      cc.logger.warn('cron: database down, redrive skipped', { error: describeFailure(err) });
      return { drained: 0, redriven: 0 };
    }
    // The drain never stops the redrive: a failure there is logged and the next run tries again.
    const drain = await drainParkedDeadLetters(services, cc.env.DEAD_LETTER_BUCKET).catch((err: unknown) => {
      cc.logger.error('cron: draining parked dead letters failed', { error: describeFailure(err) });
      return null;
    });
    const drained = drain?.moved ?? 0;
    const { redriven, failed } = await redriveDeadLetters(services, cc.env, {
      tenantId: null,
      maxRedrives: AUTO_REDRIVE_MAX,
    });
    const drainFailed = drain?.failed ?? 0;
    const quarantined = drain?.quarantined ?? 0;
    if (drained + drainFailed + quarantined + redriven + failed > 0) {
      cc.logger.info('cron: self-healing redrive', {
        drained,
        drainFailed,
        quarantined,
        drainStoppedEarly: drain?.stoppedEarly ?? false,
        redriven,
        failed,
      });
    }
    return { drained, redriven };
  } finally {
    await services.close().catch(() => undefined);
  }
}

/** Daily: events past each tenant's retention (drop_chunks on a hypertable), rollups past 13 months. */
export async function retention(cc: ConsumerContext, now = new Date()): Promise<void> {
  const services = createServices(cc.config, cc.logger);
  try {
    const result = await applyRetention(services.db(), now);
    cc.logger.info('cron: retention', { ...result });
  } finally {
    await services.close().catch(() => undefined);
  }
}

import { MAX_DELIVERY_ATTEMPTS, retryDelaySeconds } from '@pulsestream/core/notifications/delivery';
import type { NotifyMessage } from '@pulsestream/core/notifications/message';
import { ensureDelivery, getChannelForDelivery, recordDeliveryAttempt } from '@pulsestream/db';
import { attemptDelivery, deliveryDeps } from '../lib/notify';
import { createServices } from '../lib/services';
import type { ConsumerContext } from '.';
import type { DeadLetterMessage } from './messages';

/**
 * The notifications consumer: one attempt per message per delivery. Every attempt is recorded in
 * `notification_deliveries`/`notification_attempts`; 2xx succeeds, 4xx and refused targets are final, 5xx and
 * network errors are retried with backoff (1, 2, 4 … s) until {@link MAX_DELIVERY_ATTEMPTS}, then the message goes
 * to the dead-letter queue. A redelivered message whose delivery already finished is acknowledged without sending.
 * The attempt count comes from the database, not the queue, so a redrive does not restart the budget.
 */
export async function handleNotifyMessages(
  messages: Message<NotifyMessage>[],
  queue: string,
  cc: ConsumerContext,
): Promise<void> {
  const services = createServices(cc.config, cc.logger);
  const deps = deliveryDeps(cc.config);
  try {
    await Promise.all(
      messages.map(async (message) => {
        const m = message.body;
        try {
          const db = services.db();
          const delivery = await ensureDelivery(db, {
            id: m.deliveryId,
            tenantId: m.tenantId,
            channelId: m.channelId,
            alertId: m.alertId ?? null,
            reportId: m.reportId ?? null,
            event: m.event,
          });
          if (delivery.status !== 'pending') {
            message.ack();
            return;
          }
          const channel = await getChannelForDelivery(db, m.tenantId, m.channelId);
          if (!channel) {
            await recordDeliveryAttempt(db, {
              deliveryId: m.deliveryId,
              statusCode: null,
              ok: false,
              error: 'channel no longer exists',
              durationMs: 0,
              status: 'failed',
            });
            message.ack();
            return;
          }
          const outcome = await attemptDelivery(channel, m, deps);
          const attempt = delivery.attempts + 1;
          const exhausted = outcome.kind === 'retry' && attempt >= MAX_DELIVERY_ATTEMPTS;
          await recordDeliveryAttempt(db, {
            deliveryId: m.deliveryId,
            statusCode: outcome.status,
            ok: outcome.kind === 'success',
            error: outcome.kind === 'success' ? null : outcome.error,
            durationMs: outcome.durationMs,
            status:
              outcome.kind === 'success'
                ? 'succeeded'
                : outcome.kind === 'final'
                  ? 'failed'
                  : exhausted
                    ? 'dead'
                    : 'pending',
          });
          if (outcome.kind !== 'retry') {
            message.ack();
          } else if (exhausted) {
            const letter: DeadLetterMessage = {
              type: 'dead_letter',
              queue,
              messageId: m.deliveryId,
              tenantId: m.tenantId,
              body: m,
              reason: `notification delivery exhausted after ${attempt} attempts: ${outcome.error}`.slice(0, 1000),
              attempts: attempt,
            };
            await cc.env.DEAD_LETTERS.send(letter, { contentType: 'json' });
            message.ack();
          } else {
            message.retry({ delaySeconds: retryDelaySeconds(attempt) });
          }
        } catch (err) {
          // Our own failure (database, queue): retry without counting it against the receiver.
          cc.logger.error('notifications: delivery bookkeeping failed', {
            deliveryId: m.deliveryId,
            error: (err as Error).message,
          });
          message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
        }
      }),
    );
  } finally {
    await services
      .close()
      .catch((err: Error) => cc.logger.warn('notifications: db close failed', { error: err.message }));
  }
}

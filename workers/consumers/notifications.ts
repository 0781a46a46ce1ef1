import { MAX_DELIVERY_ATTEMPTS, retryDelaySeconds } from '@pulsestream/core/notifications/delivery';
import { isDeliveryId, type NotifyMessage } from '@pulsestream/core/notifications/message';
import { isUuid } from '@pulsestream/core/uuid';
import { deadLetterKeyOf } from '@pulsestream/core/wire/dead-letter-key';
import {
  describeFailure,
  ensureDelivery,
  getChannelForDelivery,
  markDeadLetterSent,
  recordDeliveryAttempt,
  reopenDelivery,
} from '@pulsestream/db';
import { attemptDelivery, deliveryDeps } from '../lib/notify';
import { createServices } from '../lib/services';
import type { ConsumerContext } from '.';
import type { DeadLetterMessage } from './messages';

/**
 * Ids the database can record (a delivery's alert id is a uuid column): anything else fails the same way on every retry, so it goes to the dead letters at once.
 */
function isWellFormed(m: NotifyMessage): boolean {
  const alertId: unknown = m.alertId;
  return (
    isDeliveryId(m.deliveryId) &&
    isUuid(m.channelId) &&
    isUuid(m.tenantId) &&
    typeof m.event === 'string' &&
    (alertId === undefined || alertId === null || isUuid(alertId))
  );
}

/** The dead letter of an exhausted delivery: the same text whether it is sent at once or by a retry. */
function exhaustedReason(attempts: number, error: string | null): string {
  return `notification delivery exhausted after ${attempts} attempts: ${error ?? 'unknown error'}`;
}

/** Sends the message's dead letter; the caller acks once everything it owes is recorded. */
async function sendDeadLetter(
  message: Message<NotifyMessage>,
  queue: string,
  reason: string,
  attempts: number,
  cc: ConsumerContext,
): Promise<void> {
  const m = message.body;
  const letter: DeadLetterMessage = {
    type: 'dead_letter',
    queue,
    // Without a usable delivery id, the queue message id keeps the letter its own.
    messageId: deadLetterKeyOf(m) ?? `notify-message:${message.id}`,
    tenantId: isUuid(m.tenantId) ? m.tenantId : null,
    body: m,
    reason: reason.slice(0, 1000),
    attempts,
  };
  await cc.env.DEAD_LETTERS.send(letter, { contentType: 'json' });
}

/**
 * The notifications consumer: one attempt per message per delivery. Every attempt is recorded in
 * `notification_deliveries`/`notification_attempts`; 2xx succeeds, 4xx and refused targets are final, 5xx and
 * network errors are retried with backoff (1, 2, 4 … s) until {@link MAX_DELIVERY_ATTEMPTS}, then the message goes
 * to the dead-letter queue. A redelivered message whose delivery succeeded or failed for good is acknowledged
 * without sending. The attempt count comes from the database, not the queue, so a redrive does not restart the
 * budget: a redriven dead delivery gets exactly one more attempt (as a webhook "resend" does), and goes back to
 * the dead letters, re-armed, if the receiver is still down. A delivery recorded dead whose letter could not be
 * sent (`dead_letter_pending`) is not attempted again when the queue retries its message: only the letter is.
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
          if (!isWellFormed(m)) {
            // Cannot be recorded or delivered as it is: park it with the dead letters rather than retry it forever.
            // Inside the try: a failed send is retried like any failure of ours, never rejecting the whole batch
            // (which closed the database under its batch-mates and had the platform resend delivered messages).
            await sendDeadLetter(message, queue, 'malformed notify message (ids or event)', 0, cc);
            message.ack();
            return;
          }
          const db = services.db();
          const delivery = await ensureDelivery(db, {
            id: m.deliveryId,
            tenantId: m.tenantId,
            channelId: m.channelId,
            alertId: m.alertId ?? null,
            reportId: m.reportId ?? null,
            event: m.event,
          });
          if (delivery.status === 'dead' && delivery.deadLetterPending) {
            // Recorded dead, but its letter was never sent (the send failed, so the queue retried the message
            // that killed it): the receiver has had all its attempts; only the letter is owed.
            await sendDeadLetter(
              message,
              queue,
              exhaustedReason(delivery.attempts, delivery.lastError),
              delivery.attempts,
              cc,
            );
            await markDeadLetterSent(db, m.deliveryId);
            message.ack();
            return;
          }
          // A dead delivery whose letter went out comes back only through a redrive of that letter: one more
          // attempt.
          if (delivery.status === 'dead') await reopenDelivery(db, m.deliveryId);
          else if (delivery.status !== 'pending') {
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
            // If the send or the mark fails, the retry finds the letter still owed and sends only the letter.
            await sendDeadLetter(message, queue, exhaustedReason(attempt, outcome.error), attempt, cc);
            await markDeadLetterSent(db, m.deliveryId);
            message.ack();
          } else {
            message.retry({ delaySeconds: retryDelaySeconds(attempt) });
          }
        } catch (err) {
          // Our own failure (database, queue): retry without counting it against the receiver.
          cc.logger.error('notifications: delivery bookkeeping failed', {
            deliveryId: m.deliveryId,
            error: describeFailure(err),
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

import { isNotifyMessage, type NotifyMessage } from '@pulsestream/core/notifications/message';
import { isReportJobMessage, type ReportJobMessage } from '@pulsestream/core/reports';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { handleDeadLetterMessages } from './dead-letters';
import { handleEventsMessages } from './events';
import { type EventsMessage, isEventsMessage } from './messages';
import { handleNotifyMessages } from './notifications';
import { handleReportMessages } from './reports';

/** Every queue message body carries a `type`; consumers dispatch on it, not on queue names. */
export type QueueMessage = { type: string; [key: string]: unknown };

export interface ConsumerContext {
  env: Env;
  ctx: ExecutionContext;
  config: Config;
  logger: Logger;
}

/**
 * Dispatches a batch by message type. The dead-letter queue is the one place the queue matters: whatever
 * lands there is a dead letter, whatever its type. Unknown types are retried, then dead-lettered, never dropped.
 */
export async function handleQueue(batch: MessageBatch<QueueMessage>, cc: ConsumerContext): Promise<void> {
  if (batch.queue.startsWith('pulsestream-dead-letters')) {
    await handleDeadLetterMessages([...batch.messages], cc);
    return;
  }
  const events: Message<EventsMessage>[] = [];
  const reports: Message<ReportJobMessage>[] = [];
  const notifications: Message<NotifyMessage>[] = [];
  for (const message of batch.messages) {
    if (isNotifyMessage(message.body)) {
      notifications.push(message as unknown as Message<NotifyMessage>);
      continue;
    }
    if (isEventsMessage(message.body)) {
      events.push(message as unknown as Message<EventsMessage>);
      continue;
    }
    if (isReportJobMessage(message.body)) {
      reports.push(message as unknown as Message<ReportJobMessage>);
      continue;
    }
    cc.logger.error('queue: no handler for message type', { queue: batch.queue, type: message.body?.type });
    message.retry({ delaySeconds: 60 });
  }
  if (events.length > 0) await handleEventsMessages(events, batch.queue, cc);
  if (reports.length > 0) await handleReportMessages(reports, batch.queue, cc);
  if (notifications.length > 0) await handleNotifyMessages(notifications, batch.queue, cc);
}

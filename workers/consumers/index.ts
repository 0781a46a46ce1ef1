import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';

/** Every queue message body carries a `type`; consumers dispatch on it, not on queue names. */
export type QueueMessage = { type: string; [key: string]: unknown };

export interface ConsumerContext {
  env: Env;
  ctx: ExecutionContext;
  config: Config;
  logger: Logger;
}

/** Dispatches a batch by message type. Unknown types are retried, then dead-lettered, never dropped. */
export async function handleQueue(batch: MessageBatch<QueueMessage>, cc: ConsumerContext): Promise<void> {
  for (const message of batch.messages) {
    cc.logger.error('queue: no handler for message type', { queue: batch.queue, type: message.body?.type });
    message.retry({ delaySeconds: 60 });
  }
}

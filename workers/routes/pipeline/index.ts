import type { App } from '../../lib/app';
import { registerListDeadLetters } from './dead-letters';
import { registerRedrive } from './redrive';

/** `/v1/pipeline/*`: dead letters and redrive (admin+). */
export function registerPipelineRoutes(app: App): void {
  registerListDeadLetters(app);
  registerRedrive(app);
}

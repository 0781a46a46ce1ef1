import type { App } from '../../lib/app';
import { registerLiveConnect } from './connect';
import { registerLiveTicket } from './ticket';

/** Live view: tickets and the WebSocket upgrade. */
export function registerLive(app: App): void {
  registerLiveTicket(app);
  registerLiveConnect(app);
}

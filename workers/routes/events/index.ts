import type { App } from '../../lib/app';
import { registerIngestEvents } from './ingest';

/** `/v1/events`: ingestion (`POST`); the query side (`GET`, list.ts) mounts here too. */
export function registerEventRoutes(app: App): void {
  registerIngestEvents(app);
}

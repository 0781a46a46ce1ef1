import { DurableObject } from 'cloudflare:workers';

/** An event as the pipeline forwards it to the live view, after it was stored. */
export interface LiveEvent {
  id: string;
  /** epoch ms */
  timestamp: number;
  type: string;
  source: string;
  endpoint: string | null;
  method: string | null;
  status: number | null;
  latencyMs: number | null;
  country: string | null;
}

/** Per-tenant live state: hibernating WebSockets, rolling windows, recent events ring. */
export class TenantHub extends DurableObject<Env> {
  /**
   * Called by the events consumer after each database write with the rows actually inserted.
   * Until the live view lands this accepts and discards them; the consumer depends only on this signature.
   */
  async ingest(events: LiveEvent[]): Promise<{ received: number }> {
    return { received: events.length };
  }
}

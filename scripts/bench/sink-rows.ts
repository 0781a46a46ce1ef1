// The sink benchmark's rows (scripts/bench/sink.ts), shared with its server-side profile (sink-profile.ts).
import type { EventInsert } from '@pulsestream/db';

export const TENANT = '00000000-0000-4000-8000-00000000be01';

const SOURCES = ['stripe', 'openai', 'twilio', 'sendgrid', 'github'];
const ENDPOINTS = Array.from({ length: 20 }, (_, i) => `POST /v1/resource-${i}`);
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', 'CA', 'AU', 'NL'];

/**
 * Rows as a busy tenant's live traffic produces them: one tenant (a consumer batch groups by tenant), event times
 * advancing at 5,000 events per second as the queue delivers them, 5 sources × 20 endpoints × 3 status classes ×
 * 10 countries (up to 3,000 rollup rows per minute), varied latencies.
 */
export function makeRows(n: number, runId: string): EventInsert[] {
  const now = Date.now() - Math.ceil(n / 5) - 60_000;
  return Array.from({ length: n }, (_, i) => ({
    tenantId: TENANT,
    id: `${runId}-${i}`,
    timestamp: now + Math.floor(i / 5),
    receivedAt: now,
    type: i % 97 === 0 ? 'error' : 'api_call',
    source: SOURCES[i % SOURCES.length] ?? 'stripe',
    endpoint: ENDPOINTS[(i * 7) % ENDPOINTS.length] ?? null,
    method: 'POST',
    status: i % 41 === 0 ? 503 : i % 13 === 0 ? 404 : 200,
    latencyMs: 5 + ((i * 7919) % 2000) / 3,
    country: COUNTRIES[(i * 3) % COUNTRIES.length] ?? null,
    region: null,
    city: null,
    colo: 'FRA',
    asn: 3320,
    properties: { customer: `cus_${i % 5000}`, attempt: 1 },
  }));
}

// Synthetic API traffic for `npm run demo`: several providers and endpoints, each with its own log-normal latency,
// a trickle of 4xx, and now and then an error burst on one provider (5xx and slow answers for a while), so a
// new user sees every part of the dashboard move. Deterministic for a given seed, so it can be tested.

export interface DemoEvent {
  source: string;
  endpoint: string;
  method: string;
  status: number;
  latencyMs: number;
  timestamp: number;
  properties: { demo: true; region: string };
}

interface Endpoint {
  source: string;
  method: string;
  path: string;
  /** relative share of traffic */
  weight: number;
  /** median latency in ms */
  medianMs: number;
}

export const DEMO_ENDPOINTS: readonly Endpoint[] = [
  { source: 'stripe', method: 'POST', path: '/v1/charges', weight: 8, medianMs: 320 },
  { source: 'stripe', method: 'GET', path: '/v1/customers/{id}', weight: 5, medianMs: 140 },
  { source: 'twilio', method: 'POST', path: '/2010-04-01/Accounts/{sid}/Messages.json', weight: 4, medianMs: 260 },
  { source: 'openai', method: 'POST', path: '/v1/chat/completions', weight: 6, medianMs: 1800 },
  { source: 'openai', method: 'POST', path: '/v1/embeddings', weight: 3, medianMs: 210 },
  { source: 'sendgrid', method: 'POST', path: '/v3/mail/send', weight: 2, medianMs: 180 },
  { source: 'billing-api', method: 'GET', path: '/invoices', weight: 6, medianMs: 45 },
];

const REGIONS = ['eu-west', 'us-east', 'ap-south'] as const;

/** Mulberry32: a small seeded PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BurstPlan {
  /** a burst starts every `everyMs` … */
  everyMs: number;
  /** … and lasts this long */
  lastsMs: number;
}

export const DEFAULT_BURST: BurstPlan = { everyMs: 120_000, lastsMs: 20_000 };

/** The provider in trouble at `t`, if any: bursts rotate through the sources. */
export function burstingSource(t: number, plan: BurstPlan = DEFAULT_BURST): string | null {
  const sources = [...new Set(DEMO_ENDPOINTS.map((e) => e.source))];
  const cycle = Math.floor(t / plan.everyMs);
  const into = t - cycle * plan.everyMs;
  if (into >= plan.lastsMs) return null;
  return sources[cycle % sources.length] ?? null;
}

/** Makes `count` events stamped at `t`. */
export function demoBatch(
  random: () => number,
  t: number,
  count: number,
  plan: BurstPlan = DEFAULT_BURST,
): DemoEvent[] {
  const total = DEMO_ENDPOINTS.reduce((sum, e) => sum + e.weight, 0);
  const troubled = burstingSource(t, plan);
  const events: DemoEvent[] = [];
  for (let i = 0; i < count; i++) {
    let pick = random() * total;
    let endpoint = DEMO_ENDPOINTS[0] as Endpoint;
    for (const e of DEMO_ENDPOINTS) {
      pick -= e.weight;
      if (pick < 0) {
        endpoint = e;
        break;
      }
    }
    const inBurst = endpoint.source === troubled;
    // Log-normal around the median (sigma 0.5); three times slower during a burst.
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const latency = endpoint.medianMs * Math.exp(0.5 * normal) * (inBurst ? 3 : 1);
    const r = random();
    const status = inBurst ? (r < 0.4 ? 503 : 200) : r < 0.005 ? 500 : r < 0.03 ? 429 : r < 0.06 ? 404 : 200;
    events.push({
      source: endpoint.source,
      endpoint: `${endpoint.method} ${endpoint.path}`,
      method: endpoint.method,
      status,
      latencyMs: Math.round(latency * 10) / 10,
      timestamp: t,
      properties: { demo: true, region: REGIONS[Math.floor(random() * REGIONS.length)] ?? 'eu-west' },
    });
  }
  return events;
}

import { env } from 'cloudflare:test';
import type { IncidentFacts } from '@pulsestream/core/anomaly/explanation';
import { promptFacts } from '@pulsestream/core/anomaly/explanation';
import { describe, expect, it } from 'vitest';
import { explainIncident, MemoryExplanationRateLimiter } from '../../workers/services/explain-incident';

/** The fake OpenAI server started by test/node/fake-openai.ts (its base URL, ending in /v1). */
const baseURL = (env as unknown as { FAKE_OPENAI_URL: string }).FAKE_OPENAI_URL;

interface Received {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}
async function received(): Promise<Received[]> {
  const res = await fetch(new URL('/__requests', baseURL));
  return (await res.json()) as Received[];
}

const RAW_SECRET = 'alice.secret@example.com';
const facts: IncidentFacts = {
  metric: 'error_rate',
  unit: '%',
  from: Date.UTC(2026, 10, 30, 0, 0),
  to: Date.UTC(2026, 10, 30, 1, 0),
  recent: [0.4, 0.5, 0.4, 7.5, 12.1],
  baseline: { median: 0.45, p95: 0.9 },
  score: 0.97,
  components: [
    { name: 'value', value: 0.97 },
    { name: 'shift', value: 0.4 },
  ],
  contributors: [{ kind: 'endpoint', name: 'POST /pay', share: 0.9, current: 11, baseline: 0.3 }],
  similar: [{ id: 'inc-7', time: Date.UTC(2026, 9, 1), label: 'payment provider outage', similarity: 0.91 }],
};
/** Facts as a careless caller might pass them, with raw events attached; none of this may leave. */
const factsWithRawEvents = {
  ...facts,
  rawEvents: [{ properties: { email: RAW_SECRET, card: '4242 4242 4242 4242' } }],
  contributors: [{ ...facts.contributors[0], properties: { email: RAW_SECRET } }],
} as unknown as IncidentFacts;

const tenantId = '0b0b0b0b-0000-4000-8000-0000000000c1';

describe('explainIncident with the real openai SDK against a local fake server', () => {
  it('asks the model with aggregates only and returns its structured explanation', async () => {
    const before = (await received()).length;
    const explanation = await explainIncident(factsWithRawEvents, {
      tenantId,
      model: { apiKey: 'sk-test-key', baseURL, model: 'fake-ok' },
      rateLimiter: new MemoryExplanationRateLimiter(),
    });
    expect(explanation).toEqual({
      summary: 'Error rate jumped on checkout.',
      likelyCause: 'A failing payment endpoint.',
      evidence: ['endpoint /pay carries 90% of the change'],
      source: 'model',
    });
    const requests = (await received()).slice(before);
    expect(requests.length).toBe(1);
    const request = requests[0] as Received;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.authorization).toBe('Bearer sk-test-key');
    // No raw event property anywhere in what was sent, and the user message is exactly the aggregate facts.
    expect(request.body).not.toContain(RAW_SECRET);
    expect(request.body).not.toContain('4242');
    expect(request.body).not.toContain('properties');
    const body = JSON.parse(request.body) as { model: string; messages: { role: string; content: string }[] };
    expect(body.model).toBe('fake-ok');
    const user = body.messages.find((m) => m.role === 'user');
    expect(JSON.parse(user?.content ?? 'null')).toEqual(promptFacts(facts));
  });

  it('falls back to the template when the server fails, answers garbage or is too slow', async () => {
    for (const [model, reason] of [
      ['fake-500', 'model-error'],
      ['fake-garbage', 'invalid-answer'],
      ['fake-slow', 'model-error'],
    ] as const) {
      const reasons: string[] = [];
      const before = (await received()).length;
      const explanation = await explainIncident(facts, {
        tenantId,
        model: { apiKey: 'sk-test-key', baseURL, model },
        rateLimiter: new MemoryExplanationRateLimiter(),
        timeoutMs: 500,
        onFallback: (r) => reasons.push(r),
      });
      expect(reasons).toEqual([reason]);
      expect(explanation.source).toBe('template');
      expect(explanation.summary).toBe('error_rate reached 12.1%, above its usual 0.45% (26.9× higher).');
      expect(explanation.likelyCause).toContain('endpoint POST /pay (90% of it)');
      expect(explanation.likelyCause).toContain('incident inc-7');
      // One attempt, no retries.
      expect((await received()).length - before).toBe(1);
    }
  });

  it('uses the template without a key, and once a tenant is over its rate limit, without calling the server', async () => {
    const limiter = new MemoryExplanationRateLimiter({ capacity: 1, refillPerSec: 0 });
    const deps = { tenantId, model: { apiKey: 'sk-test-key', baseURL, model: 'fake-ok' }, rateLimiter: limiter };
    const before = (await received()).length;
    expect((await explainIncident(facts, deps)).source).toBe('model');
    const reasons: string[] = [];
    expect((await explainIncident(facts, { ...deps, onFallback: (r) => reasons.push(r) })).source).toBe('template');
    // Another tenant has its own bucket.
    expect((await explainIncident(facts, { ...deps, tenantId: '0b0b0b0b-0000-4000-8000-0000000000c2' })).source).toBe(
      'model',
    );
    expect(
      (await explainIncident(facts, { tenantId, rateLimiter: limiter, onFallback: (r) => reasons.push(r) })).source,
    ).toBe('template');
    expect(reasons).toEqual(['rate-limited', 'no-model']);
    expect((await received()).length - before).toBe(2);
  });
});

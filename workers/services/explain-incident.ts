import {
  type Explanation,
  type IncidentFacts,
  parseModelExplanation,
  promptFacts,
  templateExplanation,
} from '@pulsestream/core/anomaly/explanation';
import { type BucketConfig, type BucketState, fullBucket, tryTake } from '@pulsestream/core/token-bucket';
import OpenAI from 'openai';

/** The model to ask; absent (no OPENAI_API_KEY) means the template is always used. */
export interface ModelConfig {
  apiKey: string;
  /** OPENAI_BASE_URL; the SDK's default when absent. */
  baseURL?: string | undefined;
  /** OPENAI_MODEL. */
  model?: string | undefined;
  /** For tests: the fetch the SDK uses. */
  fetch?: typeof fetch;
}

/** Decides whether a tenant may ask the model now (one call a take). */
export interface ExplanationRateLimiter {
  tryTake(tenantId: string, nowMs: number): boolean;
}

export interface ExplainDeps {
  tenantId: string;
  model?: ModelConfig | undefined;
  rateLimiter: ExplanationRateLimiter;
  /** Abort the model call after this long (default 8 s) and use the template. */
  timeoutMs?: number;
  now?: () => number;
  /** Told why the template was used, for logs (never the facts). */
  onFallback?: (reason: 'no-model' | 'rate-limited' | 'model-error' | 'invalid-answer') => void;
}

export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';
export const DEFAULT_EXPLAIN_TIMEOUT_MS = 8_000;

const SYSTEM_PROMPT = [
  'You explain monitoring incidents to on-call engineers.',
  'You are given aggregate facts only: a metric, its recent values and baseline, the sources and endpoints',
  'that contribute most to the change, and similar past incidents. Do not invent facts that are not given.',
  'Answer with a JSON object: {"summary": one sentence, "likelyCause": one or two sentences,',
  '"evidence": up to 5 short strings citing the given numbers}.',
].join(' ');

/** The model configuration from the Worker's config (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL). */
export function modelConfigFrom(config: {
  OPENAI_API_KEY?: string | undefined;
  OPENAI_BASE_URL?: string | undefined;
  OPENAI_MODEL?: string | undefined;
}): ModelConfig | undefined {
  if (!config.OPENAI_API_KEY) return undefined;
  return { apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL };
}

/**
 * Explains an incident. With a model configured and the tenant within its rate limit, asks the model for a
 * structured explanation of {@link promptFacts} (aggregates only, bounded) with a timeout and no retries;
 * without a model, when rate-limited, or on any failure or malformed answer, returns the deterministic
 * template built from the same facts. Never throws for a model problem.
 */
export async function explainIncident(facts: IncidentFacts, deps: ExplainDeps): Promise<Explanation> {
  const fallback = (reason: Parameters<NonNullable<ExplainDeps['onFallback']>>[0]) => {
    deps.onFallback?.(reason);
    return templateExplanation(facts);
  };
  if (!deps.model) return fallback('no-model');
  if (!deps.rateLimiter.tryTake(deps.tenantId, (deps.now ?? Date.now)())) return fallback('rate-limited');
  const client = new OpenAI({
    apiKey: deps.model.apiKey,
    ...(deps.model.baseURL ? { baseURL: deps.model.baseURL } : {}),
    ...(deps.model.fetch ? { fetch: deps.model.fetch } : {}),
    maxRetries: 0,
    timeout: deps.timeoutMs ?? DEFAULT_EXPLAIN_TIMEOUT_MS,
  });
  let content: string | null | undefined;
  try {
    const completion = await client.chat.completions.create({
      model: deps.model.model ?? DEFAULT_OPENAI_MODEL,
      temperature: 0.2,
      max_tokens: 400,
      response_format: { type: 'json_object' },
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: JSON.stringify(promptFacts(facts)) },
      ],
    });
    content = completion.choices[0]?.message?.content;
  } catch {
    return fallback('model-error');
  }
  const parsed = content ? parseModelExplanation(content) : null;
  return parsed ?? fallback('invalid-answer');
}

/**
 * A per-tenant token bucket held in memory (per isolate, or per Durable Object when the caller lives in
 * one): `capacity` calls at once, refilled at `refillPerSec`. Tenants are kept in a Map (client-derived keys).
 */
export class MemoryExplanationRateLimiter implements ExplanationRateLimiter {
  private readonly buckets = new Map<string, BucketState>();
  constructor(private readonly config: BucketConfig = { capacity: 5, refillPerSec: 1 / 60 }) {}

  tryTake(tenantId: string, nowMs: number): boolean {
    const state = this.buckets.get(tenantId) ?? fullBucket(this.config, nowMs);
    const result = tryTake(state, this.config, 1, nowMs);
    this.buckets.set(tenantId, result.state);
    return result.ok;
  }
}

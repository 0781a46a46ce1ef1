/**
 * Explanations of incidents as they open, from aggregates only: the rule metric's last hour of minute rollups
 * (recent values against the baseline), the sources and endpoints whose change accounts for most of it (grouped
 * rollups), and similar past incidents from the vector memory (the window's embedding is queried, then stored
 * with this incident's label so later incidents can cite it). No query here reads the events table, so no raw
 * event property can reach the facts, the model or a notification. With a model configured the explanation is
 * asked of it (timeout, per-tenant rate limit, no retries); otherwise, or on failure, it is the template.
 */
import type { AnomalyVerdict } from '@pulsestream/core/alerting/anomaly-rule';
import { rollupMinutePoints } from '@pulsestream/core/alerting/anomaly-rule';
import {
  contributorsOf,
  FACTS_MINUTES,
  incidentFactsOf,
  metricWindowOf,
  splitGroups,
} from '@pulsestream/core/alerting/incident-facts';
import type { AlertFilter, AlertMetric, AlertWindow } from '@pulsestream/core/alerting/rule';
import { embedMetricWindow } from '@pulsestream/core/anomaly/embedding';
import type { ContributorFact, Explanation, SimilarIncidentFact } from '@pulsestream/core/anomaly/explanation';
import { cleanName } from '@pulsestream/core/anomaly/explanation';
import { ExactVectorIndex, type VectorIndex } from '@pulsestream/core/anomaly/vector-index';
import { WINDOW_MINUTES } from '@pulsestream/core/rolling-windows';
import { type Database, PgVectorStore, queryTimeseries } from '@pulsestream/db';
import { VectorizeVectorIndex } from '../../lib/vectorize-index';
import { type ExplanationRateLimiter, explainIncident, type ModelConfig } from '../../services/explain-incident';
import { ruleSeriesRange } from './rule-series';

const MINUTE_MS = 60_000;
/** The model call is abandoned after this long (the alarm that drains the outbox waits for it). */
export const HUB_EXPLAIN_TIMEOUT_MS = 5_000;
/** Similar past incidents cited. */
const SIMILAR_K = 3;

/** What is known of the incident when it opens. */
export interface FiringIncident {
  tenantId: string;
  alertId: string;
  rule: { name: string; metric: AlertMetric; window: AlertWindow; filter: AlertFilter };
  /** Epoch ms of the transition to firing. */
  at: number;
  /** Anomaly rules: the verdict of the minute that fired. */
  anomaly?: Pick<AnomalyVerdict, 'at' | 'score' | 'components'> | undefined;
}

export interface ExplainContext {
  db: Database;
  vectors: VectorIndex;
  model: ModelConfig | undefined;
  rateLimiter: ExplanationRateLimiter;
  now: () => number;
  onFallback?: (reason: string) => void;
  onVectorError?: (err: unknown) => void;
}

/** The vector index of this deployment: Vectorize where bound (production), else the exact index in Postgres. */
export function vectorIndexOf(env: { VECTORIZE?: VectorizeIndex | undefined }, db: Database): VectorIndex {
  return env.VECTORIZE ? new VectorizeVectorIndex(env.VECTORIZE) : new ExactVectorIndex(new PgVectorStore(db));
}

/** A vector id (≤ 27 characters) for an incident. */
export function incidentVectorId(alertId: string): string {
  return `i${alertId.replaceAll('-', '').slice(0, 26)}`;
}

/** Builds the facts of a firing incident from rollups and the vector memory, and explains it. */
export async function explainFiring(incident: FiringIncident, ctx: ExplainContext): Promise<Explanation> {
  const { rule, tenantId } = incident;
  // The minute that fired: the completed minute an anomaly rule scored, or the current one of a threshold rule.
  const toMinute = Math.floor((incident.anomaly?.at ?? incident.at) / MINUTE_MS);
  const fromMinute = toMinute - FACTS_MINUTES + 1;
  const span = WINDOW_MINUTES[rule.window];
  const range = ruleSeriesRange(rule, tenantId, fromMinute, toMinute);
  const latency = rule.metric.startsWith('latency') ? (rule.metric as 'latency_p95') : null;
  const [cells, p95Cells, latencyCells, bySource, byEndpoint] = await Promise.all([
    queryTimeseries(ctx.db, { ...range, metric: 'count' }),
    queryTimeseries(ctx.db, { ...range, metric: 'latency_p95' }),
    latency && latency !== 'latency_p95' ? queryTimeseries(ctx.db, { ...range, metric: latency }) : null,
    rule.filter.source === undefined ? queryTimeseries(ctx.db, { ...range, metric: 'count', groupBy: 'source' }) : [],
    rule.filter.endpoint === undefined
      ? queryTimeseries(ctx.db, { ...range, metric: 'count', groupBy: 'endpoint' })
      : [],
  ]);
  const points = rollupMinutePoints({
    metric: rule.metric,
    windowMinutes: span,
    cells,
    latencyCells: latency ? (latencyCells ?? p95Cells) : [],
    fromMinute,
    toMinute,
  });
  // The rule's window at the incident against the minutes of the hour before it.
  const splitMs = (toMinute - span + 1) * MINUTE_MS;
  const baselineFrom = fromMinute * MINUTE_MS;
  const groups = (rows: typeof bySource) =>
    splitGroups(
      rows.filter((c) => c.t >= baselineFrom),
      splitMs,
    );
  const beforeMinutes = Math.max(1, FACTS_MINUTES - span);
  const contributors: ContributorFact[] = [
    ...contributorsOf({
      metric: rule.metric,
      kind: 'source',
      groups: groups(bySource),
      beforeMinutes,
      afterMinutes: span,
    }),
    ...contributorsOf({
      metric: rule.metric,
      kind: 'endpoint',
      groups: groups(byEndpoint),
      beforeMinutes,
      afterMinutes: span,
    }),
  ].sort((a, b) => b.share - a.share);

  const similar: SimilarIncidentFact[] = [];
  const window = metricWindowOf({ cells, p95Cells, fromMinute, toMinute });
  const vector = embedMetricWindow(window);
  const ownId = incidentVectorId(incident.alertId);
  try {
    const matches = await ctx.vectors.query(tenantId, vector, { topK: SIMILAR_K + 1, metric: rule.metric });
    for (const m of matches) {
      if (m.id === ownId || similar.length >= SIMILAR_K) continue;
      similar.push({ id: m.id, time: m.metadata.time, label: m.metadata.label, similarity: m.score });
    }
  } catch (err) {
    ctx.onVectorError?.(err);
  }

  const facts = incidentFactsOf({
    metric: rule.metric,
    points,
    score: incident.anomaly?.score ?? 0,
    components: incident.anomaly?.components ?? [],
    contributors,
    similar,
  });
  const explanation = await explainIncident(facts, {
    tenantId,
    model: ctx.model,
    rateLimiter: ctx.rateLimiter,
    timeoutMs: HUB_EXPLAIN_TIMEOUT_MS,
    now: ctx.now,
    ...(ctx.onFallback ? { onFallback: ctx.onFallback } : {}),
  });
  try {
    await ctx.vectors.upsert(tenantId, [
      {
        id: ownId,
        values: vector,
        metadata: {
          tenant: tenantId,
          metric: rule.metric,
          time: window.endMs,
          label: cleanName(`${rule.name}: ${explanation.summary}`),
        },
      },
    ]);
  } catch (err) {
    ctx.onVectorError?.(err);
  }
  return explanation;
}

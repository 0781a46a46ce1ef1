/**
 * Anomaly rules inside the tenant's hub: one {@link AnomalyTracker} (streaming detector + recent baseline) per
 * rule, scored once per completed minute on the hub's alert series, persisted to SQLite (table
 * `alert_anomaly`, one JSON row per rule, bounded by the detector options) and bootstrapped from the stored
 * minute rollups the first time the rule is loaded, so a rule created on a tenant with some traffic is live at
 * once. The decision (fire, resolve) is pure: see packages/core/src/alerting/anomaly-rule.ts.
 */
import {
  type AnomalyRuleData,
  AnomalyTracker,
  type AnomalyVerdict,
  rollupMinutePoints,
} from '@pulsestream/core/alerting/anomaly-rule';
import { metricValue } from '@pulsestream/core/alerting/evaluate';
import { type EvaluableRule, isAnomalyCondition } from '@pulsestream/core/alerting/rule';
import { WINDOW_MINUTES, type WindowStats } from '@pulsestream/core/rolling-windows';
import { type Database, queryTimeseries } from '@pulsestream/db';
import { ruleSeriesRange } from './rule-series';

const MINUTE_MS = 60_000;
/** Minutes of stored rollups a new anomaly rule's detector learns from (as dynamic rules' warm-up). */
export const ANOMALY_BOOTSTRAP_MINUTES = 6 * 60;
/**
 * A tracker is written to SQLite every this many scored minutes (and when learnt from rollups), not every
 * minute: its JSON is ~170 kB at full history. A hub restarted in between restores the older state and
 * re-scores the missed minutes from its own series (checkpointed every alarm), so nothing is lost.
 */
export const ANOMALY_PERSIST_EVERY_MINUTES = 10;
/** Completed minutes caught up from the hub's own series after a pause (it holds the last hour). */
const CATCH_UP_MINUTES = 59;

type AnomalyRule = EvaluableRule & { key: string };

export class HubAnomalies {
  private readonly trackers = new Map<string, { key: string; tracker: AnomalyTracker }>();
  private readonly verdicts = new Map<string, AnomalyVerdict>();
  /** Rules scored from an empty tracker (their state was missing or unreadable): the next reload relearns them. */
  private readonly unlearnt = new Set<string>();

  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(
      'CREATE TABLE IF NOT EXISTS alert_anomaly (rule_id TEXT PRIMARY KEY, rule_key TEXT NOT NULL, data TEXT NOT NULL)',
    );
  }

  /** Loads the trackers of rules whose condition key is unchanged; an unreadable one is relearnt. */
  restore(rules: ReadonlyMap<string, AnomalyRule>): void {
    for (const row of this.sql.exec<{ rule_id: string; rule_key: string; data: string }>(
      'SELECT rule_id, rule_key, data FROM alert_anomaly',
    )) {
      const rule = rules.get(row.rule_id);
      if (!rule || rule.key !== row.rule_key) continue;
      try {
        this.trackers.set(row.rule_id, {
          key: row.rule_key,
          tracker: AnomalyTracker.fromJSON(JSON.parse(row.data) as AnomalyRuleData),
        });
      } catch {
        // A state written by another detector version: relearnt from rollups at the next reload.
      }
    }
  }

  /** Drops the trackers in memory and loads them again from SQLite (after a write that failed; see restore). */
  reload(rules: ReadonlyMap<string, AnomalyRule>): void {
    this.trackers.clear();
    this.restore(rules);
  }

  /** True when the rule has a tracker for its current condition that learnt from history. */
  has(rule: AnomalyRule): boolean {
    return this.trackers.get(rule.id)?.key === rule.key && !this.unlearnt.has(rule.id);
  }

  /**
   * Learns the recent history of anomaly rules that have no tracker for their condition from the tenant's
   * minute rollups (the last {@link ANOMALY_BOOTSTRAP_MINUTES}, up to the last completed minute). Nothing
   * fires from history: the state machine only sees minutes scored live.
   */
  async bootstrap(db: Database, tenantId: string, rules: readonly AnomalyRule[], now: number): Promise<string[]> {
    const lastMinute = Math.floor(now / MINUTE_MS) - 1;
    const learnt: string[] = [];
    for (const rule of rules) {
      if (!isAnomalyCondition(rule.condition) || this.has(rule)) continue;
      const span = WINDOW_MINUTES[rule.window];
      const fromMinute = lastMinute - ANOMALY_BOOTSTRAP_MINUTES + 1;
      const range = ruleSeriesRange(rule, tenantId, fromMinute, lastMinute);
      const latency = rule.metric.startsWith('latency') ? (rule.metric as 'latency_p50') : null;
      const [cells, latencyCells] = await Promise.all([
        queryTimeseries(db, { ...range, metric: 'count' }),
        latency ? queryTimeseries(db, { ...range, metric: latency }) : Promise.resolve([]),
      ]);
      const tracker = AnomalyTracker.create();
      const sensitivity = rule.condition.anomaly.sensitivity;
      for (const p of rollupMinutePoints({
        metric: rule.metric,
        windowMinutes: span,
        cells,
        latencyCells,
        fromMinute,
        toMinute: lastMinute,
      })) {
        tracker.observe(p.minute, p.value, p.hadEvents, { metric: rule.metric, sensitivity });
      }
      this.trackers.set(rule.id, { key: rule.key, tracker });
      this.unlearnt.delete(rule.id);
      learnt.push(rule.id);
    }
    return learnt;
  }

  /**
   * Scores the rule's completed minutes not yet scored (the last one, or up to an hour of them after a pause)
   * from the hub's series. Returns the verdict of the newest minute, or null when there is nothing new (the
   * minute was scored already, or the series has not started).
   */
  score(rule: AnomalyRule, nowMinute: number, statsAt: (minute: number) => WindowStats): AnomalyVerdict | null {
    if (!isAnomalyCondition(rule.condition)) return null;
    let entry = this.trackers.get(rule.id);
    if (!entry || entry.key !== rule.key) {
      // No learnt state (unreadable after a detector upgrade, or the bootstrap failed): score from scratch
      // meanwhile, and let the next reload replace it with one learnt from the rollups.
      entry = { key: rule.key, tracker: AnomalyTracker.create() };
      this.trackers.set(rule.id, entry);
      this.unlearnt.add(rule.id);
    }
    const target = nowMinute - 1;
    const last = entry.tracker.lastMinute;
    if (last !== null && last >= target) return null;
    const start = last === null ? target : Math.max(last + 1, target - CATCH_UP_MINUTES + 1);
    const sensitivity = rule.condition.anomaly.sensitivity;
    let verdict: AnomalyVerdict | null = null;
    for (let m = start; m <= target; m++) {
      const stats = statsAt(m);
      const value = metricValue(stats, rule.metric);
      verdict = entry.tracker.observe(m, value, stats.count > 0, { metric: rule.metric, sensitivity }) ?? verdict;
    }
    if (verdict) this.verdicts.set(rule.id, verdict);
    return verdict;
  }

  /** Whether the tracker should be written after scoring `minute` (see {@link ANOMALY_PERSIST_EVERY_MINUTES}). */
  due(minute: number): boolean {
    return minute % ANOMALY_PERSIST_EVERY_MINUTES === 0;
  }

  /** The newest verdict of a rule scored since the hub started (explanations read its score). */
  verdictOf(ruleId: string): AnomalyVerdict | undefined {
    return this.verdicts.get(ruleId);
  }

  /** The tracker's last scored minute and baseline size (tests and diagnostics). */
  summary(ruleId: string): { lastMinute: number | null; baselineSize: number } | undefined {
    const t = this.trackers.get(ruleId)?.tracker;
    return t ? { lastMinute: t.lastMinute, baselineSize: t.recent.length } : undefined;
  }

  /** Writes the trackers of the given rules (call inside the evaluation's transaction). */
  persist(ruleIds: Iterable<string>): void {
    for (const id of ruleIds) {
      const entry = this.trackers.get(id);
      if (entry) {
        this.sql.exec(
          'INSERT OR REPLACE INTO alert_anomaly (rule_id, rule_key, data) VALUES (?, ?, ?)',
          id,
          entry.key,
          JSON.stringify(entry.tracker.toJSON()),
        );
      }
    }
  }

  /**
   * Deletes the stored trackers of rules that are gone or whose condition changed (call inside a transaction);
   * memory is left alone until the transaction committed ({@link forget}).
   */
  retain(rules: ReadonlyMap<string, AnomalyRule>): void {
    for (const row of this.sql
      .exec<{ rule_id: string; rule_key: string }>('SELECT rule_id, rule_key FROM alert_anomaly')
      .toArray()) {
      if (rules.get(row.rule_id)?.key !== row.rule_key) {
        this.sql.exec('DELETE FROM alert_anomaly WHERE rule_id = ?', row.rule_id);
      }
    }
  }

  /** Drops the in-memory trackers of rules that are gone or whose condition changed (after {@link retain}). */
  forget(rules: ReadonlyMap<string, AnomalyRule>): void {
    for (const [id, entry] of this.trackers) {
      if (rules.get(id)?.key !== entry.key) {
        this.trackers.delete(id);
        this.verdicts.delete(id);
        this.unlearnt.delete(id);
      }
    }
  }
}

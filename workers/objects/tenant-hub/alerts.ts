/**
 * Alert evaluation inside the tenant's hub. The hub forwards every ingested batch ({@link HubAlerting.observe}) and
 * every alarm ({@link HubAlerting.onAlarm}, at least every {@link ALERT_TICK_MS} while rules exist), so absence and
 * recovery are noticed with no traffic at all.
 *
 * - Series: one {@link AlertSeries} (sliding windows) per distinct rule filter (source, endpoint), fed the matching events, so
 *   endpoint filters work although the hub's own windows are per source only. Checkpointed per minute to SQLite by
 *   the hub's checkpoint, in the transaction that empties its replay log; a restore replays that log into them.
 * - Rules and silences: loaded from Postgres when a route says they changed ({@link HubAlerting.reload}) and every
 *   {@link RELOAD_MS} as a safety net; cached in SQLite so a restarted hub evaluates before Postgres answers.
 * - State per rule ({@link AlertState}) in SQLite, written in the same synchronous transaction as the outbox rows
 *   of its transitions; kept across edits that do not change the rule's condition key.
 * - Static and absent rules are evaluated on every update (coalesced to at most one evaluation per
 *   {@link MIN_EVAL_INTERVAL_MS}); dynamic rules once per completed minute, on the completed window, which is also
 *   what their baseline learns from (a partial minute would look like a traffic drop).
 * - Outbox: each transition of an incident is written to Postgres, and — unless a silence matches — turned into
 *   one NotifyMessage per channel on the notifications queue. Rows leave the outbox only when both succeeded, so a
 *   failure is retried by the next alarm; the writes are idempotent (transition ids, deterministic delivery ids).
 */
import type { AnomalyVerdict } from '@pulsestream/core/alerting/anomaly-rule';
import { DynamicBaseline, type DynamicBaselineData } from '@pulsestream/core/alerting/dynamic-baseline';
import {
  type AlertState,
  type AlertTransition,
  acknowledgeAlert,
  checkCondition,
  initialAlertState,
  stepAlert,
} from '@pulsestream/core/alerting/evaluate';
import type { ExposedAlert } from '@pulsestream/core/alerting/exposition';
import { localFactsOf } from '@pulsestream/core/alerting/incident-facts';
import {
  type AlertCondition,
  type AlertFilter,
  type AlertMetric,
  type AlertWindow,
  conditionKey,
  type EvaluableRule,
  filterKey,
  isAnomalyCondition,
  isDynamicCondition,
  type Severity,
} from '@pulsestream/core/alerting/rule';
import { AlertSeries, type SeriesMinuteData } from '@pulsestream/core/alerting/series';
import { type Explanation, templateExplanation } from '@pulsestream/core/anomaly/explanation';
import { errorMessage } from '@pulsestream/core/error-message';
import { sha256Hex } from '@pulsestream/core/hex';
import type { NotifyMessage } from '@pulsestream/core/notifications/message';
import { WINDOW_MINUTES, type WindowStats } from '@pulsestream/core/rolling-windows';
import { cellValue } from '@pulsestream/core/timeseries-fill';
import {
  type AlertRuleRecord,
  describeFailure,
  listCurrentSilences,
  listEnabledAlertRules,
  queryTimeseries,
  recordAlertTransitions,
  type TransitionWrite,
} from '@pulsestream/db';
import { parseConfig } from '../../lib/config';
import { createLogger, type Logger, logLevelOf } from '../../lib/logger';
import { createServices, type Services } from '../../lib/services';
import { MemoryExplanationRateLimiter, type ModelConfig, modelConfigFrom } from '../../services/explain-incident';
import { HubAnomalies } from './anomaly';
import { explainFiring, vectorIndexOf } from './explain';

/** The alarm period while the tenant has enabled rules. */
export const ALERT_TICK_MS = 10_000;
/** Rules and silences are re-read from Postgres at least this often. */
export const RELOAD_MS = 60_000;
/** Evaluations triggered by ingest are coalesced to at most one per this period. */
export const MIN_EVAL_INTERVAL_MS = 1_000;
/** Minutes of stored rollups a new dynamic rule's baseline is warmed with. */
export const WARM_MINUTES = 6 * 60;

const MINUTE_MS = 60_000;

export interface HubRule extends EvaluableRule {
  name: string;
  channelIds: string[];
  key: string;
}

interface HubSilence {
  ruleId: string | null;
  source: string | null;
  severity: string | null;
  startsAt: number;
  endsAt: number;
}

/** One outbox row: a transition of an incident, with what is needed to record and notify it. */
interface OutboxEntry {
  transitionId: string;
  tenantId: string;
  rule: {
    id: string;
    name: string;
    severity: Severity;
    metric: AlertMetric;
    window: AlertWindow;
    filter: AlertFilter;
    channelIds: string[];
  };
  transition: AlertTransition;
  silenced: boolean;
  /** Anomaly rules, on the transition to firing: the verdict of the minute that fired. */
  anomaly?: Pick<AnomalyVerdict, 'at' | 'score' | 'components'> & { baseline: { median: number; p95: number } };
  /** Set by the first drain of a transition to firing, then kept for retries. */
  explanation?: Explanation | null;
}

/** The event fields alert series need. */
export interface AlertEvent {
  timestamp: number;
  source: string;
  endpoint?: string | null;
  type?: string;
  status?: number | null;
  latencyMs?: number | null;
}

/** A deterministic UUID-shaped id from a name, so a retried enqueue reuses the delivery id. */
async function stableUuid(name: string): Promise<string> {
  const h = await sha256Hex(name);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h.charAt(16), 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A rule as the hub keeps it, from its database row. */
export function hubRuleOf(r: AlertRuleRecord): HubRule {
  const filter: AlertFilter = {
    ...(r.filterSource !== null ? { source: r.filterSource } : {}),
    ...(r.filterEndpoint !== null ? { endpoint: r.filterEndpoint } : {}),
  };
  const rule = {
    id: r.id,
    name: r.name,
    metric: r.metric as AlertMetric,
    filter,
    window: r.window as AlertWindow,
    condition: r.condition as AlertCondition,
    forMs: r.forMs,
    recoverBelow: r.recoverBelow,
    severity: r.severity as Severity,
    channelIds: r.channelIds,
  };
  return { ...rule, key: conditionKey(rule) };
}

function sameDurableState(a: AlertState, b: AlertState): boolean {
  return (
    a.phase === b.phase &&
    a.pendingSince === b.pendingSince &&
    a.recoveringSince === b.recoveringSince &&
    a.incidentId === b.incidentId &&
    a.acknowledged === b.acknowledged
  );
}

function matches(filter: AlertFilter, e: AlertEvent): boolean {
  return (
    (filter.source === undefined || filter.source === e.source) &&
    (filter.endpoint === undefined || filter.endpoint === e.endpoint)
  );
}

export class HubAlerting {
  /** The time source of every decision here; tests replace it to step through minutes without waiting. */
  clock: () => number = () => Date.now();
  /** The model explanations are asked of (OPENAI_* config); tests point it at a local fake server. */
  model: () => ModelConfig | undefined = () => modelConfigFrom(parseConfig(this.env));
  /** Postgres (rules, silences, incidents), one unit of work at a time; tests point it at a database that is down. */
  services: () => Services = () => createServices(parseConfig(this.env), this.log);
  private readonly explainLimiter = new MemoryExplanationRateLimiter();
  private readonly anomalies: HubAnomalies;
  private tenantId: string | null = null;
  private rules = new Map<string, HubRule>();
  private silences: HubSilence[] = [];
  private states = new Map<string, AlertState>();
  private baselines = new Map<string, DynamicBaseline>();
  /** filter key → the filter and its windows */
  private series = new Map<string, { filter: AlertFilter; windows: AlertSeries }>();
  /** filter key → minutes changed since the last checkpoint */
  private dirty = new Map<string, Set<number>>();
  private lastReloadAt = 0;
  /** A reload was asked for and has not succeeded since: the alarm is kept armed to retry it. */
  private reloadOwed = false;
  private lastEvalAt = 0;
  private evalTimer: ReturnType<typeof setTimeout> | undefined;
  private draining: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
  ) {
    this.log = createLogger(logLevelOf(env.LOG_LEVEL), { component: 'tenant-hub/alerts' });
    this.anomalies = new HubAnomalies(ctx.storage.sql);
  }

  // ------------------------------------------------------------------------------------------ lifecycle

  migrate(): void {
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS alert_kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    sql.exec(
      'CREATE TABLE IF NOT EXISTS alert_state (rule_id TEXT PRIMARY KEY, rule_key TEXT NOT NULL, state TEXT NOT NULL)',
    );
    sql.exec('CREATE TABLE IF NOT EXISTS alert_baseline (rule_id TEXT PRIMARY KEY, data TEXT NOT NULL)');
    sql.exec(`CREATE TABLE IF NOT EXISTS alert_series (filter_key TEXT NOT NULL, minute INTEGER NOT NULL, data TEXT NOT NULL,
      PRIMARY KEY (filter_key, minute))`);
    sql.exec('CREATE TABLE IF NOT EXISTS alert_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL)');
    this.anomalies.migrate();
  }

  /** Loads rules, silences, states, baselines and series from SQLite. */
  restore(): void {
    const sql = this.ctx.storage.sql;
    const kv = new Map(
      sql
        .exec<{ k: string; v: string }>('SELECT k, v FROM alert_kv')
        .toArray()
        .map((r) => [r.k, r.v]),
    );
    this.tenantId = kv.get('tenant') ?? null;
    try {
      const rules = JSON.parse(kv.get('rules') ?? '[]') as HubRule[];
      this.rules = new Map(rules.map((r) => [r.id, r]));
      this.silences = JSON.parse(kv.get('silences') ?? '[]') as HubSilence[];
    } catch (err) {
      this.log.error('alert rule cache unreadable; waiting for a reload', { error: errorMessage(err) });
      this.rules = new Map();
    }
    this.states = this.storedStates();
    for (const row of sql.exec<{ rule_id: string; data: string }>('SELECT rule_id, data FROM alert_baseline')) {
      try {
        this.baselines.set(row.rule_id, DynamicBaseline.fromJSON(JSON.parse(row.data) as DynamicBaselineData));
      } catch (err) {
        this.log.warn('baseline unreadable; relearning', { rule: row.rule_id, error: errorMessage(err) });
      }
    }
    this.anomalies.restore(this.rules);
    this.ensureSeries();
    for (const row of sql.exec<{ filter_key: string; data: string }>('SELECT filter_key, data FROM alert_series')) {
      try {
        this.series.get(row.filter_key)?.windows.loadMinute(JSON.parse(row.data) as SeriesMinuteData);
      } catch (err) {
        this.log.warn('alert series minute unreadable; skipped', { error: errorMessage(err) });
      }
    }
  }

  /** True while the tenant has rules: the hub keeps its alarm at {@link ALERT_TICK_MS}. */
  get active(): boolean {
    return this.rules.size > 0;
  }

  /** When the next alarm should run for alerting, or null when nothing needs it. */
  nextAlarmAt(now: number): number | null {
    const pending = this.ctx.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM alert_outbox').one().n;
    return this.active || pending > 0 || this.reloadOwed ? now + ALERT_TICK_MS : null;
  }

  // ------------------------------------------------------------------------------------------- inputs

  /** Feeds ingested events to the series of the filters they match, then evaluates (coalesced). */
  observe(events: readonly AlertEvent[]): void {
    if (this.series.size === 0 || events.length === 0) return;
    this.count(events);
    this.scheduleEvaluation();
  }

  /**
   * Feeds the hub's replay log to the series at restore: the events ingested since the last checkpoint, which the
   * restored series do not hold. Not evaluated here: the alarm evaluates once the hub is up.
   */
  replay(events: readonly AlertEvent[]): void {
    this.count(events);
  }

  private count(events: readonly AlertEvent[]): void {
    const now = this.clock();
    for (const [key, entry] of this.series) {
      for (const e of events) {
        if (!matches(entry.filter, e)) continue;
        const minute = entry.windows.add(e, now);
        if (minute !== null) {
          let minutes = this.dirty.get(key);
          if (!minutes) {
            minutes = new Set();
            this.dirty.set(key, minutes);
          }
          minutes.add(minute);
        }
      }
    }
  }

  private scheduleEvaluation(): void {
    if (this.evalTimer !== undefined) return;
    const delay = Math.max(0, this.lastEvalAt + MIN_EVAL_INTERVAL_MS - Date.now());
    if (delay === 0) {
      this.evaluateSafely();
      return;
    }
    this.evalTimer = setTimeout(() => {
      this.evalTimer = undefined;
      this.evaluateSafely();
    }, delay);
  }

  private evaluateSafely(): void {
    try {
      this.evaluate();
    } catch (err) {
      this.log.error('alert evaluation failed', { error: describeFailure(err) });
    }
  }

  /**
   * The alarm: reload when due, evaluate, and drain the outbox. The series are not checkpointed here but by the
   * hub's checkpoint ({@link writeSeries}): written apart from the replay log, a restore would count their events
   * twice.
   */
  async onAlarm(): Promise<void> {
    const now = this.clock();
    if (this.tenantId !== null && now - this.lastReloadAt >= RELOAD_MS) {
      try {
        await this.reload(this.tenantId);
      } catch (err) {
        this.log.warn('alert rule reload failed; evaluating cached rules', { error: describeFailure(err) });
      }
    }
    this.evaluateSafely();
    await this.drain();
  }

  /**
   * Re-reads the tenant's enabled rules and current silences from Postgres and reconciles rule state. The
   * tenant is remembered first and the reload stays owed until one succeeds, so a failed reload (the first one
   * of a new rule included) is retried by the alarm instead of leaving the rule unevaluated.
   */
  async reload(tenantId: string): Promise<void> {
    this.rememberTenant(tenantId);
    this.reloadOwed = true;
    const services = this.services();
    let rows: AlertRuleRecord[];
    let silences: HubSilence[];
    try {
      const db = services.db();
      rows = await listEnabledAlertRules(db, tenantId);
      silences = (await listCurrentSilences(db, tenantId, new Date(this.clock()))).map((s) => ({
        ruleId: s.ruleId,
        source: s.source,
        severity: s.severity,
        startsAt: s.startsAt.getTime(),
        endsAt: s.endsAt.getTime(),
      }));
      const rules = rows.map(hubRuleOf);
      await this.warmBaselines(db, tenantId, rules);
      const learnt = await this.anomalies.bootstrap(db, tenantId, rules, this.clock());
      this.apply(tenantId, rules, silences);
      this.ctx.storage.transactionSync(() => this.anomalies.persist(learnt));
    } finally {
      await services.close().catch(() => undefined);
    }
    this.lastReloadAt = this.clock();
    this.reloadOwed = false;
    this.evaluateSafely();
    await this.drain();
  }

  private rememberTenant(tenantId: string): void {
    if (this.tenantId === tenantId) return;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO alert_kv (k, v) VALUES ('tenant', ?)", tenantId);
    this.tenantId = tenantId;
  }

  /**
   * Installs a rule set: keeps the state of rules whose condition key is unchanged, closes incidents of the rest.
   * Memory changes only once the transaction (rule cache, dropped states, the resolutions' outbox rows) committed:
   * a failed write leaves the previous rules and states, so the retried reload closes the incidents again.
   */
  apply(tenantId: string, rules: HubRule[], silences: HubSilence[]): void {
    const now = this.clock();
    const next = new Map(rules.map((r) => [r.id, r]));
    const entries: OutboxEntry[] = [];
    const dropped = new Set<string>();
    const droppedBaselines = new Set<string>();
    for (const [id, state] of this.states) {
      const before = this.rules.get(id);
      const after = next.get(id);
      if (after && before && after.key === before.key) continue;
      // Deleted, disabled or its condition changed: an open incident is resolved and the state starts afresh.
      if (state.phase === 'firing' && state.incidentId && before) {
        entries.push(
          this.entryOf(tenantId, before, {
            from: 'firing',
            to: 'resolved',
            at: now,
            value: state.value,
            threshold: state.threshold,
            incidentId: state.incidentId,
          }),
        );
      }
      dropped.add(id);
      if (!after || after.key !== before?.key) droppedBaselines.add(id);
    }
    const keptState = (id: string) => this.states.has(id) && !dropped.has(id);
    const keptBaseline = (id: string) => this.baselines.has(id) && !droppedBaselines.has(id);
    const keptSeries = new Set([...next.values()].map((r) => filterKey(r.filter)));
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec("INSERT OR REPLACE INTO alert_kv (k, v) VALUES ('tenant', ?)", tenantId);
      sql.exec("INSERT OR REPLACE INTO alert_kv (k, v) VALUES ('rules', ?)", JSON.stringify([...next.values()]));
      sql.exec("INSERT OR REPLACE INTO alert_kv (k, v) VALUES ('silences', ?)", JSON.stringify(silences));
      for (const row of sql.exec<{ rule_id: string }>('SELECT rule_id FROM alert_state').toArray()) {
        if (!keptState(row.rule_id)) sql.exec('DELETE FROM alert_state WHERE rule_id = ?', row.rule_id);
      }
      for (const row of sql.exec<{ rule_id: string }>('SELECT rule_id FROM alert_baseline').toArray()) {
        if (!keptBaseline(row.rule_id)) sql.exec('DELETE FROM alert_baseline WHERE rule_id = ?', row.rule_id);
      }
      for (const row of sql.exec<{ filter_key: string }>('SELECT DISTINCT filter_key FROM alert_series').toArray()) {
        if (!keptSeries.has(row.filter_key)) sql.exec('DELETE FROM alert_series WHERE filter_key = ?', row.filter_key);
      }
      this.anomalies.retain(next);
      for (const entry of entries) sql.exec('INSERT INTO alert_outbox (entry) VALUES (?)', JSON.stringify(entry));
    });
    for (const id of dropped) this.states.delete(id);
    for (const id of droppedBaselines) this.baselines.delete(id);
    this.anomalies.forget(next);
    this.tenantId = tenantId;
    this.rules = next;
    this.silences = silences;
    this.ensureSeries();
    for (const entry of entries) this.broadcast(entry);
  }

  /** Sets the acknowledged flag of a firing incident (the route has recorded it in Postgres). */
  acknowledge(ruleId: string, incidentId: string): boolean {
    const state = this.states.get(ruleId);
    if (!state) return false;
    const result = acknowledgeAlert(state, incidentId);
    if (!result.changed) return false;
    // Written first: memory only changes once storage has it.
    this.persistState(ruleId, result.state);
    this.states.set(ruleId, result.state);
    return true;
  }

  /** Pending and firing rules, for the Prometheus exposition. */
  exposed(): ExposedAlert[] {
    const out: ExposedAlert[] = [];
    for (const [id, state] of this.states) {
      const rule = this.rules.get(id);
      if (!rule || (state.phase !== 'pending' && state.phase !== 'firing')) continue;
      out.push({
        ruleId: id,
        ruleName: rule.name,
        severity: rule.severity,
        state: state.phase,
        source: rule.filter.source ?? null,
        acknowledged: state.acknowledged,
      });
    }
    return out;
  }

  /** A rule's current state (tests and diagnostics). */
  stateOf(ruleId: string): AlertState | undefined {
    return this.states.get(ruleId);
  }

  /** An anomaly rule's detector bookkeeping (tests and diagnostics). */
  anomalyOf(ruleId: string): { lastMinute: number | null; baselineSize: number } | undefined {
    return this.anomalies.summary(ruleId);
  }

  /** Events the alert series of a filter holds for one minute (tests and diagnostics). */
  seriesCount(filter: AlertFilter, minute: number): number {
    return this.series.get(filterKey(filter))?.windows.completed(minute, 1, false).count ?? 0;
  }

  // ---------------------------------------------------------------------------------------- evaluation

  /** Evaluates every rule at the clock's now; transitions go to SQLite (state + outbox) and out on the live sockets. */
  evaluate(): void {
    if (this.tenantId === null || this.rules.size === 0) return;
    const now = this.clock();
    this.lastEvalAt = Date.now();
    const nowMinute = Math.floor(now / MINUTE_MS);
    const cache = new Map<string, WindowStats>();
    const statsOf = (rule: HubRule, completed: boolean): WindowStats => {
      const latency = rule.metric.startsWith('latency');
      const key = `${filterKey(rule.filter)}|${rule.window}|${completed}|${latency}`;
      let stats = cache.get(key);
      if (!stats) {
        const series = this.series.get(filterKey(rule.filter))?.windows ?? new AlertSeries();
        const minutes = WINDOW_MINUTES[rule.window];
        stats = completed ? series.completed(nowMinute - 1, minutes, latency) : series.sliding(now, minutes, latency);
        cache.set(key, stats);
      }
      return stats;
    };
    const changed: { ruleId: string; state: AlertState }[] = [];
    const entries: OutboxEntry[] = [];
    const baselinesChanged: string[] = [];
    const anomaliesScored: string[] = [];
    /** Baselines as they were before this evaluation observed them, to undo the observation if the write fails. */
    const baselinesBefore = new Map<string, DynamicBaselineData>();
    const liveOnly: { rule: HubRule; t: AlertTransition }[] = [];
    for (const rule of this.rules.values()) {
      const before = this.states.get(rule.id) ?? initialAlertState();
      let obs: ReturnType<typeof checkCondition>;
      if (isAnomalyCondition(rule.condition)) {
        // Once per completed minute, like dynamic rules (a partial minute would look like a drop).
        const series = this.series.get(filterKey(rule.filter))?.windows ?? new AlertSeries();
        const latency = rule.metric.startsWith('latency');
        const verdict = this.anomalies.score(rule, nowMinute, (m) =>
          series.completed(m, WINDOW_MINUTES[rule.window], latency),
        );
        if (!verdict) continue;
        obs = verdict.observation;
        if (this.anomalies.due(Math.floor(verdict.at / MINUTE_MS))) anomaliesScored.push(rule.id);
      } else if (isDynamicCondition(rule.condition)) {
        // Once per completed minute, on the window that ended with it.
        const baseline = this.baselineOf(rule);
        const minuteEnd = nowMinute * MINUTE_MS - 1;
        if (baseline.lastObservedAt !== null && baseline.lastObservedAt >= minuteEnd) continue;
        const stats = statsOf(rule, true);
        obs = checkCondition(rule, stats, baseline.band(minuteEnd, rule.condition.dynamic.sensitivity));
        const value = obs.value ?? (rule.metric.startsWith('latency') ? null : 0);
        if (value !== null) {
          baselinesBefore.set(rule.id, baseline.toJSON());
          baseline.observe(value, minuteEnd);
        }
        baselinesChanged.push(rule.id);
      } else {
        obs = checkCondition(rule, statsOf(rule, false));
      }
      const step = stepAlert(before, obs, now, rule.forMs, () => crypto.randomUUID());
      this.states.set(rule.id, step.state);
      // The value alone changes on every evaluation; it is not worth a write.
      if (step.transitions.length === 0 && sameDurableState(before, step.state)) continue;
      changed.push({ ruleId: rule.id, state: step.state });
      for (const t of step.transitions) {
        if (t.incidentId === null) {
          liveOnly.push({ rule, t });
          continue;
        }
        entries.push(this.entryOf(this.tenantId, rule, t));
      }
    }
    if (changed.length === 0 && baselinesChanged.length === 0 && anomaliesScored.length === 0) return;
    try {
      this.writeEvaluation(changed, baselinesChanged, anomaliesScored, entries);
    } catch (err) {
      // Memory moved ahead of storage (states, baselines, scorer): put it back to what is durable, so the next
      // evaluation recomputes the same transitions and records them, instead of seeing none and losing them.
      this.log.error('alert evaluation not recorded; state rolled back to storage, the next evaluation retries', {
        error: describeFailure(err),
        transitions: entries.length,
      });
      this.rollBackEvaluation(baselinesBefore);
      throw err;
    }
    for (const { rule, t } of liveOnly) this.broadcastTransition(rule, t, false);
    for (const entry of entries) this.broadcast(entry);
    if (entries.length > 0) void this.drain();
  }

  /** The evaluation's one transaction: changed states, observed baselines, scored trackers and the outbox rows. */
  private writeEvaluation(
    changed: { ruleId: string; state: AlertState }[],
    baselinesChanged: string[],
    anomaliesScored: string[],
    entries: OutboxEntry[],
  ): void {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      for (const c of changed) {
        const rule = this.rules.get(c.ruleId);
        if (rule)
          sql.exec(
            'INSERT OR REPLACE INTO alert_state (rule_id, rule_key, state) VALUES (?, ?, ?)',
            c.ruleId,
            rule.key,
            JSON.stringify(c.state),
          );
      }
      for (const id of baselinesChanged) {
        const b = this.baselines.get(id);
        if (b)
          sql.exec(
            'INSERT OR REPLACE INTO alert_baseline (rule_id, data) VALUES (?, ?)',
            id,
            JSON.stringify(b.toJSON()),
          );
      }
      this.anomalies.persist(anomaliesScored);
      for (const entry of entries) sql.exec('INSERT INTO alert_outbox (entry) VALUES (?)', JSON.stringify(entry));
    });
  }

  /**
   * Undoes a failed evaluation's memory effects: rule states and anomaly trackers are reloaded from SQLite (as
   * at start; trackers then catch up on the minutes since their last write), and baselines get back the data
   * they had before this evaluation observed them (a warmed baseline may not have been written yet).
   */
  private rollBackEvaluation(baselinesBefore: ReadonlyMap<string, DynamicBaselineData>): void {
    for (const [id, data] of baselinesBefore) this.baselines.set(id, DynamicBaseline.fromJSON(data));
    this.states = this.storedStates();
    this.anomalies.reload(this.rules);
  }

  /** The rule states SQLite holds for the current rules (a state of another condition key is ignored). */
  private storedStates(): Map<string, AlertState> {
    const states = new Map<string, AlertState>();
    for (const row of this.ctx.storage.sql.exec<{ rule_id: string; rule_key: string; state: string }>(
      'SELECT rule_id, rule_key, state FROM alert_state',
    )) {
      const rule = this.rules.get(row.rule_id);
      if (rule && rule.key === row.rule_key) states.set(row.rule_id, JSON.parse(row.state) as AlertState);
    }
    return states;
  }

  private baselineOf(rule: HubRule): DynamicBaseline {
    let b = this.baselines.get(rule.id);
    if (!b) {
      b = new DynamicBaseline(rule.metric);
      this.baselines.set(rule.id, b);
    }
    return b;
  }

  /**
   * Warms new dynamic rules from the stored minute rollups of the last {@link WARM_MINUTES}, so a new rule on an
   * old tenant is useful at once. Counts and rates over a window are summed from the minutes exactly; a
   * percentile over a window longer than a minute is approximated by the mean of the minutes' percentiles.
   */
  private async warmBaselines(db: ReturnType<Services['db']>, tenantId: string, rules: HubRule[]): Promise<void> {
    const now = this.clock();
    const to = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const from = to - WARM_MINUTES * MINUTE_MS;
    for (const rule of rules) {
      if (!isDynamicCondition(rule.condition)) continue;
      const existing = this.baselines.get(rule.id);
      const previous = this.rules.get(rule.id);
      if (existing && previous?.key === rule.key) continue;
      const metric = rule.metric === 'events_per_sec' ? 'count' : rule.metric;
      const cells = await queryTimeseries(db, {
        tenantId,
        from: new Date(from),
        to: new Date(to),
        interval: '1m',
        metric,
        source: rule.filter.source,
        endpoint: rule.filter.endpoint,
      });
      const byMinute = new Map(cells.map((c) => [Math.floor(c.t / MINUTE_MS), c]));
      const baseline = new DynamicBaseline(rule.metric);
      const span = WINDOW_MINUTES[rule.window];
      for (let m = from / MINUTE_MS + span - 1; m < to / MINUTE_MS; m++) {
        let count = 0;
        let errors = 0;
        let latencies = 0;
        let latencyN = 0;
        for (let k = m - span + 1; k <= m; k++) {
          const c = byMinute.get(k);
          if (!c) continue;
          count += c.count;
          errors += c.errors;
          const q = cellValue(metric, c);
          if (rule.metric.startsWith('latency') && q !== null) {
            latencies += q;
            latencyN++;
          }
        }
        const value =
          rule.metric === 'count'
            ? count
            : rule.metric === 'errors'
              ? errors
              : rule.metric === 'error_rate'
                ? count > 0
                  ? errors / count
                  : null
                : rule.metric === 'events_per_sec'
                  ? count / (span * 60)
                  : latencyN > 0
                    ? latencies / latencyN
                    : null;
        if (value !== null) baseline.observe(value, (m + 1) * MINUTE_MS - 1);
      }
      this.baselines.set(rule.id, baseline);
    }
  }

  private ensureSeries(): void {
    const wanted = new Map<string, AlertFilter>();
    for (const rule of this.rules.values()) wanted.set(filterKey(rule.filter), rule.filter);
    for (const key of this.series.keys()) if (!wanted.has(key)) this.series.delete(key);
    for (const [key, filter] of wanted) {
      if (!this.series.has(key)) this.series.set(key, { filter, windows: new AlertSeries() });
    }
  }

  private entryOf(tenantId: string, rule: HubRule, transition: AlertTransition): OutboxEntry {
    const verdict = transition.to === 'firing' ? this.anomalies.verdictOf(rule.id) : undefined;
    return {
      ...(verdict && isAnomalyCondition(rule.condition)
        ? {
            anomaly: {
              at: verdict.at,
              score: verdict.score,
              components: verdict.components,
              baseline: { median: verdict.baseline.median, p95: verdict.baseline.p95 },
            },
          }
        : {}),
      transitionId: crypto.randomUUID(),
      tenantId,
      rule: {
        id: rule.id,
        name: rule.name,
        severity: rule.severity,
        metric: rule.metric,
        window: rule.window,
        filter: rule.filter,
        channelIds: rule.channelIds,
      },
      transition,
      silenced: this.isSilenced(rule, transition.at),
    };
  }

  private isSilenced(rule: HubRule, at: number): boolean {
    return this.silences.some(
      (s) =>
        s.startsAt <= at &&
        at < s.endsAt &&
        (s.ruleId === null || s.ruleId === rule.id) &&
        (s.source === null || s.source === (rule.filter.source ?? null)) &&
        (s.severity === null || s.severity === rule.severity),
    );
  }

  // --------------------------------------------------------------------------------------- side effects

  private broadcast(entry: OutboxEntry): void {
    const rule = this.rules.get(entry.rule.id);
    if (rule) this.broadcastTransition(rule, entry.transition, entry.silenced);
  }

  private broadcastTransition(rule: HubRule, t: AlertTransition, silenced: boolean): void {
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return;
    const frame = JSON.stringify({
      type: 'alert',
      t: t.at,
      alert: {
        id: t.incidentId,
        ruleId: rule.id,
        ruleName: rule.name,
        severity: rule.severity,
        from: t.from,
        to: t.to,
        at: new Date(t.at).toISOString(),
        value: t.value,
        threshold: t.threshold,
        silenced,
      },
    });
    for (const ws of sockets) {
      try {
        ws.send(frame);
      } catch (err) {
        this.log.warn('alert frame send failed', { error: errorMessage(err) });
      }
    }
  }

  /** Writes pending outbox entries to Postgres and the queue, oldest first; stops at the first failure. */
  async drain(): Promise<void> {
    if (this.draining) return this.draining;
    this.draining = this.drainOnce().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    const sql = this.ctx.storage.sql;
    const rows = sql
      .exec<{ seq: number; entry: string }>('SELECT seq, entry FROM alert_outbox ORDER BY seq LIMIT 100')
      .toArray();
    if (rows.length === 0) return;
    const services = this.services();
    try {
      const entries = rows.map((r) => JSON.parse(r.entry) as OutboxEntry);
      const tenantId = entries[0]?.tenantId;
      if (!tenantId) return;
      await this.explainEntries(services, rows, entries);
      const writes: TransitionWrite[] = entries
        .filter((e) => e.transition.incidentId !== null)
        .map((e) => ({
          transitionId: e.transitionId,
          alertId: e.transition.incidentId as string,
          ruleId: e.rule.id,
          ruleName: e.rule.name,
          severity: e.rule.severity,
          source: e.rule.filter.source ?? null,
          metric: e.rule.metric,
          from: e.transition.from,
          to: e.transition.to,
          at: new Date(e.transition.at),
          value: e.transition.value,
          threshold: e.transition.threshold,
          silenced: e.silenced,
          explanation: e.explanation ?? null,
        }));
      await recordAlertTransitions(services.db(), tenantId, writes);
      const messages: MessageSendRequest<NotifyMessage>[] = [];
      for (const e of entries) {
        if (e.silenced || e.transition.incidentId === null) continue;
        if (e.transition.to !== 'firing' && e.transition.to !== 'resolved') continue;
        for (const channelId of e.rule.channelIds) {
          messages.push({
            body: {
              type: 'notify',
              v: 1,
              tenantId: e.tenantId,
              channelId,
              deliveryId: await stableUuid(`${e.transitionId}:${channelId}`),
              event: e.transition.to === 'firing' ? 'alert.firing' : 'alert.resolved',
              alertId: e.transition.incidentId,
              data: {
                alertId: e.transition.incidentId,
                ruleId: e.rule.id,
                ruleName: e.rule.name,
                severity: e.rule.severity,
                metric: e.rule.metric,
                window: e.rule.window,
                filter: e.rule.filter,
                state: e.transition.to,
                value: e.transition.value,
                threshold: e.transition.threshold,
                at: new Date(e.transition.at).toISOString(),
                ...(e.transition.to === 'firing' ? { explanation: e.explanation ?? null } : {}),
              },
            },
            contentType: 'json',
          });
        }
      }
      for (let i = 0; i < messages.length; i += 100) await this.env.NOTIFICATIONS.sendBatch(messages.slice(i, i + 100));
      const last = rows[rows.length - 1]?.seq ?? 0;
      sql.exec('DELETE FROM alert_outbox WHERE seq <= ?', last);
    } catch (err) {
      this.log.error('alert outbox drain failed; the next alarm retries', { error: describeFailure(err) });
    } finally {
      await services.close().catch(() => undefined);
    }
  }

  /**
   * Explains each transition to firing not yet explained (see ./explain.ts) and keeps the result in its outbox
   * row, so a retried drain neither asks the model again nor changes what was notified. When the facts cannot
   * be built (the database down, a bug), the template is built from the hub's own figures instead.
   */
  private async explainEntries(services: Services, rows: { seq: number }[], entries: OutboxEntry[]): Promise<void> {
    const sql = this.ctx.storage.sql;
    for (const [i, e] of entries.entries()) {
      if (e.transition.to !== 'firing' || e.transition.incidentId === null || e.explanation !== undefined) continue;
      try {
        const db = services.db();
        e.explanation = await explainFiring(
          {
            tenantId: e.tenantId,
            alertId: e.transition.incidentId,
            rule: e.rule,
            at: e.transition.at,
            anomaly: e.anomaly,
          },
          {
            db,
            vectors: vectorIndexOf(this.env, db),
            model: this.model(),
            rateLimiter: this.explainLimiter,
            now: this.clock,
            onFallback: (reason) => this.log.info('incident explained by the template', { reason }),
            onVectorError: (err) => this.log.warn('vector memory unavailable', { error: describeFailure(err) }),
          },
        );
      } catch (err) {
        // The rollups could not be read: the template from what the hub itself knows.
        this.log.error('incident facts unavailable; explained from the hub alone', { error: describeFailure(err) });
        e.explanation = templateExplanation(
          localFactsOf({
            metric: e.rule.metric,
            at: e.anomaly?.at ?? e.transition.at,
            value: e.transition.value,
            threshold: e.transition.threshold,
            anomaly: e.anomaly,
          }),
        );
      }
      const seq = rows[i]?.seq;
      if (seq !== undefined) sql.exec('UPDATE alert_outbox SET entry = ? WHERE seq = ?', JSON.stringify(e), seq);
    }
  }

  /**
   * Writes the series minutes changed since the last checkpoint and drops minutes older than the hour, inside the
   * caller's transaction: the hub's checkpoint, which deletes the replay log holding the same events in the same
   * commit. The caller calls {@link seriesWritten} once that transaction has committed.
   */
  writeSeries(): void {
    if (this.dirty.size === 0) return;
    const now = this.clock();
    const sql = this.ctx.storage.sql;
    for (const [key, minutes] of this.dirty) {
      const entry = this.series.get(key);
      if (!entry) continue;
      entry.windows.prune(now);
      for (const minute of minutes) {
        const data = entry.windows.minuteData(minute);
        if (data) {
          sql.exec(
            'INSERT OR REPLACE INTO alert_series (filter_key, minute, data) VALUES (?, ?, ?)',
            key,
            minute,
            JSON.stringify(data),
          );
        }
      }
    }
    sql.exec('DELETE FROM alert_series WHERE minute < ?', Math.floor(now / MINUTE_MS) - 60);
  }

  /** The hub's checkpoint transaction committed {@link writeSeries}' rows: no minute is dirty any more. */
  seriesWritten(): void {
    this.dirty.clear();
  }

  private persistState(ruleId: string, state: AlertState): void {
    const rule = this.rules.get(ruleId);
    if (!rule) return;
    this.ctx.storage.sql.exec(
      'INSERT OR REPLACE INTO alert_state (rule_id, rule_key, state) VALUES (?, ?, ?)',
      ruleId,
      rule.key,
      JSON.stringify(state),
    );
  }
}

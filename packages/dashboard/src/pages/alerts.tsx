import { useState } from 'preact/hooks';
import { api, listOf } from '../api';
import { RecordTable } from '../components/record-table';
import { ErrorMessage, ListTable, LoadError, Loading, Section, SelectField, TextField } from '../components/ui';
import { formatDateTime, fromLocalInput, toLocalInput } from '../format';
import { useLoad } from '../hooks';
import { navigate, onLinkClick } from '../router';
import type { Me } from '../types';
import { type Channel, canManageAlerts } from './channels';

type Op = '>' | '>=' | '<' | '<=';
type Sensitivity = 'low' | 'medium' | 'high';
type Condition =
  | { op: Op; threshold: number }
  | { dynamic: { sensitivity: Sensitivity } }
  | { anomaly: { sensitivity: Sensitivity } }
  | { absent: true };

export interface AlertRule {
  id: string;
  name: string;
  metric: string;
  filter?: { source?: string; endpoint?: string } | null;
  window: '1m' | '5m' | '15m' | '1h';
  condition: Condition;
  for?: string | null;
  recoverBelow?: number | null;
  severity: 'info' | 'warning' | 'critical';
  channelIds: string[];
  enabled: boolean;
}

interface Incident {
  id: string;
  ruleId: string;
  ruleName?: string;
  state: 'firing' | 'resolved' | 'acknowledged';
  startedAt: string;
  resolvedAt?: string | null;
  value?: number | null;
  threshold?: number | null;
  explanation?: Explanation | null;
  transitions?: Record<string, unknown>[];
  deliveries?: Record<string, unknown>[];
}

/** Why an incident fired (aggregates only), as `GET /v1/alerts/:id` returns it. */
interface Explanation {
  summary: string;
  likelyCause: string;
  evidence: string[];
  source: 'model' | 'template';
}

interface Silence {
  id: string;
  matchers: { ruleId?: string; source?: string; severity?: string };
  startsAt: string;
  endsAt: string;
  comment?: string;
}

const WHAT = 'Alerting';

const TABS = [
  { href: '/alerts', label: 'Incidents' },
  { href: '/alerts/rules', label: 'Rules' },
  { href: '/alerts/silences', label: 'Silences' },
] as const;

export function AlertsPage({ me, path }: { me: Me; path: string }) {
  const parts = path.split('/').filter(Boolean);
  const sub = parts[1] ?? '';
  let body: preact.JSX.Element;
  if (sub === 'rules') body = <RulesView me={me} editId={parts[2]} />;
  else if (sub === 'silences') body = <SilencesView me={me} />;
  else if (sub === 'incidents' && parts[2]) body = <IncidentView id={parts[2]} me={me} />;
  else body = <IncidentsView />;
  const current = sub === 'rules' ? '/alerts/rules' : sub === 'silences' ? '/alerts/silences' : '/alerts';
  return (
    <>
      <div class="page-head">
        <h1>Alerts</h1>
      </div>
      <nav aria-label="Alerts sections" class="tabs">
        <ul>
          {TABS.map((t) => (
            <li key={t.href}>
              <a href={t.href} onClick={onLinkClick} aria-current={t.href === current ? 'page' : undefined}>
                {t.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {body}
    </>
  );
}

function useRules() {
  return useLoad(async (signal) => listOf<AlertRule>(await api('GET', '/v1/alert-rules', { signal })), []);
}

function conditionText(c: Condition | undefined): string {
  if (!c) return '—';
  if ('op' in c) return `${c.op} ${c.threshold}`;
  if ('dynamic' in c) return `dynamic (${c.dynamic.sensitivity})`;
  if ('anomaly' in c) return `anomaly (${c.anomaly.sensitivity})`;
  if ('absent' in c) return 'no data';
  return '—';
}

// ------------------------------------------------------------------------------------------------ incidents

const STATES = [
  { value: '', label: 'Any state' },
  { value: 'firing', label: 'Firing' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'resolved', label: 'Resolved' },
] as const;
type StateFilter = (typeof STATES)[number]['value'];

function IncidentsView() {
  const [state, setState] = useState<StateFilter>('');
  const incidents = useLoad(
    async (signal) => listOf<Incident>(await api('GET', `/v1/alerts${state ? `?state=${state}` : ''}`, { signal })),
    [state],
  );
  const rules = useRules();
  const ruleName = (id: string) => rules.data?.find((r) => r.id === id)?.name ?? id;
  return (
    <Section
      title="Incidents"
      actions={
        <button type="button" class="secondary" onClick={incidents.reload}>
          Refresh
        </button>
      }
    >
      {incidents.error ? (
        <LoadError error={incidents.error} what={WHAT} />
      ) : (
        <>
          <div class="toolbar">
            <SelectField label="State" name="state" value={state} options={STATES} onChange={setState} />
          </div>
          <ListTable
            label="Incidents"
            columns={[
              'Rule',
              'State',
              'Started',
              'Resolved',
              { label: 'Value', num: true },
              { label: 'Threshold', num: true },
            ]}
            rows={incidents.data}
            loading={incidents.loading}
            empty={`No incidents${state ? ` in state ${state}` : ''}.`}
            row={(i) => (
              <tr key={i.id}>
                <td>
                  <a href={`/alerts/incidents/${encodeURIComponent(i.id)}`} onClick={onLinkClick}>
                    {i.ruleName ?? ruleName(i.ruleId)}
                  </a>
                </td>
                <td>
                  <span class={`badge ${i.state === 'firing' ? 'bad' : i.state === 'resolved' ? 'ok' : 'warn'}`}>
                    {i.state}
                  </span>
                </td>
                <td>{formatDateTime(i.startedAt)}</td>
                <td>{formatDateTime(i.resolvedAt ?? null)}</td>
                <td class="num">{i.value ?? '—'}</td>
                <td class="num">{i.threshold ?? '—'}</td>
              </tr>
            )}
          />
        </>
      )}
    </Section>
  );
}

function IncidentView({ id, me }: { id: string; me: Me }) {
  const incident = useLoad(
    async (signal) => api<Incident>('GET', `/v1/alerts/${encodeURIComponent(id)}`, { signal }),
    [id],
  );
  const [error, setError] = useState<unknown>(null);
  const ack = async () => {
    setError(null);
    try {
      await api('POST', `/v1/alerts/${encodeURIComponent(id)}/ack`);
      incident.reload();
    } catch (err) {
      setError(err);
    }
  };
  const i = incident.data;
  return (
    <Section title="Incident">
      {incident.error ? <LoadError error={incident.error} what={WHAT} /> : null}
      {incident.loading && !i ? <Loading /> : null}
      {i && (
        <>
          <dl class="facts">
            <dt>State</dt>
            <dd>{i.state}</dd>
            <dt>Started</dt>
            <dd>{formatDateTime(i.startedAt)}</dd>
            <dt>Resolved</dt>
            <dd>{formatDateTime(i.resolvedAt ?? null)}</dd>
            <dt>Value / threshold</dt>
            <dd>
              {i.value ?? '—'} / {i.threshold ?? '—'}
            </dd>
            {i.explanation && (
              <>
                <dt>Explanation</dt>
                <dd>
                  <p>{i.explanation.summary}</p>
                  {i.explanation.likelyCause && <p>Likely cause: {i.explanation.likelyCause}</p>}
                  {i.explanation.evidence.length > 0 && (
                    <ul>
                      {i.explanation.evidence.map((e) => (
                        <li key={e}>{e}</li>
                      ))}
                    </ul>
                  )}
                  <small>{i.explanation.source === 'model' ? 'Written by the model' : 'Template'}</small>
                </dd>
              </>
            )}
          </dl>
          {i.state === 'firing' && canManageAlerts(me) && (
            <button type="button" onClick={ack}>
              Acknowledge
            </button>
          )}
          <ErrorMessage error={error} />
          <h3>Transitions</h3>
          {i.transitions && i.transitions.length > 0 ? (
            <RecordTable rows={i.transitions} caption="State transitions, oldest first" />
          ) : (
            <p class="muted">No transitions recorded.</p>
          )}
          <h3>Notification deliveries</h3>
          {i.deliveries && i.deliveries.length > 0 ? (
            <RecordTable rows={i.deliveries} caption="Deliveries to channels" />
          ) : (
            <p class="muted">No deliveries.</p>
          )}
        </>
      )}
      <p>
        <a href="/alerts" onClick={onLinkClick}>
          Back to incidents
        </a>
      </p>
    </Section>
  );
}

// ------------------------------------------------------------------------------------------------ rules

const METRICS = [
  'count',
  'errors',
  'error_rate',
  'events_per_sec',
  'latency_p50',
  'latency_p95',
  'latency_p99',
] as const;
const WINDOWS = ['1m', '5m', '15m', '1h'] as const;
const KINDS = [
  { value: 'threshold', label: 'Threshold' },
  { value: 'dynamic', label: 'Dynamic baseline' },
  { value: 'anomaly', label: 'Anomaly' },
  { value: 'absent', label: 'No data' },
] as const;
type Kind = (typeof KINDS)[number]['value'];

interface Draft {
  name: string;
  metric: string;
  source: string;
  endpoint: string;
  window: AlertRule['window'];
  kind: Kind;
  op: Op;
  threshold: string;
  sensitivity: Sensitivity;
  forDuration: string;
  recoverBelow: string;
  severity: AlertRule['severity'];
  channelIds: string[];
  enabled: boolean;
}

const EMPTY: Draft = {
  name: '',
  metric: 'error_rate',
  source: '',
  endpoint: '',
  window: '5m',
  kind: 'threshold',
  op: '>',
  threshold: '0.05',
  sensitivity: 'medium',
  forDuration: '',
  recoverBelow: '',
  severity: 'warning',
  channelIds: [],
  enabled: true,
};

function draftOf(rule: AlertRule): Draft {
  const c = rule.condition;
  return {
    ...EMPTY,
    name: rule.name,
    metric: rule.metric,
    source: rule.filter?.source ?? '',
    endpoint: rule.filter?.endpoint ?? '',
    window: rule.window,
    kind: 'op' in c ? 'threshold' : 'dynamic' in c ? 'dynamic' : 'anomaly' in c ? 'anomaly' : 'absent',
    op: 'op' in c ? c.op : '>',
    threshold: 'op' in c ? String(c.threshold) : EMPTY.threshold,
    sensitivity: 'dynamic' in c ? c.dynamic.sensitivity : 'anomaly' in c ? c.anomaly.sensitivity : 'medium',
    forDuration: rule.for ?? '',
    recoverBelow: rule.recoverBelow == null ? '' : String(rule.recoverBelow),
    severity: rule.severity,
    channelIds: rule.channelIds ?? [],
    enabled: rule.enabled,
  };
}

function bodyOf(d: Draft, editing: boolean): Record<string, unknown> {
  const condition: Condition =
    d.kind === 'threshold'
      ? { op: d.op, threshold: Number(d.threshold) }
      : d.kind === 'dynamic'
        ? { dynamic: { sensitivity: d.sensitivity } }
        : d.kind === 'anomaly'
          ? { anomaly: { sensitivity: d.sensitivity } }
          : { absent: true };
  const filter: Record<string, string> = {};
  if (d.source.trim()) filter.source = d.source.trim();
  if (d.endpoint.trim()) filter.endpoint = d.endpoint.trim();
  const body: Record<string, unknown> = {
    name: d.name,
    metric: d.metric,
    window: d.window,
    condition,
    severity: d.severity,
    channelIds: d.channelIds,
    enabled: d.enabled,
  };
  // A PATCH keeps fields it does not name: an emptied filter is sent as null to clear it.
  if (Object.keys(filter).length > 0) body.filter = filter;
  else if (editing) body.filter = null;
  if (d.forDuration.trim()) body.for = d.forDuration.trim();
  if (d.recoverBelow.trim()) body.recoverBelow = Number(d.recoverBelow);
  return body;
}

function RulesView({ me, editId }: { me: Me; editId: string | undefined }) {
  const rules = useRules();
  const [error, setError] = useState<unknown>(null);
  const manage = canManageAlerts(me);
  const editing = editId === 'new' ? null : rules.data?.find((r) => r.id === editId);
  const remove = async (rule: AlertRule) => {
    if (!confirm(`Delete the rule "${rule.name}"?`)) return;
    setError(null);
    try {
      await api('DELETE', `/v1/alert-rules/${encodeURIComponent(rule.id)}`);
      rules.reload();
    } catch (err) {
      setError(err);
    }
  };
  if (rules.error) {
    return (
      <Section title="Rules">
        <LoadError error={rules.error} what={WHAT} />
      </Section>
    );
  }
  return (
    <>
      {manage && editId !== undefined && (editId === 'new' || editing) && (
        <RuleEditor
          key={editId}
          rule={editing ?? null}
          onSaved={() => {
            rules.reload();
            navigate('/alerts/rules');
          }}
        />
      )}
      <Section
        title="Rules"
        actions={
          manage && editId === undefined ? (
            <a class="button" href="/alerts/rules/new" onClick={onLinkClick}>
              New rule
            </a>
          ) : undefined
        }
      >
        <ErrorMessage error={error} />
        <ListTable
          label="Alert rules"
          columns={['Name', 'Metric', 'Condition', 'Window', 'Severity', 'Enabled']}
          actions
          rows={rules.data}
          loading={rules.loading}
          empty="No alert rules yet."
          row={(r) => (
            <tr key={r.id}>
              <td>{r.name}</td>
              <td>{r.metric}</td>
              <td>{conditionText(r.condition)}</td>
              <td>{r.window}</td>
              <td>{r.severity}</td>
              <td>{r.enabled ? 'yes' : 'no'}</td>
              <td class="actions">
                {manage && (
                  <>
                    <a
                      href={`/alerts/rules/${encodeURIComponent(r.id)}`}
                      onClick={onLinkClick}
                      aria-label={`Edit rule ${r.name}`}
                    >
                      Edit
                    </a>
                    <button type="button" class="danger" onClick={() => remove(r)} aria-label={`Delete rule ${r.name}`}>
                      Delete
                    </button>
                  </>
                )}
              </td>
            </tr>
          )}
        />
      </Section>
    </>
  );
}

function RuleEditor({ rule, onSaved }: { rule: AlertRule | null; onSaved: () => void }) {
  const [d, setD] = useState<Draft>(rule ? draftOf(rule) : EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const channels = useLoad(async (signal) => listOf<Channel>(await api('GET', '/v1/channels', { signal })), []);
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setD((prev) => ({ ...prev, [key]: value }));
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (rule) await api('PATCH', `/v1/alert-rules/${encodeURIComponent(rule.id)}`, { body: bodyOf(d, true) });
      else await api('POST', '/v1/alert-rules', { body: bodyOf(d, false) });
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title={rule ? `Edit rule "${rule.name}"` : 'New alert rule'}>
      <form onSubmit={save} class="form-grid" aria-label={rule ? 'Edit alert rule' : 'New alert rule'}>
        <TextField label="Rule name" name="ruleName" value={d.name} onInput={set('name')} required />
        <SelectField
          label="Metric"
          name="ruleMetric"
          value={d.metric}
          options={METRICS.map((m) => ({ value: m, label: m }))}
          onChange={set('metric')}
        />
        <SelectField
          label="Window"
          name="ruleWindow"
          value={d.window}
          options={WINDOWS.map((w) => ({ value: w, label: w }))}
          onChange={set('window')}
        />
        <TextField label="Source filter" name="ruleSource" value={d.source} onInput={set('source')} hint="Optional" />
        <TextField
          label="Endpoint filter"
          name="ruleEndpoint"
          value={d.endpoint}
          onInput={set('endpoint')}
          hint="Optional"
        />
        <SelectField label="Condition" name="ruleKind" value={d.kind} options={KINDS} onChange={set('kind')} />
        {d.kind === 'threshold' && (
          <>
            <SelectField
              label="Operator"
              name="ruleOp"
              value={d.op}
              options={(['>', '>=', '<', '<='] as const).map((o) => ({ value: o, label: o }))}
              onChange={set('op')}
            />
            <TextField
              label="Threshold"
              name="ruleThreshold"
              type="number"
              value={d.threshold}
              onInput={set('threshold')}
              required
            />
          </>
        )}
        {(d.kind === 'dynamic' || d.kind === 'anomaly') && (
          <SelectField
            label="Sensitivity"
            name="ruleSensitivity"
            value={d.sensitivity}
            options={(['low', 'medium', 'high'] as const).map((s) => ({ value: s, label: s }))}
            onChange={set('sensitivity')}
          />
        )}
        <TextField
          label="For"
          name="ruleFor"
          value={d.forDuration}
          onInput={set('forDuration')}
          hint="Optional, e.g. 2m"
        />
        <TextField
          label="Recover below"
          name="ruleRecover"
          type="number"
          value={d.recoverBelow}
          onInput={set('recoverBelow')}
          hint="Optional hysteresis"
        />
        <SelectField
          label="Severity"
          name="ruleSeverity"
          value={d.severity}
          options={(['info', 'warning', 'critical'] as const).map((s) => ({ value: s, label: s }))}
          onChange={set('severity')}
        />
        <fieldset class="checks">
          <legend>Notify channels</legend>
          {channels.data && channels.data.length === 0 && (
            <span class="muted">No channels (add them in Settings).</span>
          )}
          {channels.error ? <span class="muted">Channels unavailable.</span> : null}
          {channels.data?.map((c) => (
            <label key={c.id}>
              <input
                type="checkbox"
                checked={d.channelIds.includes(c.id)}
                onChange={(e) =>
                  set('channelIds')(
                    (e.currentTarget as HTMLInputElement).checked
                      ? [...d.channelIds, c.id]
                      : d.channelIds.filter((x) => x !== c.id),
                  )
                }
              />{' '}
              {c.name}
            </label>
          ))}
        </fieldset>
        <label class="check">
          <input
            type="checkbox"
            checked={d.enabled}
            onChange={(e) => set('enabled')((e.currentTarget as HTMLInputElement).checked)}
          />{' '}
          Enabled
        </label>
        <ErrorMessage error={error} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {rule ? 'Save rule' : 'Create rule'}
          </button>
          <a href="/alerts/rules" onClick={onLinkClick}>
            Cancel
          </a>
        </div>
      </form>
    </Section>
  );
}

// ------------------------------------------------------------------------------------------------ silences

function SilencesView({ me }: { me: Me }) {
  const silences = useLoad(async (signal) => listOf<Silence>(await api('GET', '/v1/silences', { signal })), []);
  const rules = useRules();
  const now = Date.now();
  const [ruleId, setRuleId] = useState('');
  const [source, setSource] = useState('');
  const [severity, setSeverity] = useState('');
  const [startsAt, setStartsAt] = useState(toLocalInput(now));
  const [endsAt, setEndsAt] = useState(toLocalInput(now + 3_600_000));
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>(null);
  const manage = canManageAlerts(me);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const matchers: Record<string, string> = {};
    if (ruleId) matchers.ruleId = ruleId;
    if (source.trim()) matchers.source = source.trim();
    if (severity) matchers.severity = severity;
    try {
      await api('POST', '/v1/silences', {
        body: { matchers, startsAt: fromLocalInput(startsAt), endsAt: fromLocalInput(endsAt), comment },
      });
      setComment('');
      silences.reload();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (s: Silence) => {
    setError(null);
    try {
      await api('DELETE', `/v1/silences/${encodeURIComponent(s.id)}`);
      silences.reload();
    } catch (err) {
      setError(err);
    }
  };
  if (silences.error) {
    return (
      <Section title="Silences">
        <LoadError error={silences.error} what={WHAT} />
      </Section>
    );
  }
  return (
    <Section title="Silences">
      {manage && (
        <form class="toolbar" onSubmit={create} aria-label="New silence">
          <SelectField
            label="Rule"
            name="silenceRule"
            value={ruleId}
            options={[
              { value: '', label: 'Any rule' },
              ...(rules.data ?? []).map((r) => ({ value: r.id, label: r.name })),
            ]}
            onChange={setRuleId}
          />
          <TextField label="Source" name="silenceSource" value={source} onInput={setSource} />
          <SelectField
            label="Severity"
            name="silenceSeverity"
            value={severity}
            options={[
              { value: '', label: 'Any' },
              { value: 'info', label: 'info' },
              { value: 'warning', label: 'warning' },
              { value: 'critical', label: 'critical' },
            ]}
            onChange={setSeverity}
          />
          <TextField
            label="Starts"
            name="silenceStarts"
            type="datetime-local"
            value={startsAt}
            onInput={setStartsAt}
            required
          />
          <TextField
            label="Ends"
            name="silenceEnds"
            type="datetime-local"
            value={endsAt}
            onInput={setEndsAt}
            required
          />
          <TextField label="Comment" name="silenceComment" value={comment} onInput={setComment} required />
          <div class="field">
            <button type="submit">Silence</button>
          </div>
        </form>
      )}
      <ErrorMessage error={error} />
      <ListTable
        label="Silences"
        columns={['Matches', 'Starts', 'Ends', 'Comment']}
        actions
        rows={silences.data}
        loading={silences.loading}
        empty="No silences."
        row={(s) => (
          <tr key={s.id}>
            <td>
              {Object.entries(s.matchers ?? {})
                .map(([k, v]) => `${k}=${k === 'ruleId' ? (rules.data?.find((r) => r.id === v)?.name ?? v) : v}`)
                .join(', ') || 'everything'}
            </td>
            <td>{formatDateTime(s.startsAt)}</td>
            <td>{formatDateTime(s.endsAt)}</td>
            <td class="wrap">{s.comment ?? ''}</td>
            <td>
              {manage && (
                <button type="button" class="danger" onClick={() => remove(s)} aria-label="Delete silence">
                  Delete
                </button>
              )}
            </td>
          </tr>
        )}
      />
    </Section>
  );
}

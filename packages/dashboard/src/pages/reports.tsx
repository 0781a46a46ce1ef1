import { useEffect, useState } from 'preact/hooks';
import { api, listOf } from '../api';
import { ErrorMessage, ListTable, LoadError, ScrollRegion, Section, SelectField, TextField } from '../components/ui';
import { formatBytes, formatCount, formatDateTime, fromLocalInput, toLocalInput } from '../format';
import { useInterval, useLoad } from '../hooks';
import type { Me } from '../types';
import { type Channel, canManageAlerts } from './channels';

interface Report {
  id: string;
  status: 'queued' | 'running' | 'ready' | 'failed';
  rows?: number | null;
  bytes?: number | null;
  downloadUrl?: string | null;
  expiresAt?: string | null;
  error?: string | null;
}

interface Schedule {
  id: string;
  cron: string;
  format: 'csv' | 'parquet';
  range: 'last_1h' | 'last_24h' | 'last_7d';
  channelIds: string[];
}

const WHAT = 'Reports';
/** The API has no report listing: the ids this browser requested are remembered per workspace. */
const MAX_REMEMBERED = 20;

function rememberedKey(tenantId: string) {
  return `pulsestream.reports.${tenantId}`;
}

function loadRemembered(tenantId: string): string[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(rememberedKey(tenantId)) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function ReportsPage({ me }: { me: Me }) {
  return (
    <>
      <div class="page-head">
        <h1>Reports</h1>
      </div>
      <RequestReport me={me} />
      <Schedules me={me} />
    </>
  );
}

function RequestReport({ me }: { me: Me }) {
  const now = Date.now();
  const [from, setFrom] = useState(toLocalInput(now - 86_400_000));
  const [to, setTo] = useState(toLocalInput(now + 60_000));
  const [format, setFormat] = useState<'csv' | 'parquet'>('csv');
  const [source, setSource] = useState('');
  const [ids, setIds] = useState<string[]>(() => loadRemembered(me.tenant.id));
  const [reports, setReports] = useState<Map<string, Report | Error>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const manage = canManageAlerts(me);

  const refresh = async (which: string[]) => {
    const results = await Promise.all(
      which.map(async (id) => {
        try {
          return [id, await api<Report>('GET', `/v1/reports/${encodeURIComponent(id)}`)] as const;
        } catch (err) {
          return [id, err instanceof Error ? err : new Error(String(err))] as const;
        }
      }),
    );
    setReports((prev) => {
      const next = new Map(prev);
      for (const [id, r] of results) next.set(id, r);
      return next;
    });
  };
  // The reports the workspace already has (GET /v1/reports, where the server lists them), then their status;
  // without a listing, the ids this browser requested.
  useEffect(() => {
    void (async () => {
      let known = ids;
      try {
        const listed = listOf<Report>(await api('GET', '/v1/reports?limit=20')).map((r) => r.id);
        known = [...new Set([...ids, ...listed])].slice(0, MAX_REMEMBERED);
        setIds(known);
      } catch {
        // no listing on this server: keep what this browser remembers
      }
      if (known.length > 0) await refresh(known);
    })();
  }, []);

  const pendingIds = ids.filter((id) => {
    const r = reports.get(id);
    return !r || (!(r instanceof Error) && (r.status === 'queued' || r.status === 'running'));
  });
  useInterval(() => void refresh(pendingIds), pendingIds.length > 0 ? 1500 : null);

  const request = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { from: fromLocalInput(from), to: fromLocalInput(to), format };
      if (source.trim()) body.filter = { source: source.trim() };
      const created = await api<Report>('POST', '/v1/reports', { body });
      const next = [created.id, ...ids.filter((x) => x !== created.id)].slice(0, MAX_REMEMBERED);
      localStorage.setItem(rememberedKey(me.tenant.id), JSON.stringify(next));
      setIds(next);
      setReports((prev) => new Map(prev).set(created.id, created));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="Export events">
      {manage ? (
        <form class="toolbar" onSubmit={request} aria-label="Request a report">
          <TextField label="From" name="reportFrom" type="datetime-local" value={from} onInput={setFrom} required />
          <TextField label="To" name="reportTo" type="datetime-local" value={to} onInput={setTo} required />
          <SelectField
            label="Format"
            name="reportFormat"
            value={format}
            options={[
              { value: 'csv', label: 'CSV' },
              { value: 'parquet', label: 'Parquet' },
            ]}
            onChange={setFormat}
          />
          <TextField label="Source filter" name="reportSource" value={source} onInput={setSource} hint="Optional" />
          <div class="field">
            <button type="submit" disabled={busy}>
              Request report
            </button>
          </div>
        </form>
      ) : (
        <p class="muted">Viewers cannot request reports.</p>
      )}
      {error ? <LoadError error={error} what={WHAT} /> : null}
      {ids.length === 0 ? (
        <p class="muted">Reports you request appear here with their status and a download link.</p>
      ) : (
        <ScrollRegion label="Requested reports">
          <table>
            <caption class="sr-only">Reports requested from this browser</caption>
            <thead>
              <tr>
                <th scope="col">Report</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Rows
                </th>
                <th scope="col" class="num">
                  Size
                </th>
                <th scope="col">Link expires</th>
                <th scope="col">
                  <span class="sr-only">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {ids.map((id) => {
                const r = reports.get(id);
                if (r instanceof Error) {
                  return (
                    <tr key={id}>
                      <td class="mono">{id.slice(0, 8)}</td>
                      <td colSpan={5}>{r.message}</td>
                    </tr>
                  );
                }
                return (
                  <tr key={id} data-report-status={r?.status ?? 'loading'}>
                    <td class="mono">{id.slice(0, 8)}</td>
                    <td>
                      {r ? (
                        <span class={`badge ${r.status === 'ready' ? 'ok' : r.status === 'failed' ? 'bad' : 'warn'}`}>
                          {r.status}
                        </span>
                      ) : (
                        '…'
                      )}
                      {r?.error ? ` ${r.error}` : ''}
                    </td>
                    <td class="num">{r?.rows != null ? formatCount(r.rows) : '—'}</td>
                    <td class="num">{r?.bytes != null ? formatBytes(r.bytes) : '—'}</td>
                    <td>{formatDateTime(r?.expiresAt ?? null)}</td>
                    <td>
                      {r?.status === 'ready' && r.downloadUrl ? (
                        <a href={r.downloadUrl} download>
                          Download
                        </a>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </Section>
  );
}

const RANGES = [
  { value: 'last_1h', label: 'Last hour' },
  { value: 'last_24h', label: 'Last 24 hours' },
  { value: 'last_7d', label: 'Last 7 days' },
] as const;

function Schedules({ me }: { me: Me }) {
  const schedules = useLoad(
    async (signal) => listOf<Schedule>(await api('GET', '/v1/report-schedules', { signal })),
    [],
  );
  const channels = useLoad(async (signal) => listOf<Channel>(await api('GET', '/v1/channels', { signal })), []);
  const [cron, setCron] = useState('0 8 * * 1');
  const [format, setFormat] = useState<'csv' | 'parquet'>('csv');
  const [range, setRange] = useState<Schedule['range']>('last_7d');
  const [channelIds, setChannelIds] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const manage = canManageAlerts(me);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api('POST', '/v1/report-schedules', { body: { cron, format, range, channelIds } });
      schedules.reload();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (s: Schedule) => {
    setError(null);
    try {
      await api('DELETE', `/v1/report-schedules/${encodeURIComponent(s.id)}`);
      schedules.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section title="Schedules">
      {schedules.error ? (
        <LoadError error={schedules.error} what={WHAT} />
      ) : (
        <>
          {manage && (
            <form class="toolbar" onSubmit={create} aria-label="New report schedule">
              <TextField
                label="Cron"
                name="scheduleCron"
                value={cron}
                onInput={setCron}
                required
                hint="UTC, e.g. 0 8 * * 1 (Mondays 08:00)"
              />
              <SelectField label="Range" name="scheduleRange" value={range} options={RANGES} onChange={setRange} />
              <SelectField
                label="Format"
                name="scheduleFormat"
                value={format}
                options={[
                  { value: 'csv', label: 'CSV' },
                  { value: 'parquet', label: 'Parquet' },
                ]}
                onChange={setFormat}
              />
              <fieldset class="checks">
                <legend>Send to</legend>
                {(channels.data ?? []).length === 0 && <span class="muted">No channels.</span>}
                {channels.data?.map((c) => (
                  <label key={c.id}>
                    <input
                      type="checkbox"
                      checked={channelIds.includes(c.id)}
                      onChange={(e) =>
                        setChannelIds((prev) =>
                          (e.currentTarget as HTMLInputElement).checked
                            ? [...prev, c.id]
                            : prev.filter((x) => x !== c.id),
                        )
                      }
                    />{' '}
                    {c.name}
                  </label>
                ))}
              </fieldset>
              <div class="field">
                <button type="submit">Add schedule</button>
              </div>
            </form>
          )}
          <ErrorMessage error={error} />
          <ListTable
            label="Report schedules"
            columns={['Cron', 'Range', 'Format', 'Channels']}
            actions
            rows={schedules.data}
            loading={schedules.loading}
            empty="No schedules."
            row={(s) => (
              <tr key={s.id}>
                <td class="mono">{s.cron}</td>
                <td>{RANGES.find((r) => r.value === s.range)?.label ?? s.range}</td>
                <td>{s.format}</td>
                <td>
                  {(s.channelIds ?? []).map((id) => channels.data?.find((c) => c.id === id)?.name ?? id).join(', ') ||
                    '—'}
                </td>
                <td>
                  {manage && (
                    <button
                      type="button"
                      class="danger"
                      onClick={() => remove(s)}
                      aria-label={`Delete schedule ${s.cron}`}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            )}
          />
        </>
      )}
    </Section>
  );
}

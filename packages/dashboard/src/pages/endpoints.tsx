import { useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorMessage, Loading, ScrollRegion, Section, Segmented } from '../components/ui';
import {
  formatCount,
  formatMs,
  formatPercent,
  RANGES,
  type RangeName,
  rangeQuery,
  type SortDirection,
  sortRows,
} from '../format';
import { useLoad } from '../hooks';
import type { EndpointRow, Summary } from '../types';

type SortKey = 'source' | 'endpoint' | 'count' | 'errors' | 'errorRate' | 'latencyAvg' | 'latencyP95';

const COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: 'source', label: 'Source', numeric: false },
  { key: 'endpoint', label: 'Endpoint', numeric: false },
  { key: 'count', label: 'Requests', numeric: true },
  { key: 'errors', label: 'Errors', numeric: true },
  { key: 'errorRate', label: 'Error rate', numeric: true },
  { key: 'latencyAvg', label: 'Avg latency', numeric: true },
  { key: 'latencyP95', label: 'p95 latency', numeric: true },
];

export function EndpointsPage() {
  const [range, setRange] = useState<RangeName>('24h');
  const [sort, setSort] = useState<{ key: SortKey; direction: SortDirection }>({ key: 'count', direction: 'desc' });
  const summary = useLoad(
    async (signal) => {
      const q = rangeQuery(range, Date.now());
      return api<Summary>(
        'GET',
        `/v1/metrics/summary?from=${encodeURIComponent(q.from)}&to=${encodeURIComponent(q.to)}`,
        {
          signal,
        },
      );
    },
    [range],
  );
  const rows = useMemo(
    () => (summary.data ? sortRows<EndpointRow, SortKey>(summary.data.topEndpoints, sort.key, sort.direction) : []),
    [summary.data, sort],
  );
  const toggle = (key: SortKey, numeric: boolean) =>
    setSort((s) =>
      s.key === key
        ? { key, direction: s.direction === 'asc' ? 'desc' : 'asc' }
        : { key, direction: numeric ? 'desc' : 'asc' },
    );

  return (
    <>
      <div class="page-head">
        <h1>Endpoints</h1>
      </div>
      <Section
        title="Top endpoints"
        actions={<Segmented label="Range" options={RANGES} value={range} onChange={setRange} />}
      >
        {summary.error ? <ErrorMessage error={summary.error} /> : null}
        {summary.loading && !summary.data ? <Loading /> : null}
        {summary.data && (
          <dl class="tiles compact" aria-label={`Totals over the last ${range}`}>
            <div class="tile">
              <dt>Requests</dt>
              <dd>{formatCount(summary.data.count)}</dd>
            </div>
            <div class="tile">
              <dt>Errors</dt>
              <dd>{formatCount(summary.data.errors)}</dd>
            </div>
            <div class="tile">
              <dt>Error rate</dt>
              <dd>{formatPercent(summary.data.errorRate)}</dd>
            </div>
            <div class="tile">
              <dt>p95 latency</dt>
              <dd>{formatMs(summary.data.latency.p95)}</dd>
            </div>
          </dl>
        )}
        {summary.data && rows.length === 0 && <p class="muted">No traffic in this range.</p>}
        {rows.length > 0 && (
          <ScrollRegion label="Top endpoints table">
            <table>
              <caption class="sr-only">Endpoints, sortable by any column</caption>
              <thead>
                <tr>
                  {COLUMNS.map((c) => (
                    <th
                      key={c.key}
                      scope="col"
                      class={c.numeric ? 'num' : ''}
                      aria-sort={sort.key === c.key ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
                    >
                      <button type="button" class="sort" onClick={() => toggle(c.key, c.numeric)}>
                        {c.label}
                        <span aria-hidden="true">
                          {sort.key === c.key ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : ''}
                        </span>
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={`${r.source}\u0000${r.endpoint ?? ''}`}>
                    <td>{r.source}</td>
                    <td class="mono">{r.endpoint ?? '—'}</td>
                    <td class="num">{formatCount(r.count)}</td>
                    <td class="num">{formatCount(r.errors)}</td>
                    <td class="num">{formatPercent(r.errorRate)}</td>
                    <td class="num">{formatMs(r.latencyAvg)}</td>
                    <td class="num">{formatMs(r.latencyP95 ?? null)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </Section>
      {summary.data && summary.data.topErrors.length > 0 && (
        <Section title="Most errors">
          <ScrollRegion label="Endpoints with the most errors">
            <table>
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Endpoint</th>
                  <th scope="col" class="num">
                    Errors
                  </th>
                  <th scope="col" class="num">
                    Error rate
                  </th>
                </tr>
              </thead>
              <tbody>
                {summary.data.topErrors.map((r) => (
                  <tr key={`${r.source}\u0000${r.endpoint ?? ''}`}>
                    <td>{r.source}</td>
                    <td class="mono">{r.endpoint ?? '—'}</td>
                    <td class="num">{formatCount(r.errors)}</td>
                    <td class="num">{formatPercent(r.errorRate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </Section>
      )}
    </>
  );
}

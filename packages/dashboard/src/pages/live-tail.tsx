import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ScrollRegion, Section, SelectField, TextField } from '../components/ui';
import { formatClock, formatMs, STATUS_FILTERS, type StatusFilter, statusMatches } from '../format';
import { LiveConnection, type LiveStatus } from '../live';
import type { LiveEvent, LiveMessage } from '../types';

/** Rows kept on screen; older ones fall off the bottom. */
const MAX_ROWS = 500;

export function LiveTailPage() {
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [source, setSource] = useState('');
  const [endpoint, setEndpoint] = useState('');
  const [statusFilter, setStatusFilter] = useState<StatusFilter>('all');
  const [paused, setPaused] = useState(false);
  const [buffered, setBuffered] = useState(0);
  const [dropped, setDropped] = useState(0);
  const pausedRef = useRef(false);
  const pending = useRef<LiveEvent[]>([]);
  const live = useRef<LiveConnection | null>(null);

  useEffect(() => {
    const connection = new LiveConnection((message: LiveMessage) => {
      if (message.type === 'snapshot') {
        // A (re)subscription: the hub answers with its recent events for the new filter.
        pending.current = [];
        setBuffered(0);
        setEvents(newestFirst(message.events ?? []).slice(0, MAX_ROWS));
      } else if (message.type === 'events') {
        if (message.dropped) setDropped((d) => d + (message.dropped ?? 0));
        if (pausedRef.current) {
          pending.current = [...newestFirst(message.events), ...pending.current].slice(0, MAX_ROWS);
          setBuffered(pending.current.length);
        } else {
          setEvents((prev) => [...newestFirst(message.events), ...prev].slice(0, MAX_ROWS));
        }
      }
    }, setStatus);
    live.current = connection;
    connection.start();
    return () => connection.close();
  }, []);

  // Source and endpoint are filtered by the hub; a short pause after typing avoids a subscribe per key.
  useEffect(() => {
    const timer = setTimeout(() => live.current?.subscribe({ source, endpoint }), 300);
    return () => clearTimeout(timer);
  }, [source, endpoint]);

  const togglePause = () => {
    const next = !paused;
    pausedRef.current = next;
    setPaused(next);
    if (!next && pending.current.length > 0) {
      const held = pending.current;
      pending.current = [];
      setBuffered(0);
      setEvents((prev) => [...held, ...prev].slice(0, MAX_ROWS));
    }
  };

  const shown = useMemo(() => events.filter((e) => statusMatches(statusFilter, e)), [events, statusFilter]);

  return (
    <>
      <div class="page-head">
        <h1>Live tail</h1>
        <span class={`badge ${status === 'open' ? 'ok' : 'warn'}`} role="status">
          {status === 'open' ? (paused ? 'Paused' : 'Live') : 'Connecting…'}
        </span>
      </div>
      <Section title="Filters">
        <div class="toolbar">
          <TextField label="Source" name="source" value={source} onInput={setSource} placeholder="e.g. stripe" />
          <TextField
            label="Endpoint"
            name="endpoint"
            value={endpoint}
            onInput={setEndpoint}
            placeholder="e.g. POST /v1/charges"
          />
          <SelectField
            label="Status"
            name="status"
            value={statusFilter}
            onChange={setStatusFilter}
            options={STATUS_FILTERS.map((s) => ({
              value: s,
              label: s === 'all' ? 'All' : s === 'errors' ? 'Errors (5xx or error)' : s,
            }))}
          />
          <div class="field">
            <button type="button" onClick={togglePause} aria-pressed={paused}>
              {paused ? 'Resume' : 'Pause'}
            </button>
          </div>
        </div>
        <p class="muted" aria-live="polite">
          {paused && buffered > 0 ? `${buffered} new event${buffered === 1 ? '' : 's'} held while paused. ` : ''}
          {dropped > 0 ? `${dropped} events were not shown (more than the live feed sends per frame).` : ''}
        </p>
      </Section>
      <section class="card" aria-label="Events, newest first">
        {shown.length === 0 ? (
          <p class="muted">
            No events yet{source || endpoint || statusFilter !== 'all' ? ' for these filters' : ''}. New events appear
            here as they arrive.
          </p>
        ) : (
          <ScrollRegion label="Live events">
            <table class="events">
              <caption class="sr-only">Live events, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Source</th>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Status</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Type</th>
                  <th scope="col">Country</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((e) => (
                  <tr key={e.id} class={statusMatches('errors', e) ? 'error-row' : ''}>
                    <td class="mono">{formatClock(e.timestamp)}</td>
                    <td>{e.source}</td>
                    <td class="mono">{e.endpoint ?? (e.method ? e.method : '—')}</td>
                    <td>{e.status ?? '—'}</td>
                    <td class="num">{formatMs(e.latencyMs)}</td>
                    <td>{e.type ?? 'api_call'}</td>
                    <td>{e.country ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </section>
    </>
  );
}

function newestFirst(events: LiveEvent[]): LiveEvent[] {
  return [...events].reverse();
}

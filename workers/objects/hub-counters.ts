import {
  type CounterEvent,
  CumulativeCounters,
  MAX_SERIES,
  type SeriesCounts,
} from '@pulsestream/core/prometheus-counters';

/** The hub's cumulative series, as the Prometheus exposition needs them. */
export interface CounterSnapshot {
  counters: SeriesCounts[];
  seriesLimit: { max: number; overflowed: boolean };
}

/**
 * The tenant's cumulative Prometheus series, kept in the hub's SQLite storage so that a hub restart (eviction,
 * deploy) is not a counter reset. Each `record` writes the series it changed in the caller's storage
 * transaction, one row per series, so the write cost is per distinct series in a batch, not per event.
 */
export class HubCounters {
  private readonly counters: CumulativeCounters;

  constructor(private readonly sql: SqlStorage) {
    sql.exec('CREATE TABLE IF NOT EXISTS prom_series (key TEXT PRIMARY KEY, data TEXT NOT NULL)');
    const rows: SeriesCounts[] = [];
    for (const row of sql.exec<{ data: string }>('SELECT data FROM prom_series')) {
      try {
        rows.push(JSON.parse(row.data) as SeriesCounts);
      } catch {
        // An unreadable row loses one series' history; it must not keep the hub from starting.
      }
    }
    this.counters = new CumulativeCounters(rows, MAX_SERIES);
  }

  /** Counts stored events; call inside the storage transaction that records them. */
  record(events: Iterable<CounterEvent>): void {
    for (const s of this.counters.add(events)) {
      this.sql.exec(
        'INSERT INTO prom_series (key, data) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET data = excluded.data',
        JSON.stringify([s.source, s.endpoint, s.statusClass]),
        JSON.stringify(s),
      );
    }
  }

  snapshot(): CounterSnapshot {
    return {
      counters: this.counters.all(),
      seriesLimit: { max: this.counters.maxSeries, overflowed: this.counters.overflowed },
    };
  }
}

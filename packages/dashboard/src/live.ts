import { api } from './api';
import type { LiveMessage } from './types';

export type LiveStatus = 'connecting' | 'open' | 'closed';

export interface LiveFilter {
  source?: string;
  endpoint?: string;
}

/**
 * The live WebSocket: a single-use ticket from `POST /v1/live/ticket`, then `GET /v1/live?ticket=…`.
 * Reconnects with a fresh ticket and capped backoff until closed; a new filter is sent as `subscribe`,
 * which makes the hub answer with a fresh snapshot.
 */
export class LiveConnection {
  private ws: WebSocket | null = null;
  private closed = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private filter: LiveFilter = {};

  constructor(
    private readonly onMessage: (message: LiveMessage) => void,
    private readonly onStatus: (status: LiveStatus) => void,
  ) {}

  start(filter: LiveFilter = {}): void {
    this.filter = filter;
    void this.connect();
  }

  subscribe(filter: LiveFilter): void {
    this.filter = filter;
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: 'subscribe', filter: cleanFilter(filter) }));
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'page closed');
    this.ws = null;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.onStatus('connecting');
    let ticket: string;
    try {
      ticket = (await api<{ ticket: string }>('POST', '/v1/live/ticket')).ticket;
    } catch {
      this.retry();
      return;
    }
    if (this.closed) return;
    const url = new URL('/v1/live', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('ticket', ticket);
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempts = 0;
      this.onStatus('open');
      const filter = cleanFilter(this.filter);
      if (Object.keys(filter).length > 0) ws.send(JSON.stringify({ type: 'subscribe', filter }));
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      try {
        this.onMessage(JSON.parse(event.data) as LiveMessage);
      } catch {
        // a frame that is not JSON is not ours to show
      }
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      if (!this.closed) this.retry();
    };
  }

  private retry(): void {
    if (this.closed) return;
    this.onStatus('closed');
    const delay = Math.min(30_000, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts++;
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}

function cleanFilter(filter: LiveFilter): LiveFilter {
  const out: LiveFilter = {};
  if (filter.source?.trim()) out.source = filter.source.trim();
  if (filter.endpoint?.trim()) out.endpoint = filter.endpoint.trim();
  return out;
}

// Shapes of the API answers the dashboard reads (see docs/api.md and /openapi.json). Only what is used.

export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface User {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
}

export interface Tenant {
  id: string;
  name: string;
  slug: string;
  plan: string;
}

export interface Me {
  user: User;
  tenant: Tenant;
}

export type WindowName = '1m' | '5m' | '15m' | '1h';
export const WINDOW_NAMES: WindowName[] = ['1m', '5m', '15m', '1h'];

export interface WindowStats {
  count: number;
  errors: number;
  errorRate: number;
  eventsPerSec: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export type Windows = Record<WindowName, WindowStats>;

export interface LiveEvent {
  id: string;
  timestamp: string | number;
  type?: string | null;
  source: string;
  endpoint?: string | null;
  method?: string | null;
  status?: number | null;
  latencyMs?: number | null;
  country?: string | null;
}

export type LiveMessage =
  | { type: 'snapshot'; t: number; windows: Windows; events?: LiveEvent[] }
  | { type: 'events'; t: number; events: LiveEvent[]; dropped?: number }
  | { type: 'metrics'; t: number; windows: Windows }
  | { type: 'alert'; [key: string]: unknown }
  | { type: 'pong' }
  | { type: 'error'; message: string };

export interface Timeseries {
  metric: string;
  interval: string;
  from: string;
  to: string;
  series: { group: string | null; points: { t: string; value: number | null }[] }[];
}

export interface EndpointRow {
  source: string;
  endpoint: string | null;
  count: number;
  errors: number;
  errorRate: number;
  latencyAvg: number | null;
  latencyP95?: number | null;
}

export interface Summary {
  from: string;
  to: string;
  count: number;
  errors: number;
  errorRate: number;
  latency: { p50: number | null; p95: number | null; p99: number | null; avg: number | null };
  topEndpoints: EndpointRow[];
  topErrors: { source: string; endpoint: string | null; errors: number; count: number; errorRate: number }[];
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ('ingest' | 'read')[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  key: string;
}

export interface Usage {
  days: { date: string; accepted: number; rejected: number; rateLimited: number; bytes: number }[];
  plan: { monthlyEvents: number; used: number };
}

export interface DeadLetter {
  id: string;
  queue: string;
  messageId: string;
  reason: string;
  attempts: number;
  events: number;
  createdAt: string;
  redrivenAt: string | null;
  redriveCount: number;
}

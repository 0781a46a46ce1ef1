/**
 * Delivery policy shared by the notifications consumer and its tests: which outcomes are retried, how long to
 * wait between attempts, when to give up, and the request each channel type sends.
 */
import type { NotifyEventType } from './message';

/** Attempts per delivery before it goes to the dead-letter queue. */
export const MAX_DELIVERY_ATTEMPTS = 6;
/** Per-attempt timeout. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * Seconds to wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed: 1, 2, 4, 8, 16 …,
 * capped at 5 minutes. Small first steps so a receiver's brief outage costs seconds, not minutes.
 */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(300, 2 ** Math.max(0, attempt - 1));
}

export type AttemptOutcome =
  | { kind: 'success'; status: number }
  | { kind: 'retry'; status: number | null; error: string }
  | { kind: 'final'; status: number | null; error: string };

/**
 * Classifies a receiver's answer: 2xx success; 5xx, 408 and 429 retried; any other 4xx final (the receiver
 * refuses the request itself); 3xx final, because redirects are never followed (a redirect could point anywhere).
 */
export function classifyStatus(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'success', status };
  if (status >= 300 && status < 400) {
    return { kind: 'final', status, error: `redirect (${status}) not followed` };
  }
  if (status >= 500 || status === 408 || status === 429) return { kind: 'retry', status, error: `HTTP ${status}` };
  return { kind: 'final', status, error: `HTTP ${status}` };
}

/** The JSON body every webhook delivery carries. */
export interface WebhookBody {
  type: NotifyEventType;
  tenantId: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** A human line for Slack and email: the rule, the value, the threshold; for reports, the link or the failure. */
export function describeNotification(event: NotifyEventType, data: Record<string, unknown>): string {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v * 1e4) / 1e4) : 'n/a');
  const ruleName = typeof data.ruleName === 'string' ? data.ruleName : 'alert rule';
  switch (event) {
    case 'alert.firing':
      return `FIRING [${String(data.severity ?? 'warning')}] ${ruleName}: ${String(data.metric ?? 'value')} = ${num(data.value)} (threshold ${num(data.threshold)})`;
    case 'alert.resolved':
      return `RESOLVED ${ruleName}: ${String(data.metric ?? 'value')} = ${num(data.value)} (threshold ${num(data.threshold)})`;
    case 'report.ready':
      return `Report ready: ${String(data.downloadUrl ?? data.reportId ?? '')}`;
    case 'report.failed':
      return `Report failed: ${typeof data.error === 'string' ? data.error : 'unknown error'} (report ${String(data.reportId ?? 'unknown')})`;
    case 'test':
      return 'PulseStream test notification: this channel is set up correctly.';
  }
}

/**
 * The incident explanation carried in an alert's `data.explanation` (summary, likely cause, evidence), as lines
 * of text for Slack and email; '' when there is none or it is malformed. Bounded: at most 5 evidence lines.
 */
export function describeExplanation(data: Record<string, unknown>): string {
  const e = data.explanation;
  if (typeof e !== 'object' || e === null) return '';
  const { summary, likelyCause, evidence } = e as Record<string, unknown>;
  if (typeof summary !== 'string' || summary === '') return '';
  const lines = [summary];
  if (typeof likelyCause === 'string' && likelyCause !== '') lines.push(`Likely cause: ${likelyCause}`);
  if (Array.isArray(evidence)) {
    for (const item of evidence.slice(0, 5)) if (typeof item === 'string') lines.push(`- ${item}`);
  }
  return lines.join('\n');
}

/**
 * One delivery attempt of a notification to a channel: the SSRF guard (literal check, then DNS), the request per
 * channel type (signed webhook, Slack incoming webhook, email HTTP API), a timeout, and no redirects followed.
 * Used by the notifications consumer and by `POST /v1/channels/:id/test`.
 */
import {
  type AttemptOutcome,
  classifyStatus,
  DELIVERY_TIMEOUT_MS,
  describeExplanation,
  describeNotification,
  type WebhookBody,
} from '@pulsestream/core/notifications/delivery';
import type { NotifyMessage } from '@pulsestream/core/notifications/message';
import { signWebhook } from '@pulsestream/core/notifications/signing';
import { checkResolvedAddresses, checkTargetUrl, type Resolver } from '@pulsestream/core/notifications/ssrf';
import type { Config } from './config';

export type ChannelType = 'webhook' | 'slack' | 'email';

export interface DeliverableChannel {
  id: string;
  type: string;
  name: string;
  config: unknown;
  signingSecret: string | null;
}

export interface DeliveryDeps {
  config: Pick<
    Config,
    'ENVIRONMENT' | 'EMAIL_API_URL' | 'EMAIL_API_KEY' | 'EMAIL_FROM' | 'PUBLIC_BASE_URL' | 'JWT_ISSUER'
  >;
  resolver: Resolver;
  fetch: typeof fetch;
  now(): number;
}

/** Development and tests may target http://127.0.0.1 and http://localhost; production never. */
export function targetPolicy(environment: Config['ENVIRONMENT']) {
  return { allowLoopbackHttp: environment === 'development' || environment === 'test' };
}

/**
 * DNS over HTTPS (the JSON API of Cloudflare's 1.1.1.1 and Google's resolvers): A and AAAA answers. Workers cannot
 * resolve names themselves, so this is how the delivery-time check learns where a hostname points. Throws on a
 * resolver failure (the caller retries); an empty answer is an empty list.
 */
export function dohResolver(endpoint: string, fetcher: typeof fetch): Resolver {
  return {
    async resolve(hostname) {
      const ask = async (type: 'A' | 'AAAA') => {
        const url = new URL(endpoint);
        url.searchParams.set('name', hostname);
        url.searchParams.set('type', type);
        const res = await fetcher(url.toString(), {
          headers: { accept: 'application/dns-json' },
          signal: AbortSignal.timeout(5_000),
          redirect: 'manual',
        });
        if (!res.ok) throw new Error(`DNS resolver answered ${res.status}`);
        const body = (await res.json()) as { Status?: number; Answer?: { type?: number; data?: string }[] };
        // NXDOMAIN (3) is an answer, not a failure: no addresses.
        if (body.Status !== 0 && body.Status !== 3) throw new Error(`DNS resolver status ${body.Status}`);
        const want = type === 'A' ? 1 : 28;
        return (body.Answer ?? [])
          .filter((a) => a.type === want && typeof a.data === 'string')
          .map((a) => a.data as string);
      };
      const [v4, v6] = await Promise.all([ask('A'), ask('AAAA')]);
      return [...v4, ...v6];
    },
  };
}

type Attempt = AttemptOutcome & { durationMs: number };

function urlOf(channel: DeliverableChannel): string | null {
  const config = channel.config as { url?: unknown } | null;
  return typeof config?.url === 'string' ? config.url : null;
}

/** The SSRF guard at delivery time: the literal check again, then every address the hostname resolves to now. */
async function guardTarget(
  raw: string,
  deps: DeliveryDeps,
): Promise<{ ok: true; url: URL } | { ok: false; outcome: AttemptOutcome }> {
  const checked = checkTargetUrl(raw, targetPolicy(deps.config.ENVIRONMENT));
  if (!checked.ok) return { ok: false, outcome: { kind: 'final', status: null, error: `refused: ${checked.reason}` } };
  if (checked.literal || checked.url.hostname === 'localhost') return { ok: true, url: checked.url };
  let addresses: string[];
  try {
    addresses = await deps.resolver.resolve(checked.url.hostname);
  } catch (err) {
    return {
      ok: false,
      outcome: { kind: 'retry', status: null, error: `DNS lookup failed: ${(err as Error).message}` },
    };
  }
  const resolved = checkResolvedAddresses(checked.url.hostname, addresses);
  if (!resolved.ok)
    return { ok: false, outcome: { kind: 'final', status: null, error: `refused: ${resolved.reason}` } };
  return { ok: true, url: checked.url };
}

async function send(url: string, init: RequestInit, deps: DeliveryDeps): Promise<AttemptOutcome> {
  try {
    const res = await deps.fetch(url, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    // Drain, bounded: the body is not needed, and an unread body holds the connection.
    await res.body?.cancel().catch(() => undefined);
    return classifyStatus(res.status);
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    return {
      kind: 'retry',
      status: null,
      error: timedOut ? `timed out after ${DELIVERY_TIMEOUT_MS} ms` : `network error: ${e.message}`,
    };
  }
}

function linkFor(message: NotifyMessage, deps: DeliveryDeps): string | null {
  const base = (deps.config.PUBLIC_BASE_URL ?? deps.config.JWT_ISSUER).replace(/\/$/, '');
  if (message.alertId) return `${base}/v1/alerts/${message.alertId}`;
  const download = message.data.downloadUrl;
  return typeof download === 'string' ? download : null;
}

/** Makes one attempt to deliver `message` to `channel`. Never throws. */
export async function attemptDelivery(
  channel: DeliverableChannel,
  message: NotifyMessage,
  deps: DeliveryDeps,
): Promise<Attempt> {
  const started = deps.now();
  const outcome = await attemptOnce(channel, message, deps);
  return { ...outcome, durationMs: deps.now() - started };
}

async function attemptOnce(
  channel: DeliverableChannel,
  message: NotifyMessage,
  deps: DeliveryDeps,
): Promise<AttemptOutcome> {
  if (channel.type === 'email') return sendEmail(channel, message, deps);
  const raw = urlOf(channel);
  if (!raw) return { kind: 'final', status: null, error: 'channel has no URL' };
  const guarded = await guardTarget(raw, deps);
  if (!guarded.ok) return guarded.outcome;
  if (channel.type === 'slack') {
    const link = linkFor(message, deps);
    const why = describeExplanation(message.data);
    const text =
      describeNotification(message.event, message.data) +
      (why ? `\n${why}` : '') +
      (link ? `\n<${link}|Open in PulseStream>` : '');
    return send(
      guarded.url.toString(),
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) },
      deps,
    );
  }
  if (channel.type !== 'webhook') return { kind: 'final', status: null, error: `unknown channel type ${channel.type}` };
  if (!channel.signingSecret) return { kind: 'final', status: null, error: 'webhook channel has no signing secret' };
  const body: WebhookBody = {
    type: message.event,
    tenantId: message.tenantId,
    timestamp: new Date(deps.now()).toISOString(),
    data: message.data,
  };
  const text = JSON.stringify(body);
  // Signed at each attempt (the timestamp is the attempt's), with the delivery's stable id.
  const headers = await signWebhook(channel.signingSecret, message.deliveryId, deps.now() / 1000, text);
  return send(
    guarded.url.toString(),
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'PulseStream-Webhooks/1', ...headers },
      body: text,
    },
    deps,
  );
}

/**
 * Email through the configured HTTP API: `POST EMAIL_API_URL` with `Authorization: Bearer EMAIL_API_KEY`,
 * `Idempotency-Key: <deliveryId>` and JSON `{from, to: string[], subject, text}` (the shape Resend, Postmark-style
 * and most transactional APIs accept, or a thin adapter in front of one). The URL is operator configuration, not
 * tenant input, so it is not subject to the SSRF guard.
 */
async function sendEmail(
  channel: DeliverableChannel,
  message: NotifyMessage,
  deps: DeliveryDeps,
): Promise<AttemptOutcome> {
  const { EMAIL_API_URL, EMAIL_API_KEY, EMAIL_FROM } = deps.config;
  if (!EMAIL_API_URL || !EMAIL_FROM) {
    return { kind: 'final', status: null, error: 'email is not configured (EMAIL_API_URL, EMAIL_FROM)' };
  }
  const config = channel.config as { to?: unknown } | null;
  const to = Array.isArray(config?.to) ? config.to.filter((t): t is string => typeof t === 'string') : [];
  if (to.length === 0) return { kind: 'final', status: null, error: 'email channel has no recipients' };
  const line = describeNotification(message.event, message.data);
  const why = describeExplanation(message.data);
  const link = linkFor(message, deps);
  return send(
    EMAIL_API_URL,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': message.deliveryId,
        ...(EMAIL_API_KEY ? { authorization: `Bearer ${EMAIL_API_KEY}` } : {}),
      },
      body: JSON.stringify({
        from: EMAIL_FROM,
        to,
        subject: `[PulseStream] ${line}`.slice(0, 200),
        text: [line, why, link].filter((part) => part).join('\n\n'),
      }),
    },
    deps,
  );
}

/** Production dependencies: global fetch and DNS over HTTPS. */
export function deliveryDeps(config: Config): DeliveryDeps {
  const fetcher: typeof fetch = (input, init) => fetch(input, init);
  return { config, resolver: dohResolver(config.DNS_RESOLVER_URL, fetcher), fetch: fetcher, now: () => Date.now() };
}

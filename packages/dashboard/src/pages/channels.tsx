import { useState } from 'preact/hooks';
import { api, listOf } from '../api';
import {
  CodeBlock,
  CopyButton,
  ErrorMessage,
  ListTable,
  LoadError,
  Section,
  SelectField,
  TextField,
} from '../components/ui';
import { useLoad } from '../hooks';
import type { Me } from '../types';

export interface Channel {
  id: string;
  type: 'webhook' | 'slack' | 'email';
  name: string;
  config?: { url?: string; to?: string | string[] };
}

const TYPES = [
  { value: 'webhook', label: 'Webhook' },
  { value: 'slack', label: 'Slack (incoming webhook URL)' },
  { value: 'email', label: 'Email' },
] as const;
type ChannelType = (typeof TYPES)[number]['value'];

/** The `whsec_…` secret a webhook channel's creation answers with, wherever the API puts it. */
export function findWebhookSecret(body: unknown): string | null {
  if (typeof body === 'string') return body.startsWith('whsec_') ? body : null;
  if (!body || typeof body !== 'object') return null;
  for (const value of Object.values(body as Record<string, unknown>)) {
    const found = findWebhookSecret(value);
    if (found) return found;
  }
  return null;
}

export const canManageAlerts = (me: Me) => me.user.role !== 'viewer';

export function ChannelsSection({ me }: { me: Me }) {
  const channels = useLoad(async (signal) => listOf<Channel>(await api('GET', '/v1/channels', { signal })), []);
  const [type, setType] = useState<ChannelType>('webhook');
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<void>) => {
    setError(null);
    setNote(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const config = type === 'email' ? { to: target } : { url: target };
      const created = await api<unknown>('POST', '/v1/channels', { body: { type, name, config } });
      setSecret(findWebhookSecret(created));
      setName('');
      setTarget('');
      channels.reload();
    });
  };
  const remove = (c: Channel) => {
    if (!confirm(`Delete the channel "${c.name}"?`)) return;
    void run(async () => {
      await api('DELETE', `/v1/channels/${encodeURIComponent(c.id)}`);
      channels.reload();
    });
  };
  const test = (c: Channel) =>
    void run(async () => {
      await api('POST', `/v1/channels/${encodeURIComponent(c.id)}/test`);
      setNote(`Test notification sent to "${c.name}".`);
    });
  const manage = canManageAlerts(me);
  return (
    <Section title="Notification channels">
      {channels.error ? (
        <LoadError error={channels.error} what="Notification channels (the alerting API)" />
      ) : (
        <>
          {manage && (
            <form class="toolbar" onSubmit={create} aria-label="Add a notification channel">
              <SelectField label="Channel type" name="channelType" value={type} options={TYPES} onChange={setType} />
              <TextField label="Channel name" name="channelName" value={name} onInput={setName} required />
              <TextField
                label={type === 'email' ? 'Email address' : 'URL'}
                name="channelTarget"
                type={type === 'email' ? 'email' : 'url'}
                value={target}
                onInput={setTarget}
                required
              />
              <div class="field">
                <button type="submit">Add channel</button>
              </div>
            </form>
          )}
          {secret && (
            <div class="notice ok" role="status">
              <p>
                <strong>Webhook signing secret</strong>, shown only once: verify the <code>webhook-signature</code>{' '}
                header with it.
              </p>
              <CodeBlock label="Webhook signing secret" text={secret} />
              <CopyButton text={secret} label="Copy secret" />
            </div>
          )}
          {note && (
            <p class="notice ok" role="status">
              {note}
            </p>
          )}
          <ErrorMessage error={error} />
          <ListTable
            label="Notification channels"
            columns={['Name', 'Type', 'Target']}
            actions
            rows={channels.data}
            loading={channels.loading}
            empty="No channels yet."
            row={(c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>{c.type}</td>
                <td class="mono wrap">{c.config?.url ?? ([c.config?.to ?? []].flat().join(', ') || '—')}</td>
                <td class="actions">
                  {manage && (
                    <>
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => test(c)}
                        aria-label={`Send a test to ${c.name}`}
                      >
                        Test
                      </button>
                      <button
                        type="button"
                        class="danger"
                        onClick={() => remove(c)}
                        aria-label={`Delete channel ${c.name}`}
                      >
                        Delete
                      </button>
                    </>
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

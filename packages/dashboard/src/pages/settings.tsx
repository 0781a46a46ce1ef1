import { useState } from 'preact/hooks';
import { api, listOf } from '../api';
import {
  CodeBlock,
  CopyButton,
  ErrorMessage,
  ListTable,
  LoadError,
  Loading,
  Section,
  SelectField,
  TextField,
} from '../components/ui';
import { formatBytes, formatCount, formatDateTime } from '../format';
import { useLoad } from '../hooks';
import type { ApiKey, CreatedApiKey, DeadLetter, Me, Role, Usage, User } from '../types';
import { ChannelsSection } from './channels';

const isAdmin = (me: Me) => me.user.role === 'owner' || me.user.role === 'admin';

export function SettingsPage({ me }: { me: Me }) {
  return (
    <>
      <div class="page-head">
        <h1>Settings</h1>
      </div>
      {isAdmin(me) ? (
        <>
          <ApiKeysSection />
          <UsersSection me={me} />
        </>
      ) : (
        <p class="notice">API keys and users are managed by the workspace's admins.</p>
      )}
      <ChannelsSection me={me} />
      <UsageSection />
      {isAdmin(me) && <DeadLettersSection />}
    </>
  );
}

/** Runs a mutation, keeping its error for the form and reloading the list after success. */
function useAction() {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run };
}

function ApiKeysSection() {
  const keys = useLoad(async (signal) => listOf<ApiKey>(await api('GET', '/v1/api-keys', { signal })), []);
  const [name, setName] = useState('');
  const [ingest, setIngest] = useState(true);
  const [read, setRead] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const action = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    const scopes = [...(ingest ? ['ingest'] : []), ...(read ? ['read'] : [])];
    void action.run(async () => {
      setCreated(await api<CreatedApiKey>('POST', '/v1/api-keys', { body: { name, scopes } }));
      setName('');
      keys.reload();
    });
  };
  const revoke = (key: ApiKey) => {
    if (!confirm(`Revoke the key "${key.name}" (${key.prefix}…)? Requests using it are refused from now on.`)) return;
    void action.run(async () => {
      await api('DELETE', `/v1/api-keys/${encodeURIComponent(key.id)}`);
      keys.reload();
    });
  };
  const live = (keys.data ?? []).filter((k) => !k.revokedAt);
  return (
    <Section title="API keys">
      <form class="toolbar" onSubmit={create} aria-label="Create an API key">
        <TextField
          label="Key name"
          name="keyName"
          value={name}
          onInput={setName}
          required
          placeholder="production ingest"
        />
        <fieldset class="checks">
          <legend>Scopes</legend>
          <label>
            <input
              type="checkbox"
              checked={ingest}
              onChange={(e) => setIngest((e.currentTarget as HTMLInputElement).checked)}
            />{' '}
            ingest
          </label>
          <label>
            <input
              type="checkbox"
              checked={read}
              onChange={(e) => setRead((e.currentTarget as HTMLInputElement).checked)}
            />{' '}
            read
          </label>
        </fieldset>
        <div class="field">
          <button type="submit" disabled={action.busy || (!ingest && !read)}>
            Create key
          </button>
        </div>
      </form>
      {created && (
        <div class="notice ok" role="status">
          <p>
            <strong>Key "{created.name}" created.</strong> Copy it now: it is shown only once.
          </p>
          <CodeBlock label="The new API key" text={created.key} testId="created-key" />
          <CopyButton text={created.key} label="Copy key" />{' '}
          <button type="button" class="secondary" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <ErrorMessage error={action.error} />
      {keys.error ? <ErrorMessage error={keys.error} /> : null}
      <ListTable
        label="API keys"
        columns={['Name', 'Key', 'Scopes', 'Created', 'Last used']}
        actions
        rows={keys.data ? live : undefined}
        loading={keys.loading}
        empty="No active keys."
        row={(k) => (
          <tr key={k.id}>
            <td>{k.name}</td>
            <td class="mono">{k.prefix}…</td>
            <td>{k.scopes.join(', ')}</td>
            <td>{formatDateTime(k.createdAt)}</td>
            <td>{k.lastUsedAt ? formatDateTime(k.lastUsedAt) : 'never'}</td>
            <td>
              <button type="button" class="danger" onClick={() => revoke(k)} aria-label={`Revoke key ${k.name}`}>
                Revoke
              </button>
            </td>
          </tr>
        )}
      />
    </Section>
  );
}

const ROLES: { value: Role; label: string }[] = [
  { value: 'viewer', label: 'Viewer (read only)' },
  { value: 'member', label: 'Member (alerts, channels, reports)' },
  { value: 'admin', label: 'Admin (users, keys)' },
  { value: 'owner', label: 'Owner' },
];

function UsersSection({ me }: { me: Me }) {
  const users = useLoad(async (signal) => listOf<User>(await api('GET', '/v1/users', { signal })), []);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('member');
  const action = useAction();
  const add = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await api('POST', '/v1/users', { body: { email, password, role } });
      setEmail('');
      setPassword('');
      users.reload();
    });
  };
  const changeRole = (user: User, next: Role) =>
    void action.run(async () => {
      await api('PATCH', `/v1/users/${encodeURIComponent(user.id)}`, { body: { role: next } });
      users.reload();
    });
  const remove = (user: User) => {
    if (!confirm(`Remove ${user.email} from this workspace?`)) return;
    void action.run(async () => {
      await api('DELETE', `/v1/users/${encodeURIComponent(user.id)}`);
      users.reload();
    });
  };
  return (
    <Section title="Users and roles">
      <form class="toolbar" onSubmit={add} aria-label="Add a user">
        <TextField
          label="Email"
          name="userEmail"
          type="email"
          value={email}
          onInput={setEmail}
          required
          autoComplete="off"
        />
        <TextField
          label="Initial password"
          name="userPassword"
          type="password"
          value={password}
          onInput={setPassword}
          required
          minLength={10}
          autoComplete="new-password"
        />
        <SelectField label="Role" name="userRole" value={role} options={ROLES} onChange={setRole} />
        <div class="field">
          <button type="submit" disabled={action.busy}>
            Add user
          </button>
        </div>
      </form>
      <ErrorMessage error={action.error} />
      {users.error ? <ErrorMessage error={users.error} /> : null}
      <ListTable
        label="Users"
        columns={['Email', 'Role', 'Since']}
        actions
        rows={users.data}
        empty="No users."
        row={(u) => (
          <tr key={u.id}>
            <td>{u.email}</td>
            <td>
              {u.id === me.user.id ? (
                `${u.role} (you)`
              ) : (
                <select
                  aria-label={`Role of ${u.email}`}
                  value={u.role}
                  onChange={(e) => changeRole(u, (e.currentTarget as HTMLSelectElement).value as Role)}
                >
                  {ROLES.map((r) => (
                    <option key={r.value} value={r.value}>
                      {r.value}
                    </option>
                  ))}
                </select>
              )}
            </td>
            <td>{formatDateTime(u.createdAt)}</td>
            <td>
              {u.id !== me.user.id && (
                <button type="button" class="danger" onClick={() => remove(u)} aria-label={`Remove ${u.email}`}>
                  Remove
                </button>
              )}
            </td>
          </tr>
        )}
      />
    </Section>
  );
}

function UsageSection() {
  const usage = useLoad(async (signal) => {
    const now = new Date();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
    const to = now.toISOString().slice(0, 10);
    return api<Usage>('GET', `/v1/usage?from=${from}&to=${to}`, { signal });
  }, []);
  const plan = usage.data?.plan;
  const ratio = plan && plan.monthlyEvents > 0 ? Math.min(1, plan.used / plan.monthlyEvents) : 0;
  return (
    <Section title="Usage this month">
      {usage.error ? <LoadError error={usage.error} what="Usage" /> : null}
      {usage.loading && !usage.data ? <Loading /> : null}
      {plan && (
        <>
          <p>
            <strong>{formatCount(plan.used)}</strong> of {formatCount(plan.monthlyEvents)} events in your plan (
            {(ratio * 100).toFixed(1)}%).
          </p>
          <progress max={plan.monthlyEvents} value={plan.used} aria-label="Events used this month against the plan" />
        </>
      )}
      <ListTable
        label="Usage per day"
        columns={[
          'Day',
          { label: 'Accepted', num: true },
          { label: 'Rejected', num: true },
          { label: 'Rate-limited', num: true },
          { label: 'Bytes', num: true },
        ]}
        rows={usage.data?.days}
        empty="No events this month yet."
        row={(d) => (
          <tr key={d.date}>
            <td>{d.date}</td>
            <td class="num">{formatCount(d.accepted)}</td>
            <td class="num">{formatCount(d.rejected)}</td>
            <td class="num">{formatCount(d.rateLimited)}</td>
            <td class="num">{formatBytes(d.bytes)}</td>
          </tr>
        )}
      />
    </Section>
  );
}

function DeadLettersSection() {
  const letters = useLoad(
    async (signal) =>
      listOf<DeadLetter>(await api('GET', '/v1/pipeline/dead-letters?pending=true&limit=100', { signal })),
    [],
  );
  const action = useAction();
  const [result, setResult] = useState<string | null>(null);
  const redrive = () =>
    void action.run(async () => {
      const r = await api<{ redriven: number; failed: number }>('POST', '/v1/pipeline/redrive');
      setResult(`${r.redriven} re-enqueued${r.failed > 0 ? `, ${r.failed} failed (try again)` : ''}.`);
      letters.reload();
    });
  return (
    <Section
      title="Dead letters"
      actions={
        <button type="button" onClick={redrive} disabled={action.busy || (letters.data?.length ?? 0) === 0}>
          Redrive all
        </button>
      }
    >
      {result && (
        <p class="notice ok" role="status">
          {result}
        </p>
      )}
      <ErrorMessage error={action.error} />
      {letters.error ? <LoadError error={letters.error} what="The dead-letter API" /> : null}
      <ListTable
        label="Dead letters"
        columns={['When', 'Queue', 'Reason', { label: 'Attempts', num: true }, { label: 'Events', num: true }]}
        rows={letters.data}
        empty="No pending dead letters: every message was processed."
        row={(l) => (
          <tr key={l.id}>
            <td>{formatDateTime(l.createdAt)}</td>
            <td>{l.queue}</td>
            <td class="wrap">{l.reason}</td>
            <td class="num">{l.attempts}</td>
            <td class="num">{l.events}</td>
          </tr>
        )}
      />
    </Section>
  );
}

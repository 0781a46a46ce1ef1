import { useState } from 'preact/hooks';
import { api, setSession, type TokenPair } from '../api';
import { ErrorMessage, TextField } from '../components/ui';
import { onLinkClick } from '../router';

interface Props {
  onSignedIn: () => Promise<void>;
}

function useSubmit(action: () => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return { error, busy, onSubmit };
}

export function SignupPage({ onSignedIn }: Props) {
  const [tenantName, setTenantName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, onSubmit } = useSubmit(async () => {
    const pair = await api<TokenPair>('POST', '/v1/auth/signup', {
      auth: false,
      body: { tenantName, email, password },
    });
    setSession(pair);
    await onSignedIn();
  });
  return (
    <main id="main" class="auth">
      <div class="auth-card">
        <h1>Create your PulseStream workspace</h1>
        <form onSubmit={onSubmit} aria-describedby="signup-intro">
          <p id="signup-intro" class="muted">
            You become the workspace's owner. You can invite others from Settings.
          </p>
          <TextField
            label="Workspace name"
            name="tenantName"
            value={tenantName}
            onInput={setTenantName}
            required
            autoComplete="organization"
          />
          <TextField
            label="Email"
            name="email"
            type="email"
            value={email}
            onInput={setEmail}
            required
            autoComplete="email"
          />
          <TextField
            label="Password"
            name="password"
            type="password"
            value={password}
            onInput={setPassword}
            required
            minLength={10}
            autoComplete="new-password"
            hint="At least 10 characters."
          />
          <ErrorMessage error={error} />
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create workspace'}
          </button>
        </form>
        <p>
          Already have an account?{' '}
          <a href="/login" onClick={onLinkClick}>
            Log in
          </a>
        </p>
      </div>
    </main>
  );
}

export function LoginPage({ onSignedIn }: Props) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [tenant, setTenant] = useState('');
  const { error, busy, onSubmit } = useSubmit(async () => {
    const body: Record<string, string> = { email, password };
    if (tenant.trim()) body.tenant = tenant.trim();
    const pair = await api<TokenPair>('POST', '/v1/auth/login', { auth: false, body });
    setSession(pair);
    await onSignedIn();
  });
  return (
    <main id="main" class="auth">
      <div class="auth-card">
        <h1>Log in to PulseStream</h1>
        <form onSubmit={onSubmit}>
          <TextField
            label="Email"
            name="email"
            type="email"
            value={email}
            onInput={setEmail}
            required
            autoComplete="email"
          />
          <TextField
            label="Password"
            name="password"
            type="password"
            value={password}
            onInput={setPassword}
            required
            autoComplete="current-password"
          />
          <TextField
            label="Workspace name"
            name="tenant"
            value={tenant}
            onInput={setTenant}
            hint="Optional: the workspace's short name (slug), needed only if your email belongs to several workspaces."
          />
          <ErrorMessage error={error} />
          <button type="submit" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
        <p>
          New here?{' '}
          <a href="/signup" onClick={onLinkClick}>
            Create a workspace
          </a>
        </p>
      </div>
    </main>
  );
}

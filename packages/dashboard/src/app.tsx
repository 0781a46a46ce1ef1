import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, clearSession, hasStoredSession, logout, onSessionChange } from './api';
import { AlertsPage } from './pages/alerts';
import { LoginPage, SignupPage } from './pages/auth';
import { EndpointsPage } from './pages/endpoints';
import { LiveTailPage } from './pages/live-tail';
import { OverviewPage } from './pages/overview';
import { ReportsPage } from './pages/reports';
import { SettingsPage } from './pages/settings';
import { navigate, onLinkClick, usePath } from './router';
import type { Me } from './types';

type SessionState = { status: 'loading' } | { status: 'signedOut' } | { status: 'signedIn'; me: Me };

const NAV = [
  { href: '/overview', label: 'Overview' },
  { href: '/live', label: 'Live tail' },
  { href: '/endpoints', label: 'Endpoints' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/reports', label: 'Reports' },
  { href: '/settings', label: 'Settings' },
] as const;

const TITLES: Record<string, string> = {
  '/overview': 'Overview',
  '/live': 'Live tail',
  '/endpoints': 'Endpoints',
  '/alerts': 'Alerts',
  '/reports': 'Reports',
  '/settings': 'Settings',
  '/login': 'Log in',
  '/signup': 'Sign up',
};

export function App() {
  const path = usePath();
  const [session, setSession] = useState<SessionState>({ status: 'loading' });

  const loadMe = useCallback(async () => {
    try {
      const me = await api<Me>('GET', '/v1/me');
      setSession({ status: 'signedIn', me });
    } catch {
      clearSession();
      setSession({ status: 'signedOut' });
    }
  }, []);

  useEffect(() => {
    if (hasStoredSession()) void loadMe();
    else setSession({ status: 'signedOut' });
    return onSessionChange((signedIn) => {
      if (!signedIn) setSession({ status: 'signedOut' });
    });
  }, [loadMe]);

  useEffect(() => {
    const base = `/${path.split('/')[1] ?? ''}`;
    document.title = `${TITLES[base] ?? 'PulseStream'} · PulseStream`;
  }, [path]);

  if (session.status === 'loading') {
    return (
      <main id="main" class="centered">
        <p role="status">Loading PulseStream…</p>
      </main>
    );
  }

  if (session.status === 'signedOut') {
    if (path !== '/login' && path !== '/signup') {
      queueMicrotask(() => navigate('/login', true));
      return null;
    }
    return path === '/signup' ? <SignupPage onSignedIn={loadMe} /> : <LoginPage onSignedIn={loadMe} />;
  }

  if (path === '/' || path === '/login' || path === '/signup') {
    queueMicrotask(() => navigate('/overview', true));
    return null;
  }

  const { me } = session;
  const section = `/${path.split('/')[1] ?? ''}`;
  let page: preact.JSX.Element;
  switch (section) {
    case '/overview':
      page = <OverviewPage me={me} />;
      break;
    case '/live':
      page = <LiveTailPage />;
      break;
    case '/endpoints':
      page = <EndpointsPage />;
      break;
    case '/alerts':
      page = <AlertsPage me={me} path={path} />;
      break;
    case '/reports':
      page = <ReportsPage me={me} />;
      break;
    case '/settings':
      page = <SettingsPage me={me} />;
      break;
    default:
      page = (
        <>
          <h1>Page not found</h1>
          <p>
            There is no page at <code>{path}</code>.{' '}
            <a href="/overview" onClick={onLinkClick}>
              Go to the overview
            </a>
            .
          </p>
        </>
      );
  }

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          <span>PulseStream</span>
        </div>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <a href={item.href} onClick={onLinkClick} aria-current={section === item.href ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="tenant" title={`workspace ${me.tenant.slug}`}>
            {me.tenant.name}
          </span>
          <span class="muted user">
            {me.user.email} ({me.user.role})
          </span>
          <button
            type="button"
            class="secondary"
            onClick={async () => {
              await logout();
              navigate('/login', true);
            }}
          >
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

/**
 * The dashboard's one way to call the API: JSON in and out, problem+json errors as `ApiError`, and a
 * transparent access-token refresh (one refresh in flight at a time; a 401 retries once with the new token).
 */

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.status = problem.status;
    this.problem = problem;
  }
  /**
   * The route itself does not exist on this server (the Worker's catch-all 404 says "No route for …"), as
   * opposed to a missing resource under a route that exists.
   */
  get routeMissing(): boolean {
    return this.status === 404 && (this.problem.detail ?? '').startsWith('No route for');
  }
  /** Field errors flattened for a form: "path: message" lines. */
  get fieldMessages(): string[] {
    return (this.problem.errors ?? []).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
  }
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const REFRESH_KEY = 'pulsestream.refreshToken';
/** Refresh this long before the access token expires, so a request never races the expiry. */
const EXPIRY_MARGIN_MS = 30_000;

type SessionListener = (signedIn: boolean) => void;

let accessToken: string | null = null;
let accessExpiresAt = 0;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<SessionListener>();

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function hasStoredSession(): boolean {
  return storage()?.getItem(REFRESH_KEY) != null;
}

export function onSessionChange(listener: SessionListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Starts a session from a token pair (after signup, login or refresh). */
export function setSession(pair: TokenPair): void {
  accessToken = pair.accessToken;
  accessExpiresAt = Date.now() + pair.expiresIn * 1000;
  storage()?.setItem(REFRESH_KEY, pair.refreshToken);
  for (const l of listeners) l(true);
}

export function clearSession(): void {
  accessToken = null;
  accessExpiresAt = 0;
  storage()?.removeItem(REFRESH_KEY);
  for (const l of listeners) l(false);
}

/** Exchanges the stored refresh token for a new pair. Concurrent callers share one exchange. */
export function refreshSession(): Promise<boolean> {
  if (refreshing) return refreshing;
  const refreshToken = storage()?.getItem(REFRESH_KEY);
  if (!refreshToken) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const res = await fetch('/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken }),
      });
      if (!res.ok) {
        // 401: spent, revoked or expired. Anything else is transient; keep the token for the next try.
        if (res.status === 401) clearSession();
        return false;
      }
      setSession((await res.json()) as TokenPair);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function validAccessToken(): Promise<string | null> {
  if (accessToken && Date.now() < accessExpiresAt - EXPIRY_MARGIN_MS) return accessToken;
  if (await refreshSession()) return accessToken;
  return null;
}

async function toError(res: Response): Promise<ApiError> {
  let problem: Problem = { status: res.status, title: res.statusText };
  try {
    const body = (await res.json()) as Partial<Problem>;
    if (body && typeof body === 'object') problem = { ...problem, ...body, status: res.status };
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(problem);
}

export interface RequestOptions {
  body?: unknown;
  /** false for the auth routes themselves */
  auth?: boolean;
  signal?: AbortSignal;
}

/** Calls the API and returns the parsed JSON body (undefined for 204). Throws `ApiError` on non-2xx. */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const auth = options.auth ?? true;
  const send = async (token: string | null) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    return fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  };
  let token = auth ? await validAccessToken() : null;
  if (auth && !token) throw new ApiError({ status: 401, title: 'Signed out', detail: 'Please log in again.' });
  let res = await send(token);
  if (auth && res.status === 401) {
    // The token may have been revoked or the clock skewed: one refresh, one retry.
    accessToken = null;
    token = await validAccessToken();
    if (!token) throw await toError(res);
    res = await send(token);
  }
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A list answer as either `{data: [...]}` (this API's convention) or a bare array. */
export function listOf<T>(body: unknown): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object' && Array.isArray((body as { data?: unknown }).data)) {
    return (body as { data: T[] }).data;
  }
  return [];
}

export async function logout(): Promise<void> {
  const refreshToken = storage()?.getItem(REFRESH_KEY);
  clearSession();
  if (refreshToken) {
    await fetch('/v1/auth/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    }).catch(() => undefined);
  }
}

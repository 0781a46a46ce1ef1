import { exports } from 'cloudflare:workers';
import { expect } from 'vitest';

/** Base URL of the Worker under test (any host works; the app routes by path). */
export const BASE = 'http://ps.test';

/** Calls the Worker the way a client would. */
export async function call(
  method: string,
  path: string,
  options: {
    bearer?: string;
    apiKey?: string;
    body?: unknown;
    rawBody?: string;
    ip?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  if (options.ip !== undefined) headers['cf-connecting-ip'] = options.ip;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  return exports.default.fetch(`${BASE}${path}`, { method, headers, body });
}

/** Reads a JSON body, failing the test with the body text when it is not JSON. */
export async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`expected JSON, got ${res.status}: ${text.slice(0, 300)}`);
  }
}

/** Asserts a problem+json response with the given status; returns the body. */
export async function expectProblem(res: Response, status: number, label = ''): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect(res.status, `${label} ${text.slice(0, 300)}`).toBe(status);
  expect(res.headers.get('content-type'), label).toBe('application/problem+json');
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body.status, label).toBe(status);
  expect(typeof body.requestId, label).toBe('string');
  return body;
}

/** A fresh client address, so login throttling in one test never bleeds into another. */
export function freshIp(): string {
  const r = crypto.getRandomValues(new Uint8Array(3));
  return `10.${r[0]}.${r[1]}.${r[2]}`;
}

/** Polls `check` until it returns a value (not undefined) or the bound passes; no fixed sleeps. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

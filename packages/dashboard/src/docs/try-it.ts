import './try-it.css';
// "Try it" for the server-rendered API reference at /docs: the page works without this script; with it, every
// operation gets a form (parameters, a JSON body prefilled from the schema's examples, the equivalent curl) that
// sends the request from the browser and shows the answer. Loaded as a file ('self'), never inline, so /docs
// keeps a strict Content-Security-Policy. The credential is kept in memory only.
import { curlFor, exampleFor, fillPath, type Json } from './example';

type Obj = { [key: string]: unknown };
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const REFRESH_KEY = 'pulsestream.refreshToken';

let token = '';

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

let ids = 0;
function field(label: string, input: HTMLInputElement | HTMLTextAreaElement): HTMLElement {
  input.id = `try-${++ids}`;
  const l = el('label', { htmlFor: input.id }, label);
  return el('div', { className: 'try-field' }, l, input);
}

function credentialBar(): HTMLElement {
  const input = el('input', { type: 'password', autocomplete: 'off', placeholder: 'ps_live_… or an access token' });
  input.addEventListener('input', () => {
    token = input.value.trim();
  });
  const status = el('span', { className: 'try-status' });
  status.setAttribute('role', 'status');
  const useLogin = el('button', { type: 'button', textContent: 'Use my dashboard login' });
  useLogin.addEventListener('click', async () => {
    // The dashboard keeps a refresh token in this origin's storage: exchange it (and store the rotated one).
    const refreshToken = localStorage.getItem(REFRESH_KEY);
    if (!refreshToken) {
      status.textContent = 'Not logged in to the dashboard on this browser.';
      return;
    }
    const res = await fetch('/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });
    if (!res.ok) {
      status.textContent = `Refresh refused (${res.status}); log in to the dashboard again.`;
      return;
    }
    const pair = (await res.json()) as { accessToken: string; refreshToken: string };
    localStorage.setItem(REFRESH_KEY, pair.refreshToken);
    token = pair.accessToken;
    input.value = pair.accessToken;
    status.textContent = 'Using your dashboard login (an access token, valid about 15 minutes).';
  });
  const bar = el('section', { className: 'try-credential' }, el('h2', {}, 'Try it'));
  bar.setAttribute('aria-label', 'Credential for Try it');
  bar.append(
    el('p', {}, 'Requests are sent from this page with this credential (kept in memory, never stored).'),
    field('Credential (API key or access token)', input),
    useLogin,
    status,
  );
  return bar;
}

function tryForm(section: HTMLElement, path: string, method: string, op: Obj, doc: Obj): void {
  const params = (Array.isArray(op.parameters) ? op.parameters : []).filter(isObject);
  const inputs = new Map<string, { where: string; input: HTMLInputElement }>();
  const form = el('form', { className: 'try-form' });
  for (const p of params) {
    const name = String(p.name);
    const where = String(p.in);
    if (where !== 'path' && where !== 'query') continue;
    const input = el('input', { type: 'text', name, required: where === 'path' });
    const example = exampleFor(p.schema, doc);
    if (where === 'path') input.placeholder = name;
    else if (example !== null && typeof example !== 'object') input.placeholder = String(example);
    inputs.set(name, { where, input });
    form.append(field(`${name} (${where})`, input));
  }
  const content = isObject(op.requestBody) && isObject(op.requestBody.content) ? op.requestBody.content : {};
  const json = isObject(content['application/json']) ? content['application/json'] : null;
  let body: HTMLTextAreaElement | null = null;
  if (json) {
    body = el('textarea', {
      rows: 8,
      spellcheck: false,
      value: JSON.stringify(exampleFor(json.schema, doc) as Json, null, 2),
    });
    form.append(field('Request body (JSON)', body));
  }
  const curl = el('pre', { className: 'try-curl' });
  const curlRegion = el('div', { className: 'try-scroll', tabIndex: 0 }, curl);
  curlRegion.setAttribute('role', 'region');
  curlRegion.setAttribute('aria-label', `Equivalent curl command for ${method.toUpperCase()} ${path}`);
  const output = el('pre', { className: 'try-output' });
  const outputRegion = el('div', { className: 'try-scroll', tabIndex: 0 }, output);
  outputRegion.setAttribute('role', 'region');
  outputRegion.setAttribute('aria-label', `Response of ${method.toUpperCase()} ${path}`);
  outputRegion.setAttribute('aria-live', 'polite');

  const url = () => {
    const pathValues = new Map<string, string>();
    const query = new URLSearchParams();
    for (const [name, { where, input }] of inputs) {
      if (!input.value) continue;
      if (where === 'path') pathValues.set(name, input.value);
      else query.set(name, input.value);
    }
    const qs = query.toString();
    return `${location.origin}${fillPath(path, pathValues)}${qs ? `?${qs}` : ''}`;
  };
  const update = () => {
    curl.textContent = curlFor({ method, url: url(), body: body?.value });
  };
  form.addEventListener('input', update);
  update();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    output.textContent = 'Sending…';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body) headers['content-type'] = 'application/json';
    try {
      const started = performance.now();
      const res = await fetch(url(), { method: method.toUpperCase(), headers, body: body?.value || undefined });
      const text = await res.text();
      let shown = text;
      try {
        shown = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not JSON: show as is
      }
      const ms = Math.round(performance.now() - started);
      output.textContent = `${res.status} ${res.statusText} · ${ms} ms · ${res.headers.get('content-type') ?? ''}\n\n${shown}`;
    } catch (err) {
      output.textContent = `Request failed: ${(err as Error).message}`;
    }
  });
  form.append(
    el('h4', {}, 'curl'),
    curlRegion,
    el('button', { type: 'submit', textContent: `Send ${method.toUpperCase()}` }),
    el('h4', {}, 'Response'),
    outputRegion,
  );
  const details = el('details', { className: 'try' }, el('summary', {}, 'Try it'), form);
  section.append(details);
}

async function main(): Promise<void> {
  const sections = [...document.querySelectorAll<HTMLElement>('section.op[data-path][data-method]')];
  if (sections.length === 0) return;
  const doc = (await (await fetch('/openapi.json')).json()) as Obj;
  const paths = isObject(doc.paths) ? doc.paths : {};
  const firstOp = document.querySelector('h2');
  firstOp?.parentElement?.insertBefore(credentialBar(), firstOp);
  for (const section of sections) {
    const path = section.dataset.path ?? '';
    const method = section.dataset.method ?? '';
    const item = paths[path];
    const op = isObject(item) ? item[method] : undefined;
    if (isObject(op)) tryForm(section, path, method, op, doc);
  }
}

void main();

/**
 * A self-contained HTML reference rendered on the server from the OpenAPI document: no CDN, no inline script, so
 * it works offline and under a strict Content-Security-Policy. The dashboard build's Try-it script
 * (/docs-assets/try-it.js, a static asset) adds request forms to each operation when it loads; without it the
 * page is complete as a reference.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: Json | undefined): string {
  return typeof value === 'string' ? value : '';
}

function anchor(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-');
}

/** A one-line type for a JSON Schema, linking `$ref`s to the schema section. */
function typeOf(schema: Json | undefined): string {
  if (!isObject(schema)) return 'any';
  const ref = str(schema.$ref);
  if (ref) {
    const name = ref.split('/').pop() ?? ref;
    return `<a href="#schema-${anchor(name)}">${escapeHtml(name)}</a>`;
  }
  for (const combiner of ['anyOf', 'oneOf', 'allOf'] as const) {
    const parts = schema[combiner];
    if (Array.isArray(parts)) return parts.map(typeOf).join(combiner === 'allOf' ? ' &amp; ' : ' | ');
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => escapeHtml(JSON.stringify(v))).join(' | ');
  if (schema.const !== undefined) return escapeHtml(JSON.stringify(schema.const));
  const type = Array.isArray(schema.type) ? schema.type.map((t) => str(t)).join(' | ') : str(schema.type);
  if (type === 'array') return `${typeOf(schema.items)}[]`;
  const format = str(schema.format);
  return escapeHtml(format ? `${type || 'any'} (${format})` : type || 'object');
}

function propertiesTable(schema: JsonObject): string {
  const properties = schema.properties;
  if (!isObject(properties)) return `<p class="type">${typeOf(schema)}</p>`;
  const required = new Set(Array.isArray(schema.required) ? schema.required.map((r) => str(r)) : []);
  const rows = Object.entries(properties)
    .map(
      ([name, prop]) =>
        `<tr><td><code>${escapeHtml(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td>` +
        `<td>${typeOf(prop)}</td><td>${escapeHtml(isObject(prop) ? str(prop.description) : '')}</td></tr>`,
    )
    .join('');
  return `<table><tr><th>field</th><th>type</th><th>notes</th></tr>${rows}</table>`;
}

function contentSchema(content: Json | undefined): Json | undefined {
  if (!isObject(content)) return undefined;
  const first = Object.values(content)[0];
  return isObject(first) ? first.schema : undefined;
}

function renderOperation(path: string, method: string, op: JsonObject): string {
  const id = anchor(`${method}-${path}`);
  const security = Array.isArray(op.security)
    ? op.security.flatMap((s) => (isObject(s) ? Object.keys(s) : [])).join(', ')
    : '';
  const params = Array.isArray(op.parameters) ? op.parameters.filter(isObject) : [];
  const paramRows = params
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(str(p.name))}</code>${p.required === true ? ' <span class="req">required</span>' : ''}</td>` +
        `<td>${escapeHtml(str(p.in))}</td><td>${typeOf(p.schema)}</td></tr>`,
    )
    .join('');
  const body = isObject(op.requestBody) ? contentSchema(op.requestBody.content) : undefined;
  const responses = isObject(op.responses)
    ? Object.entries(op.responses)
        .map(([status, r]) => {
          const schema = isObject(r) ? contentSchema(r.content) : undefined;
          return `<tr><td>${escapeHtml(status)}</td><td>${escapeHtml(isObject(r) ? str(r.description) : '')}</td><td>${schema ? typeOf(schema) : ''}</td></tr>`;
        })
        .join('')
    : '';
  return `<section class="op" id="${id}" data-method="${escapeHtml(method)}" data-path="${escapeHtml(path)}">
<h3><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(str(op.summary))}</p>${op.description ? `<p class="desc">${escapeHtml(str(op.description))}</p>` : ''}
<p class="auth">Credential: ${security ? escapeHtml(security) : 'none (public)'}</p>
${paramRows ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th></tr>${paramRows}</table>` : ''}
${body ? `<h4>Request body</h4><p class="type">${typeOf(body)}</p>` : ''}
<h4>Responses</h4><table><tr><th>status</th><th>meaning</th><th>body</th></tr>${responses}</table>
</section>`;
}

/** Renders the OpenAPI document (as produced by `getOpenAPI31Document`) as one HTML page. */
export function renderDocsPage(document: unknown): string {
  const doc = (isObject(document as Json) ? document : {}) as JsonObject;
  const info = isObject(doc.info) ? doc.info : {};
  const paths = isObject(doc.paths) ? doc.paths : {};
  const operations: string[] = [];
  const toc: string[] = [];
  for (const path of Object.keys(paths).sort()) {
    const item = paths[path];
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      toc.push(
        `<li><a href="#${anchor(`${method}-${path}`)}"><span class="method ${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</a></li>`,
      );
      operations.push(renderOperation(path, method, op));
    }
  }
  const components = isObject(doc.components) ? doc.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  const schemaSections = Object.keys(schemas)
    .sort()
    .map((name) => {
      const schema = schemas[name];
      return `<section class="schema" id="schema-${anchor(name)}"><h3>${escapeHtml(name)}</h3>${isObject(schema) ? propertiesTable(schema) : ''}</section>`;
    })
    .join('\n');
  const title = `${str(info.title) || 'API'} ${str(info.version)}`.trim();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:1rem 2rem;color:#1d2330}
code{font:13px ui-monospace,monospace}table{border-collapse:collapse;margin:.3rem 0 1rem}
td,th{border:1px solid #d8dce5;padding:.2rem .5rem;text-align:left;vertical-align:top}
.method{display:inline-block;min-width:4.2em;font:bold 12px ui-monospace,monospace;padding:2px 4px;border-radius:3px;color:#fff;background:#5b6475;text-align:center}
.get{background:#2f7d4f}.post{background:#2b5fb4}.patch{background:#8a5a0f}.delete{background:#b23a3a}.put{background:#7a4bb0}
.op,.schema{border-top:1px solid #e4e7ee;padding-top:.4rem}.req{color:#b23a3a;font-size:12px}.auth,.desc{color:#4a5263}
ul.toc{columns:2;list-style:none;padding:0}a{color:#2b5fb4;text-decoration:none}p a,td a{text-decoration:underline}
</style>
<link rel="stylesheet" href="/docs-assets/try-it.css">
<script type="module" src="/docs-assets/try-it.js"></script>
</head><body><main>
<h1>${escapeHtml(title)}</h1><p>${escapeHtml(str(info.description))}</p>
<p>Machine-readable document: <a href="/openapi.json">/openapi.json</a>. Errors are <code>application/problem+json</code>.</p>
<h2>Operations</h2><ul class="toc">${toc.join('')}</ul>
${operations.join('\n')}
<h2>Schemas</h2>
${schemaSections}
</main></body></html>`;
}

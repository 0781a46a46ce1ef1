// Request examples from an OpenAPI 3.1 document: a JSON value that fits a schema (its own examples first), and a
// curl command for an operation. Pure, so they are unit-tested in Node.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: unknown };

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Follows `#/components/schemas/X` references. */
function resolve(schema: unknown, doc: Schema, depth: number): Schema | null {
  if (!isObject(schema) || depth > 20) return null;
  const ref = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const name = ref.slice('#/components/schemas/'.length);
    const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
    return resolve(schemas[name], doc, depth + 1);
  }
  return schema;
}

/** A value that matches `schema`: its example, default, first enum value, or one built from its type. */
export function exampleFor(schema: unknown, doc: Schema, depth = 0): Json {
  const s = resolve(schema, doc, depth);
  if (!s || depth > 12) return null;
  if (s.example !== undefined) return s.example as Json;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0] as Json;
  if (s.default !== undefined) return s.default as Json;
  if (s.const !== undefined) return s.const as Json;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0] as Json;
  for (const key of ['oneOf', 'anyOf'] as const) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0) return exampleFor(options[0], doc, depth + 1);
  }
  if (Array.isArray(s.allOf)) {
    const merged: { [key: string]: Json } = {};
    for (const part of s.allOf) {
      const value = exampleFor(part, doc, depth + 1);
      if (isObject(value)) Object.assign(merged, value);
    }
    return merged;
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (type === 'object' || isObject(s.properties)) {
    const out: { [key: string]: Json } = {};
    const required = new Set(Array.isArray(s.required) ? s.required : []);
    const properties = isObject(s.properties) ? s.properties : {};
    // Required fields, and optional ones that carry an example (they show what the field is for).
    for (const [name, prop] of Object.entries(properties)) {
      const resolved = resolve(prop, doc, depth + 1);
      if (required.has(name) || (resolved && resolved.example !== undefined)) {
        Object.defineProperty(out, name, {
          value: exampleFor(prop, doc, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return out;
  }
  if (type === 'array') return [exampleFor(s.items, doc, depth + 1)];
  if (type === 'integer' || type === 'number') return typeof s.minimum === 'number' ? s.minimum : 0;
  if (type === 'boolean') return true;
  if (type === 'string') {
    if (s.format === 'email') return 'ada@example.com';
    if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
    if (s.format === 'date-time') return new Date(0).toISOString();
    return 'string';
  }
  return null;
}

/** Quotes for a POSIX shell. */
function q(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The curl command for a request, with the credential shown as a placeholder unless given. */
export function curlFor(request: { method: string; url: string; token?: string; body?: string }): string {
  const lines = [`curl -X ${request.method.toUpperCase()} ${q(request.url)}`];
  lines.push(`  -H ${q(`Authorization: Bearer ${request.token || '<token or API key>'}`)}`);
  if (request.body !== undefined && request.body !== '') {
    lines.push(`  -H 'Content-Type: application/json'`);
    lines.push(`  -d ${q(request.body)}`);
  }
  return lines.join(' \\\n');
}

/** Fills `{name}` segments of an OpenAPI path; values are URL-encoded. */
export function fillPath(path: string, values: Map<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(values.get(name) ?? `{${name}}`));
}

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { curlFor, exampleFor, fillPath } from './example';

const doc = {
  components: {
    schemas: {
      Signup: {
        type: 'object',
        required: ['tenantName', 'email', 'password'],
        properties: {
          tenantName: { type: 'string', example: 'Acme Inc' },
          email: { type: 'string', format: 'email' },
          password: { type: 'string' },
          note: { type: 'string' },
          scopes: { type: 'array', items: { enum: ['ingest', 'read'] }, example: ['ingest'] },
        },
      },
      Loop: { type: 'object', required: ['next'], properties: { next: { $ref: '#/components/schemas/Loop' } } },
    },
  },
};

describe('exampleFor', () => {
  it('builds required fields and fields with examples, following $ref', () => {
    expect(exampleFor({ $ref: '#/components/schemas/Signup' }, doc)).toEqual({
      tenantName: 'Acme Inc',
      email: 'ada@example.com',
      password: 'string',
      scopes: ['ingest'],
    });
  });

  it('takes the first of a union and stops on recursive schemas', () => {
    expect(exampleFor({ anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }] }, doc)).toBe(1);
    const deep = JSON.stringify(exampleFor({ $ref: '#/components/schemas/Loop' }, doc));
    expect(deep.length).toBeLessThan(500);
  });

  it('keeps __proto__ as an ordinary property name', () => {
    const schema = { type: 'object', required: ['__proto__'], properties: { ['__proto__']: { type: 'string' } } };
    const value = exampleFor(JSON.parse(JSON.stringify(schema)), doc) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});

describe('curlFor and fillPath', () => {
  it('fills and encodes path parameters', () => {
    expect(fillPath('/v1/users/{id}', new Map([['id', 'a/b']]))).toBe('/v1/users/a%2Fb');
    expect(fillPath('/v1/users/{id}', new Map())).toBe('/v1/users/%7Bid%7D');
  });

  it('is a command sh passes through unchanged', () => {
    const body = JSON.stringify({ name: "it's" });
    const cmd = curlFor({ method: 'post', url: 'http://x/v1/api-keys', token: 'abc', body });
    const args = execFileSync('sh', ['-c', `curl() { for a in "$@"; do printf '%s\\n' "$a"; done; }\n${cmd}`])
      .toString()
      .trim()
      .split('\n');
    expect(args).toEqual([
      '-X',
      'POST',
      'http://x/v1/api-keys',
      '-H',
      'Authorization: Bearer abc',
      '-H',
      'Content-Type: application/json',
      '-d',
      body,
    ]);
  });
});

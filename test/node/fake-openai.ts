import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeOpenAiUrl: string;
  }
}

/**
 * A local stand-in for the OpenAI API, for integration tests of code that uses the real `openai` SDK through
 * its baseURL. It answers POST /v1/chat/completions according to the requested model: `fake-ok` with a
 * valid JSON explanation, `fake-500` with a server error, `fake-garbage` with content that is not JSON,
 * `fake-slow` only after 10 s (for timeouts). GET /__requests returns every request received (method,
 * path, headers, body) so tests can assert on what was sent.
 */
export default async function setup(project: TestProject) {
  const received: { method: string; path: string; authorization: string | undefined; body: string }[] = [];
  const pending = new Set<NodeJS.Timeout>();
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'GET' && req.url === '/__requests') return send(res, 200, received);
    received.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions')
      return send(res, 404, { error: { message: 'not found' } });
    const model = (JSON.parse(body) as { model?: string }).model;
    const completion = (content: string) => ({
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 0,
      model,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
    });
    if (model === 'fake-500') return send(res, 500, { error: { message: 'boom', type: 'server_error' } });
    if (model === 'fake-garbage') return send(res, 200, completion('this is not json'));
    if (model === 'fake-slow') {
      const t = setTimeout(() => {
        pending.delete(t);
        send(res, 200, completion('{}'));
      }, 10_000);
      pending.add(t);
      return;
    }
    return send(
      res,
      200,
      completion(
        JSON.stringify({
          summary: 'Error rate jumped on checkout.',
          likelyCause: 'A failing payment endpoint.',
          evidence: ['endpoint /pay carries 90% of the change'],
        }),
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  project.provide('fakeOpenAiUrl', `http://127.0.0.1:${port}/v1`);
  return async () => {
    for (const t of pending) clearTimeout(t);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

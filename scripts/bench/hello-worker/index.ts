// The ingest benchmark's baseline: a bare hello-world Worker, no app, no middleware, no bindings. It runs in the
// same `wrangler dev` (same proxy, same workerd process) as PulseStream, reached with Miniflare's
// `MF-Route-Override: pulsestream-bench-hello` header, so the ratio to it measures what the app adds.
export default {
  fetch(): Response {
    return new Response('hello world\n', { headers: { 'content-type': 'text/plain' } });
  },
};

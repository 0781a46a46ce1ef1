import type { App } from '../../lib/app';
import { OPENAPI_DOCUMENT } from '../../lib/openapi';
import { renderDocsPage } from './render';

/**
 * `GET /docs`: the API reference as HTML, generated at request time from the same registry as
 * `/openapi.json`, so it always lists every registered route. Not itself part of the OpenAPI document.
 */
export function registerDocs(app: App): void {
  app.get('/docs', (c) => {
    const html = renderDocsPage(app.getOpenAPI31Document(OPENAPI_DOCUMENT));
    return c.html(html, 200, {
      // No scripts at all; inline styles only.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'cache-control': 'no-cache',
    });
  });
}

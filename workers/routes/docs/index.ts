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
      // Scripts only as files from this origin (the dashboard build's Try-it, /docs-assets/try-it.js), never
      // inline; the page's own inline styles plus the Try-it stylesheet; requests only to this origin.
      'content-security-policy':
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
  });
}

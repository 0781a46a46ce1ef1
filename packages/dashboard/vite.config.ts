import { defineConfig } from 'vite';

// `vite build` emits static files into dist/, which the Worker serves through Workers static assets
// (wrangler.toml [assets]). `vite` (dev server) proxies the API to a running `npm run dev` stack.
const api = process.env.PULSESTREAM_API ?? 'http://127.0.0.1:8787';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No data: URIs and no inline code: everything is a file the Content-Security-Policy allows as 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    rollupOptions: {
      // The app (index.html) and the Try-it script of the server-rendered /docs page. The latter keeps fixed
      // names under /docs-assets/, since the Worker's HTML links to it; /docs-assets is not a Worker route.
      input: { app: 'index.html', 'try-it': 'src/docs/try-it.ts' },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'try-it' ? 'docs-assets/try-it.js' : 'assets/[name]-[hash].js'),
        assetFileNames: (asset) =>
          asset.names.some((n) => n.startsWith('try-it'))
            ? 'docs-assets/try-it[extname]'
            : 'assets/[name]-[hash][extname]',
      },
    },
  },
  server: {
    proxy: {
      '/v1': { target: api, ws: true },
      '/health': api,
      '/openapi.json': api,
      '/docs': api,
    },
  },
});

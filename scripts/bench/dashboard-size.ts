// Prints the dashboard's first-load transfer size: every file index.html loads (scripts, styles, icon), raw,
// gzipped and brotli-compressed, and what each runtime dependency weighs on its own (its minified build,
// gzipped). Run after `npm run build:dashboard`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = join(import.meta.dirname, '..', '..');
const dist = join(root, 'packages', 'dashboard', 'dist');
if (!existsSync(join(dist, 'index.html'))) {
  console.error('no build: run `npm run build:dashboard` first');
  process.exit(1);
}

const gz = (b: Buffer) => gzipSync(b, { level: 9 }).length;
const br = (b: Buffer) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

const html = readFileSync(join(dist, 'index.html'));
const referenced = [...html.toString().matchAll(/(?:src|href)="(\/[^"]+)"/g)]
  .map((m) => m[1] as string)
  .filter((p) => existsSync(join(dist, p)));
const files = [{ name: 'index.html', bytes: html }];
for (const path of referenced) files.push({ name: path.slice(1), bytes: readFileSync(join(dist, path)) });

let raw = 0;
let gzip = 0;
let brotli = 0;
console.log('first load (what index.html pulls in):');
for (const f of files) {
  raw += f.bytes.length;
  gzip += gz(f.bytes);
  brotli += br(f.bytes);
  console.log(
    `  ${f.name.padEnd(34)} ${kb(f.bytes.length).padStart(10)} raw ${kb(gz(f.bytes)).padStart(9)} gzip ${kb(br(f.bytes)).padStart(9)} br`,
  );
}
console.log(
  `  ${'total'.padEnd(34)} ${kb(raw).padStart(10)} raw ${kb(gzip).padStart(9)} gzip ${kb(brotli).padStart(9)} br`,
);

// Each dependency's own minified build, as a yardstick for its share of the bundle.
const deps: [string, string[]][] = [
  ['preact + preact/hooks', ['preact/dist/preact.min.js', 'preact/hooks/dist/hooks.js']],
  ['uplot (+ its CSS)', ['uplot/dist/uPlot.iife.min.js', 'uplot/dist/uPlot.min.css']],
];
console.log('runtime dependencies (their minified builds, gzipped):');
for (const [name, paths] of deps) {
  const bytes = Buffer.concat(paths.map((p) => readFileSync(join(root, 'node_modules', p))));
  console.log(`  ${name.padEnd(34)} ${kb(gz(bytes)).padStart(9)} gzip`);
}

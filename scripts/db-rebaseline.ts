// Re-squashes migrations/ into one baseline, for as long as nothing is deployed: `npx tsx scripts/db-rebaseline.ts
// [--custom file.sql …]`. Keeps the hand-written section of the current baseline (from its "Custom SQL" banner to
// the end), deletes every migration and the drizzle meta, lets drizzle-kit generate 0000_baseline.sql from
// packages/db/src/schema, appends the kept section and then each --custom file (the hand-written tail of a
// migration being folded in, reviewed first), and checks that drizzle-kit then finds nothing to generate.
// Review the diff of migrations/0000_baseline.sql afterwards; databases migrated before must be recreated.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..');
const dir = join(root, 'migrations');
const baseline = join(dir, '0000_baseline.sql');
const BANNER = '-- Custom SQL (drizzle-kit does not generate it';

const { values } = parseArgs({ options: { custom: { type: 'string', multiple: true, default: [] } } });

const current = readFileSync(baseline, 'utf8');
const at = current.indexOf(BANNER);
if (at < 0) throw new Error(`no "${BANNER}" banner in ${baseline}`);
// The section starts at the banner's ruler line, just before it.
const ruler = current.lastIndexOf('-- ====', at);
const custom = current.slice(ruler < 0 ? at : ruler);
const extras = (values.custom ?? []).map((file) => readFileSync(file, 'utf8').trim());

for (const name of readdirSync(dir)) if (name.endsWith('.sql')) rmSync(join(dir, name));
rmSync(join(dir, 'meta'), { recursive: true, force: true });
const generate = (extra: string[]) =>
  execFileSync('npx', ['drizzle-kit', 'generate', '--config', 'packages/db/drizzle.config.ts', ...extra], {
    cwd: root,
    encoding: 'utf8',
  });
generate(['--name', 'baseline']);
const generated = readFileSync(baseline, 'utf8').trimEnd();
const tail = extras.map((sql) => `--> statement-breakpoint\n${sql}\n`).join('');
writeFileSync(baseline, `${generated}--> statement-breakpoint\n${custom.trimEnd()}\n${tail}`);
const again = generate([]);
if (!/No schema changes/.test(again)) throw new Error(`drizzle-kit still generates something:\n${again}`);
console.log(
  `rebuilt ${baseline}: drizzle-kit output, the custom section${extras.length ? ` and ${extras.length} extra file(s)` : ''}`,
);

import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Lints a probe file placed among the routes (where biome.json's route rules apply); returns the rules hit. */
function routeLintHits(source: string): string[] {
  const rel = `workers/routes/events/__lint-probe-${process.pid}-${Date.now()}.ts`;
  writeFileSync(join(ROOT, rel), source);
  try {
    let out: string;
    try {
      out = execFileSync('npx', ['biome', 'lint', '--reporter=json', rel], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? '');
    }
    const report = JSON.parse(out) as { diagnostics: { category: string; description: string }[] };
    return report.diagnostics.map((d) => d.category);
  } finally {
    rmSync(join(ROOT, rel), { force: true });
  }
}

describe('lint: routes import no Durable Object module', () => {
  it("refuses a route importing a Durable Object's module, even for a type", () => {
    const hits = routeLintHits(
      "import type { TenantGate } from '../../objects/tenant-gate';\nexport type Gate = TenantGate;\n",
    );
    expect(hits).toContain('lint/style/noRestrictedImports');
  });

  it('refuses a route importing a module inside an object folder', () => {
    const hits = routeLintHits(
      "import type { GateCounters } from '../../objects/tenant-gate/counters';\nexport type C = GateCounters;\n",
    );
    expect(hits).toContain('lint/style/noRestrictedImports');
  });

  it("allows a route the object's RPC types", () => {
    const hits = routeLintHits(
      "import type { GateKey } from '../../objects/tenant-gate/types';\nexport type K = GateKey;\n",
    );
    expect(hits).not.toContain('lint/style/noRestrictedImports');
  });

  it('still refuses drizzle in a route (the rule beside it)', () => {
    const hits = routeLintHits("import { sql } from 'drizzle-orm';\nexport const q = sql`select 1`;\n");
    expect(hits).toContain('lint/style/noRestrictedImports');
  });
});

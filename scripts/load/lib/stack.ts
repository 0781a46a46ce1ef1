// The stack under test: `scripts/dev.ts` (migrations, WebSocket proxy, wrangler dev) on fixed ports against
// a native PostgreSQL, with its own data folder, so it can be stopped and started again on the same Durable
// Object storage (the reset-objects fault).
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');

export interface StackOptions {
  port: number;
  dbProxyPort: number;
  inspectorPort: number;
  dataDir: string;
  databaseUrl: string;
  logFile: string;
}

export class Stack {
  private child: ChildProcess | undefined;
  readonly base: URL;
  constructor(readonly o: StackOptions) {
    this.base = new URL(`http://127.0.0.1:${o.port}`);
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  async start(healthTimeoutMs = 180_000): Promise<number> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(this.o.port),
      DB_PROXY_PORT: String(this.o.dbProxyPort),
      INSPECTOR_PORT: String(this.o.inspectorPort),
      PS_DATA_DIR: this.o.dataDir,
      DATABASE_URL: this.o.databaseUrl,
      // One log line per request would cost the Worker more than the load itself; warnings and errors stay.
      LOG_LEVEL: process.env.LOAD_LOG_LEVEL ?? 'warn',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_SEND_METRICS: 'false',
    };
    const fd = openSync(this.o.logFile, 'a');
    this.child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'dev.ts')], {
      cwd: root,
      env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    const started = Date.now();
    let last = '';
    while (Date.now() - started < healthTimeoutMs) {
      if (this.child.exitCode !== null)
        throw new Error(`the stack exited (${this.child.exitCode}); see ${this.o.logFile}`);
      try {
        const res = await fetch(new URL('/health', this.base));
        const body = (await res.json()) as { status?: string };
        if (res.status === 200 && body.status === 'ok') return Date.now() - started;
        last = JSON.stringify(body);
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await this.stop();
    throw new Error(`the stack was not healthy within ${healthTimeoutMs} ms (last: ${last})`);
  }

  /** SIGINT to the whole process group (dev.ts stops wrangler, which stops workerd), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.pid === undefined) return;
    const pid = child.pid;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-pid, 'SIGINT');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, 20_000);
    await exited;
    clearTimeout(timer);
    // workerd may outlive dev.ts by a moment; make sure nothing of this group keeps the ports.
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** Error lines and reload notices the Worker logged, to explain odd answers. */
  logSummary(): { errors: string[]; warnings: string[]; reloads: number } {
    const lines = readFileSync(this.o.logFile, 'utf8').split('\n');
    return {
      errors: lines.filter((l) => l.includes('"level":"error"') || /\bERROR\b|✘/.test(l)),
      warnings: lines.filter((l) => l.includes('"level":"warn"')),
      reloads: lines.filter((l) => /reloading/i.test(l)).length,
    };
  }
}

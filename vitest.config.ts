import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// wrangler.toml serves packages/dashboard/dist as static assets, and the workers pool refuses to start when that
// folder is missing: on a fresh clone, build it once (a few seconds). `npm run build:dashboard` refreshes it.
if (!existsSync(join(import.meta.dirname, 'packages', 'dashboard', 'dist', 'index.html'))) {
  execFileSync('npm', ['run', 'build:dashboard'], { cwd: import.meta.dirname, stdio: 'inherit' });
}

// A fixed, obviously-test-only secret: integration tests sign and verify real JWTs with it.
const TEST_JWT_SECRET = 'test-only-secret-0123456789abcdef0123456789abcdef';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['packages/**/*.unit.test.ts', 'test/**/*.unit.test.ts', 'scripts/**/*.unit.test.ts'],
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: './workers/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ENVIRONMENT: 'test',
                DATABASE_URL: inject('databaseUrl'),
                DB_WS_PROXY: inject('wsProxy'),
                FAKE_OPENAI_URL: inject('fakeOpenAiUrl'),
                JWT_SECRET: TEST_JWT_SECRET,
                // Notifications talk only to the local fake (test/node/fake-receiver.ts), never the network.
                DNS_RESOLVER_URL: `${inject('receiverUrl')}/dns-query`,
                EMAIL_API_URL: `${inject('receiverUrl')}/email`,
                EMAIL_API_KEY: 'test-email-key',
                EMAIL_FROM: 'alerts@pulsestream.test',
              },
            },
          })),
        ],
        test: {
          name: 'integration',
          include: ['test/**/*.integration.test.ts', 'workers/**/*.integration.test.ts'],
          globalSetup: ['./test/node/global-setup.ts', './test/node/fake-openai.ts'],
          // One database, shared by every file: files run one after another and each starts from a
          // truncated database (see test/helpers/db.ts), so no file sees another's rows.
          fileParallelism: false,
          // The Worker's own logs go straight to workerd's stdout instead of through vitest's console RPC. A queue
          // consumer, Durable Object alarm or waitUntil that the platform runs after a file's last test may log
          // while vitest closes that file's RPC channel, and vitest counts such a late log as an unhandled error
          // ("Closing rpc while onUserConsoleLog was pending") and fails a run whose tests all passed.
          disableConsoleIntercept: true,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

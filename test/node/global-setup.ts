import type { TestProject } from 'vitest/node';
import { startEmbeddedDb } from '../../scripts/lib/embedded-db';
import { migrateUrl } from '../../scripts/lib/migrations';
import { findFreePort } from '../../scripts/lib/ports';
import { startWsProxy } from '../../scripts/lib/ws-proxy';
import { startFakeReceiver } from './fake-receiver';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    wsProxy: string;
    /** Local fake of webhook receivers, the email API and DNS over HTTPS (fake-receiver.ts). */
    receiverUrl: string;
  }
}

/**
 * Starts the database the integration tests use: an in-memory PGlite served over the wire protocol, or
 * the server in TEST_DATABASE_URL (CI's real PostgreSQL 15). Either way, migrations run first and the
 * WebSocket proxy the Neon driver needs is started in front of it.
 */
export default async function setup(project: TestProject) {
  let databaseUrl = process.env.TEST_DATABASE_URL;
  let stopDb: (() => Promise<void>) | undefined;
  if (!databaseUrl) {
    const db = await startEmbeddedDb({ port: await findFreePort() });
    databaseUrl = db.url;
    stopDb = () => db.stop();
  }
  const migrated = await migrateUrl(databaseUrl);
  const proxyPort = await findFreePort();
  const proxy = await startWsProxy({ port: proxyPort });
  console.log(
    `[test db] ${process.env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL' : 'embedded PGlite'}; migrations applied: ${migrated.applied.length}; proxy 127.0.0.1:${proxyPort}`,
  );
  project.provide('databaseUrl', databaseUrl);
  project.provide('wsProxy', `127.0.0.1:${proxyPort}`);
  const receiver = await startFakeReceiver(await findFreePort());
  project.provide('receiverUrl', receiver.url);
  return async () => {
    await receiver.close();
    await proxy.close();
    await stopDb?.();
  };
}

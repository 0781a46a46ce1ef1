import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../lib/ports';
import { savedOptions } from '../pg15';
import { startDelayProxy } from './delay-proxy';

let echo: Server | undefined;
afterEach(() => {
  echo?.close();
});

async function echoServer(): Promise<number> {
  const port = await findFreePort();
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo?.listen(port, '127.0.0.1', () => r()));
  return port;
}

/** Sends `chunks` through the proxy to an echo server; resolves with what came back and how long it took. */
function roundTrip(port: number, chunks: string[], expectBytes: number): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const s = connect({ host: '127.0.0.1', port }, () => {
      for (const c of chunks) s.write(c);
    });
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if (got.length >= expectBytes) {
        s.destroy();
        resolve({ text: got, ms: Date.now() - t0 });
      }
    });
    s.on('error', reject);
  });
}

describe('delay proxy (slow-db fault)', () => {
  it('passes bytes through in order, with no delay by default', async () => {
    const target = await echoServer();
    const proxy = await startDelayProxy(await findFreePort(), { host: '127.0.0.1', port: target });
    try {
      const chunks = Array.from({ length: 50 }, (_, i) => `${i};`);
      const r = await roundTrip(proxy.port, chunks, chunks.join('').length);
      expect(r.text).toBe(chunks.join(''));
    } finally {
      await proxy.close();
    }
  });

  it('holds every chunk for the delay in each direction once set, keeping order', async () => {
    const target = await echoServer();
    const proxy = await startDelayProxy(await findFreePort(), { host: '127.0.0.1', port: target });
    proxy.delayMs = 150;
    try {
      const chunks = Array.from({ length: 20 }, (_, i) => `chunk-${i}|`);
      const r = await roundTrip(proxy.port, chunks, chunks.join('').length);
      expect(r.text).toBe(chunks.join(''));
      // There and back: at least twice the delay.
      expect(r.ms).toBeGreaterThanOrEqual(290);
    } finally {
      await proxy.close();
    }
  });
});

describe('pg15 savedOptions (restart with the options the server was started with)', () => {
  it('reads postmaster.opts and drops -D', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgopts-'));
    writeFileSync(
      join(dir, 'postmaster.opts'),
      '/usr/lib/postgresql/15/bin/postgres "-D" "/tmp/x y/data" "-p" "25432" "-k" "/tmp/x y" "-c" "listen_addresses=127.0.0.1" "-c" "fsync=off"\n',
    );
    expect(savedOptions(dir)).toBe('-p 25432 -k "/tmp/x y" -c listen_addresses=127.0.0.1 -c fsync=off');
  });
});

// A TCP proxy that holds every chunk, in both directions, for a configurable delay before passing it on,
// keeping order: a slow network path to the database (or a slow database) for the slow-db fault run. The delay
// can be changed while connections are open.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface DelayProxy {
  port: number;
  delayMs: number;
  close(): Promise<void>;
}

function delayedPipe(from: Socket, to: Socket, proxy: { delayMs: number }) {
  let chain = Promise.resolve();
  from.on('data', (chunk: Buffer) => {
    const due = Date.now() + proxy.delayMs;
    // Each chunk waits for its own due time, after the chunks before it: order is kept.
    chain = chain.then(
      () =>
        new Promise<void>((resolve) => {
          const wait = due - Date.now();
          const write = () => {
            if (!to.destroyed) to.write(chunk);
            resolve();
          };
          if (wait > 0) setTimeout(write, wait);
          else write();
        }),
    );
  });
  from.on('end', () => {
    chain = chain.then(() => {
      if (!to.destroyed) to.end();
    });
  });
}

export async function startDelayProxy(listenPort: number, target: { host: string; port: number }): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const state = { delayMs: 0 };
  const server: Server = createServer((client) => {
    const upstream = connect(target);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    delayedPipe(client, upstream, state);
    delayedPipe(upstream, client, state);
    // After either side closes, let the chunks still held in the delay line go out first.
    const destroyBoth = () =>
      setTimeout(() => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      }, state.delayMs + 100);
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    client.on('close', destroyBoth);
    upstream.on('close', destroyBoth);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  return {
    port: listenPort,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { WebSocketServer } from 'ws';

export interface WsProxyOptions {
  port: number;
  host?: string;
  /** Targets the proxy may dial (`host:port`). Anything else is refused: this is not an open relay. */
  allowTargets?: (target: { host: string; port: number }) => boolean;
  log?: (line: string) => void;
}

const loopbackOnly = ({ host }: { host: string }) =>
  host === 'localhost' || host === '127.0.0.1' || host === '::1' || host === '[::1]';

/**
 * Tracks Postgres frontend-message boundaries so the proxy can see the Terminate message (`X`). Clients
 * that send Terminate expect the server to hang up; PGlite's socket server does not close on it, so the
 * proxy must end the TCP side itself or every closed pool leaks a connection.
 */
export class FrontendMessageScanner {
  private startupDone = false;
  private readonly header = new Uint8Array(8);
  private headerFill = 0;
  private remaining = 0;

  /** Feeds client bytes; returns true once a complete Terminate message has been seen. */
  feed(chunk: Uint8Array): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - i);
        this.remaining -= skip;
        i += skip;
        continue;
      }
      // Startup-phase messages have no type byte: int32 length + int32 code. Later ones: byte type + int32.
      const headerSize = this.startupDone ? 5 : 8;
      const take = Math.min(headerSize - this.headerFill, chunk.length - i);
      this.header.set(chunk.subarray(i, i + take), this.headerFill);
      this.headerFill += take;
      i += take;
      if (this.headerFill < headerSize) break;
      this.headerFill = 0;
      const view = new DataView(this.header.buffer);
      if (!this.startupDone) {
        const length = view.getUint32(0);
        const code = view.getUint32(4);
        this.remaining = Math.max(0, length - 8);
        // SSLRequest and GSSENCRequest are followed by another untyped startup message.
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.startupDone = true;
        continue;
      }
      const type = this.header[0];
      const length = view.getUint32(1);
      this.remaining = Math.max(0, length - 4);
      if (type === 0x58 /* 'X' */ && length === 4) return true;
    }
    return false;
  }
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Starts a WebSocket-to-TCP proxy compatible with the Neon serverless driver's `wsProxy` setting. */
export async function startWsProxy(options: WsProxyOptions): Promise<{ server: Server; close(): Promise<void> }> {
  const allow = options.allowTargets ?? loopbackOnly;
  const log = options.log ?? (() => {});
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n');
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const address = url.searchParams.get('address') ?? '';
    const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address);
    const target = match ? { host: match[1] ?? '', port: Number(match[2]) } : null;
    if (!target || !allow(target)) {
      log(`ws-proxy: refused target ${JSON.stringify(address)}`);
      ws.close(1008, 'target not allowed');
      return;
    }
    const scanner = new FrontendMessageScanner();
    const tcp = connect({ host: target.host.replace(/^\[|\]$/g, ''), port: target.port });
    tcp.setNoDelay(true);
    const pending: Buffer[] = [];
    let connected = false;
    tcp.on('connect', () => {
      connected = true;
      for (const buf of pending) tcp.write(buf);
      pending.length = 0;
    });
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const terminated = scanner.feed(buf);
      if (connected) tcp.write(buf);
      else pending.push(buf);
      if (terminated) {
        tcp.end();
        ws.close(1000);
      }
    });
    tcp.on('data', (buf) => {
      if (ws.readyState === ws.OPEN) ws.send(buf);
    });
    const closeBoth = () => {
      if (!tcp.destroyed) tcp.end();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
    };
    tcp.on('close', closeBoth);
    tcp.on('error', (err) => {
      log(`ws-proxy: tcp error ${err.message}`);
      closeBoth();
    });
    ws.on('close', () => {
      if (!tcp.destroyed) tcp.end();
    });
    ws.on('error', () => closeBoth());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
}

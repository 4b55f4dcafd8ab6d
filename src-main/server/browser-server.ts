import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { eventChannels, maxRequestBytes, type Result } from '../api/contract';
import type { ApiHandlers } from '../host/handlers';
import { tokenMatches } from '../app/token-match';

/** The renderer's Content-Security-Policy; the Electron window sends the same one. */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  // Svelte sets style attributes (progress bars, colours); no inline scripts are ever allowed.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface BrowserServerOptions {
  handlers: ApiHandlers;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface BrowserServer {
  /** Open this in a browser; the token rides in the fragment, which browsers never send to a server. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

interface ClientMessage {
  id: number;
  channel: string;
  arg?: unknown;
}

function parseClientMessage(data: string): ClientMessage | undefined {
  try {
    const message = JSON.parse(data) as Partial<ClientMessage>;
    if (typeof message?.id === 'number' && typeof message.channel === 'string') return message as ClientMessage;
  } catch {
    // Not JSON: answered below like any other malformed message.
  }
  return undefined;
}

/**
 * Browser mode: serves the built renderer and the API over a WebSocket on 127.0.0.1 only. Every API connection must
 * present the per-launch token and come from this server's own origin; requests naming another Host are refused,
 * which stops DNS-rebinding pages from reaching the API.
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = randomBytes(24).toString('base64url');
  const rendererRoot = resolve(options.rendererDir);
  let port = 0;
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((host) => `http://${host}`);

  const server = createServer((req, res) => {
    void serveStatic(req, res).catch((err: unknown) => {
      console.error('[server] static file failed:', err);
      if (!res.headersSent) res.writeHead(500).end('Internal error');
    });
  });

  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().includes(req.headers.host ?? '')) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden: unexpected Host header.');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('Bad request');
      return;
    }
    const relativePath = pathname === '/' ? 'index.html' : normalize(pathname).replace(/^[/\\]+/, '');
    const file = resolve(rendererRoot, relativePath);
    if (pathname.includes('\0') || (file !== rendererRoot && !file.startsWith(rendererRoot + sep))) {
      res.writeHead(404).end('Not found');
      return;
    }
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const body = await readFile(file);
    res.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      'content-security-policy': contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  // Requests are small except a dropped image (schema-limited); a larger message closes that socket (code 1009).
  const sockets = new WebSocketServer({ noServer: true, maxPayload: maxRequestBytes });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api') return refuse('404 Not Found');
    if (!allowedHosts().includes(req.headers.host ?? '')) return refuse('403 Forbidden');
    if (!allowedOrigins().includes(req.headers.origin ?? '')) return refuse('403 Forbidden');
    if (!tokenMatches(url.searchParams.get('token') ?? '', token)) return refuse('401 Unauthorized');
    sockets.handleUpgrade(req, socket, head, (ws) => connect(ws));
  });

  function connect(ws: WebSocket): void {
    const send = (message: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const unsubscribes = eventChannels.map((event) =>
      options.handlers.subscribe(event, (payload) => send({ event, payload })),
    );
    ws.on('close', () => unsubscribes.forEach((unsubscribe) => unsubscribe()));
    // A message over the limit, or one that is not valid UTF-8: ws closes this socket; without a listener the error
    // would be thrown and end the whole server (and the training it supervises).
    ws.on('error', (err) => console.warn(`Browser mode: closed a connection: ${err.message}`));
    ws.on('message', (data, isBinary) => {
      const message = isBinary ? undefined : parseClientMessage(data.toString());
      if (!message) {
        const error: Result<never> = {
          ok: false,
          error: { code: 'invalid_argument', message: 'Requests must be JSON objects with an id and a channel.' },
        };
        send({ id: null, result: error });
        return;
      }
      void options.handlers.invoke(message.channel, message.arg).then((result) => send({ id: message.id, result }));
    });
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

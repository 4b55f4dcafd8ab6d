import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { WebSocket, WebSocketServer } from 'ws';
import { rendererBuildDir } from '../src-main/app/paths';

/**
 * The desktop app's hidden GPU window without Electron: the built page (out/renderer/gpu-host.html and its worker
 * bundle, exactly what the desktop app loads over app://) in headless Chromium with WebGPU on, on SwiftShader where
 * there is no GPU. Worker processes reach it through a WebSocket relay on 127.0.0.1: each one that connects to
 * `url` gets its own session, which the page turns into a dedicated worker with a MessagePort — the same frames the
 * desktop app carries over a MessageChannelMain. Used by the tests and `npm run check:desktop-gpu`.
 */
export interface ChromiumGpuHost {
  /** Where a worker process connects (worker/gpu-host-port.ts: spawnWithGpuHost). */
  url: string;
  readonly page: Page;
  /**
   * Crashes the page's renderer process, and with it every GPU worker, as a GPU window crash would; then opens the page
   * again, as the desktop app opens a new GPU window for the next run.
   */
  crash(): Promise<void>;
  close(): Promise<void>;
}

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export async function startChromiumGpuHost(rendererDir = rendererBuildDir()): Promise<ChromiumGpuHost> {
  const root = resolve(rendererDir);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = resolve(root, `.${decodeURIComponent(path)}`);
    if (!file.startsWith(root + sep)) return void res.writeHead(404).end();
    void stat(file)
      .then(async (info) => {
        if (!info.isFile()) throw new Error('not a file');
        res.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' });
        res.end(await readFile(file));
      })
      .catch(() => res.writeHead(404).end());
  });

  // The relay: /host is the page's control socket, /client a worker process, /session/N the page's end of client N.
  const relay = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 ** 3 });
  let control: WebSocket | undefined;
  let nextSession = 1;
  const clients = new Map<number, { socket: WebSocket; waiting: Buffer[] }>();
  const pipe = (from: WebSocket, to: WebSocket) => {
    from.on('message', (data: Buffer) => to.send(data));
    from.on('close', () => to.close());
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    relay.handleUpgrade(req, socket, head, (ws) => {
      if (path === '/host') {
        control = ws;
        ws.on('close', () => {
          if (control === ws) control = undefined;
        });
        // Workers that connected while no page was up (between a crash and the new page) get their sessions now.
        for (const id of clients.keys()) ws.send(`session:${id}`);
        return;
      }
      if (path === '/client') {
        const id = nextSession++;
        const client = { socket: ws, waiting: [] as Buffer[] };
        // Frames sent before the page's side of the session opens wait for it.
        ws.on('message', (data: Buffer) => client.waiting.push(data));
        clients.set(id, client);
        ws.on('close', () => clients.delete(id));
        control?.send(`session:${id}`);
        return;
      }
      const session = /^\/session\/(\d+)$/.exec(path);
      const client = session && clients.get(Number(session[1]));
      if (!client) return ws.close();
      clients.delete(Number(session![1]));
      client.socket.removeAllListeners('message');
      for (const frame of client.waiting) ws.send(frame);
      pipe(client.socket, ws);
      pipe(ws, client.socket);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;

  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      // What the desktop app's GPU window needs on Linux as well (electron/gpu-host.ts): WebGPU itself.
      args: [
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  } catch (err) {
    server.close();
    throw err;
  }
  const openPage = async () => {
    const opened = await browser.newPage();
    await opened.goto(`http://127.0.0.1:${port}/gpu-host.html?relay=ws://127.0.0.1:${port}`);
    await opened.waitForSelector('body[data-relay="connected"]', { state: 'attached', timeout: 30_000 });
    return opened;
  };
  let page = await openPage();
  return {
    url: `ws://127.0.0.1:${port}/client`,
    get page() {
      return page;
    },
    crash: async () => {
      // A real crash: SIGKILL the renderer processes (the page's, and with it its dedicated workers').
      const cdp = await browser.newBrowserCDPSession();
      const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as {
        processInfo: Array<{ type: string; id: number }>;
      };
      for (const { type, id } of processInfo) if (type === 'renderer') process.kill(id, 'SIGKILL');
      await cdp.detach();
      await page.close().catch(() => {});
      page = await openPage();
    },
    close: async () => {
      await browser.close();
      for (const socket of relay.clients) socket.terminate();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { maxRequestBytes, maxUploadBytes } from '../../../src-main/api/contract';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openServices, type Services } from '../../../src-main/host/services';
import { createApiHandlers } from '../../../src-main/host/handlers';
import { startBrowserServer, type BrowserServer } from '../../../src-main/server/browser-server';
import { spawnNodeWorker } from '../../../src-main/worker/node-worker';
import { useTempDirs } from '../../helpers/temp-dir';

function get(
  port: number,
  path: string,
  host = `127.0.0.1:${port}`,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens an API socket; resolves with the socket, or with the HTTP status the server refused it with. */
function connect(
  server: BrowserServer,
  options: { token?: string; origin?: string; host?: string } = {},
): Promise<WebSocket | number> {
  const token = options.token ?? server.token;
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${encodeURIComponent(token)}`, {
    origin: options.origin ?? `http://127.0.0.1:${server.port}`,
    headers: options.host ? { host: options.host } : {},
  });
  return new Promise((resolve) => {
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

function call(
  ws: WebSocket,
  message: unknown,
): Promise<{ id: number | null; result: { ok: boolean; value?: unknown; error?: { code: string; message: string } } }> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(data.toString())));
    ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  });
}

describe('browser-mode server', () => {
  const tempDir = useTempDirs();
  let services: Services;
  let server: BrowserServer;

  async function start() {
    const rendererDir = join(tempDir(), 'renderer');
    mkdirSync(join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Autoencoder Studio</title>');
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'secret.txt'), 'do not serve me');
    services = openServices({ dataDir, spawnWorker: spawnNodeWorker, sampleDataset: false });
    const handlers = createApiHandlers(services, { name: 'Autoencoder Studio', version: 'test', transport: 'browser' });
    server = await startBrowserServer({ handlers, rendererDir });
  }

  afterEach(async () => {
    await server.close();
    await services.close();
  });

  it('listens on 127.0.0.1 with a long random token carried in the URL fragment', async () => {
    await start();
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/#token=[A-Za-z0-9_-]{32}$`));
  });

  it('serves the renderer with a strict Content-Security-Policy, and nothing outside it', async () => {
    await start();
    const index = await get(server.port, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('Autoencoder Studio');
    expect(String(index.headers['content-security-policy'])).toContain("script-src 'self'");
    expect((await get(server.port, '/assets/app.js')).headers['content-type']).toMatch(/javascript/);
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/../../secret.txt',
      '/..%2f..%2fsecret.txt',
      '/missing.js',
    ]) {
      const res = await get(server.port, path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('do not serve me');
    }
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    await start();
    expect((await get(server.port, '/', `evil.example:${server.port}`)).status).toBe(403);
    expect(await connect(server, { host: `evil.example:${server.port}` })).toBe(403);
  });

  it('refuses API connections without the token or from another origin', async () => {
    await start();
    expect(await connect(server, { token: '' })).toBe(401);
    expect(await connect(server, { token: `${server.token}x` })).toBe(401);
    expect(await connect(server, { origin: 'https://evil.example' })).toBe(403);
    expect(await connect(server, { origin: 'null' })).toBe(403);
  });

  it('answers API calls with the token, and malformed messages with an error', async () => {
    await start();
    const ws = await connect(server);
    expect(ws).toBeInstanceOf(WebSocket);
    const socket = ws as WebSocket;
    expect(await call(socket, { id: 1, channel: 'app:info' })).toMatchObject({
      id: 1,
      result: { ok: true, value: { transport: 'browser', dataDir: services.dataDir } },
    });
    expect(await call(socket, 'not json')).toMatchObject({
      id: null,
      result: { ok: false, error: { code: 'invalid_argument' } },
    });
    expect(await call(socket, { id: 2, channel: 'runs:get', arg: { runId: -1 } })).toMatchObject({
      id: 2,
      result: { ok: false, error: { code: 'invalid_argument' } },
    });
    socket.close();
  });

  it('survives any message: an image upload over 1 MiB is answered, a message over the limit closes only its socket', async () => {
    await start();
    const socket = (await connect(server)) as WebSocket;
    // A ~0.9 MB photo dropped on Results: its request is ~1.2 MB, which used to end the server.
    const photo = randomBytes(900_000).toString('base64');
    const images = { from: 'upload', name: 'photo.jpg', data: photo };
    expect(await call(socket, { id: 1, channel: 'results:reconstruct', arg: { runId: 999, images } })).toMatchObject({
      id: 1,
      result: { ok: false, error: { code: 'not_found', message: expect.stringMatching(/no run with id 999/) } },
    });
    // An upload over the schema's limit is told so, in words.
    const tooLarge = { ...images, data: 'A'.repeat(Math.ceil(maxUploadBytes / 3) * 4 + 4) };
    expect(
      await call(socket, { id: 2, channel: 'results:reconstruct', arg: { runId: 999, images: tooLarge } }),
    ).toMatchObject({
      id: 2,
      result: {
        ok: false,
        error: { message: expect.stringMatching(/The dropped file is too large \(the limit is 50 MB\)/) },
      },
    });
    // Past the connection's limit the server closes that socket (1009: message too big) and carries on.
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.send('x'.repeat(maxRequestBytes + 1));
    expect(await closed).toBe(1009);
    const again = (await connect(server)) as WebSocket;
    expect(await call(again, { id: 3, channel: 'app:info' })).toMatchObject({ id: 3, result: { ok: true } });
    again.close();
  });
});

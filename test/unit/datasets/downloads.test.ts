import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadFiles, downloadMirrorEnv, type DownloadSource } from '../../../src-main/datasets/downloads';
import { importBuiltin } from '../../../src-main/datasets/builtin-import';
import { openDatabase } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { listDatasets } from '../../../src-main/store/datasets';
import { writeCifar } from '../../helpers/cifar-files';
import { useTempDirs } from '../../helpers/temp-dir';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

/** A static file server that honours Range requests and records what it was asked. */
async function serve(
  files: Record<string, Buffer>,
): Promise<{ url: string; requests: Array<{ path: string; range?: string }>; server: Server }> {
  const requests: Array<{ path: string; range?: string }> = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({ path, range: req.headers.range });
    const body = files[path];
    if (!body) return res.writeHead(404, 'Not Found').end();
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      if (start >= body.length) return res.writeHead(416).end();
      res.writeHead(206, {
        'content-length': body.length - start,
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
      return res.end(body.subarray(start));
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, requests, server };
}

describe('downloading the standard sets', () => {
  const tempDir = useTempDirs();
  let server: Server | undefined;

  afterEach(async () => {
    delete process.env[downloadMirrorEnv];
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256));
  const source = (url: string, checksum = md5(payload)): DownloadSource => ({
    base: `${url}/files/`,
    files: [{ name: 'data.bin', md5: checksum }],
  });

  it('downloads with progress and keeps a verified file', async () => {
    const site = await serve({ '/files/data.bin': payload });
    server = site.server;
    const dir = tempDir();
    const progress: number[] = [];
    await downloadFiles(source(site.url), dir, new AbortController().signal, (p) => progress.push(p.doneBytes));
    expect(readFileSync(join(dir, 'data.bin'))).toEqual(payload);
    expect(progress.at(-1)).toBe(payload.length);
    // Already there and intact: not fetched again.
    await downloadFiles(source(site.url), dir, new AbortController().signal, () => {});
    expect(site.requests).toHaveLength(1);
  });

  it('resumes a partial download with a range request', async () => {
    const site = await serve({ '/files/data.bin': payload });
    server = site.server;
    const dir = tempDir();
    writeFileSync(join(dir, 'data.bin.part'), payload.subarray(0, 150_000));
    await downloadFiles(source(site.url), dir, new AbortController().signal, () => {});
    expect(site.requests).toEqual([{ path: '/files/data.bin', range: 'bytes=150000-' }]);
    expect(readFileSync(join(dir, 'data.bin'))).toEqual(payload);
  });

  it('throws away a download whose checksum does not match', async () => {
    const site = await serve({ '/files/data.bin': payload });
    server = site.server;
    const dir = tempDir();
    await expect(
      downloadFiles(source(site.url, '0'.repeat(32)), dir, new AbortController().signal, () => {}),
    ).rejects.toThrowError(/download of data\.bin is damaged \(its checksum does not match/);
    expect(existsSync(join(dir, 'data.bin'))).toBe(false);
    expect(existsSync(join(dir, 'data.bin.part'))).toBe(false);
  });

  it('says plainly when offline or when the file is missing', async () => {
    const dir = tempDir();
    // A port that was just free: nothing listens there any more.
    const closed = await serve({});
    await new Promise((resolve) => closed.server.close(resolve));
    const host = new URL(closed.url).host;
    await expect(downloadFiles(source(closed.url), dir, new AbortController().signal, () => {})).rejects.toThrowError(
      `Cannot reach ${host} (ECONNREFUSED). You seem to be offline`,
    );
    const site = await serve({});
    server = site.server;
    await expect(downloadFiles(source(site.url), dir, new AbortController().signal, () => {})).rejects.toThrowError(
      /answered "404 Not Found" for data\.bin/,
    );
  });

  it('downloads, checks and unpacks a CIFAR-10 archive, which then imports', async () => {
    // A CIFAR-10 archive in the official layout.
    const staging = tempDir();
    writeCifar(staging, 'python', 50, 10);
    const archive = join(staging, 'cifar-10-python.tar.gz');
    await create({ gzip: true, file: archive, cwd: staging }, ['cifar-10-batches-py']);
    const bytes = readFileSync(archive);
    const site = await serve({ '/cifar10/cifar-10-python.tar.gz': bytes });
    server = site.server;
    const dir = tempDir();
    const name = 'cifar-10-python.tar.gz';
    await downloadFiles(
      { base: `${site.url}/cifar10/`, files: [{ name, md5: md5(bytes) }], unpack: name },
      dir,
      new AbortController().signal,
      () => {},
    );
    expect(existsSync(join(dir, 'cifar-10-batches-py', 'test_batch'))).toBe(true);

    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    const ctx = { db, dataDir, signal: new AbortController().signal, onProgress: () => {} };
    await importBuiltin(ctx, { dataset: 'cifar10', from: dir });
    expect(listDatasets(db).map((d) => d.name)).toEqual(['CIFAR-10']);

    // Without a folder the official archive is fetched (here from a mirror serving this different file): its
    // published checksum does not match, so nothing is imported.
    process.env[downloadMirrorEnv] = site.url;
    const phases = new Set<string>();
    const ctx2 = { ...ctx, onProgress: (p: { phase: string }) => phases.add(p.phase) };
    await expect(importBuiltin(ctx2, { dataset: 'cifar10', name: 'again' })).rejects.toThrowError(
      /checksum does not match/,
    );
    expect(phases.has('downloading')).toBe(true);
    expect(listDatasets(db)).toHaveLength(1);
    db.close();
  });
});

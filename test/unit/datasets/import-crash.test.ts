import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { openDatabase } from '../../../src-main/store/database';
import { openServices } from '../../../src-main/host/services';
import { dataLayout } from '../../../src-main/app/paths';
import { spawnNodeWorker } from '../../../src-main/worker/node-worker';
import { writeTree } from '../../helpers/image-folder';
import { useTempDirs } from '../../helpers/temp-dir';

const bin = fileURLToPath(new URL('../../../bin/ae-studio.mjs', import.meta.url));

/** Noisy photos-sized JPEGs, so decoding takes long enough to kill the import part-way. */
async function noisyJpeg(seed: number): Promise<Buffer> {
  const raw = Buffer.alloc(320 * 240 * 3);
  let x = seed;
  for (let i = 0; i < raw.length; i++) raw[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return sharp(raw, { raw: { width: 320, height: 240, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

describe('a kill during import', () => {
  const tempDir = useTempDirs();

  it('leaves no partial dataset: the next start removes what the killed import wrote', async () => {
    const folder = tempDir();
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 400; i++) files[`class-${i % 4}/${i}.jpg`] = await noisyJpeg(i + 1);
    writeTree(folder, files);
    const dataDir = tempDir();
    // Create the store (and the sample) first, so the import is the only thing in flight when it is killed.
    await openServices({ dataDir, spawnWorker: spawnNodeWorker }).close();

    const child = spawn(process.execPath, [bin, 'import', folder, '--size', '128', '--data-dir', dataDir], {
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const db = openDatabase(dataLayout(dataDir).database, { readonly: true });
    const importing = () =>
      db.prepare(`SELECT id FROM datasets WHERE status = 'importing'`).get() as { id: number } | undefined;
    const started = Date.now();
    let partial: { id: number } | undefined;
    while (!(partial = importing()) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 5));
    expect(partial, 'the import started').toBeDefined();
    // Let it write some pixels, then kill it outright.
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await exited;
    expect(importing(), 'the killed import left its marker row').toBeDefined();
    db.close();

    const services = openServices({ dataDir, spawnWorker: spawnNodeWorker });
    expect(services.db.prepare('SELECT name, status FROM datasets').all()).toEqual([
      { name: 'Fashion-MNIST sample', status: 'ready' },
    ]);
    expect(services.db.prepare('SELECT count(*) AS n FROM images WHERE dataset_id = ?').get(partial!.id)).toEqual({
      n: 0,
    });
    expect(readdirSync(join(dataDir, 'datasets'))).toEqual(['1']);
    expect(services.db.pragma('integrity_check', { simple: true })).toBe('ok');
    await services.close();
  }, 120_000);
});

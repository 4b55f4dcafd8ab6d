import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { appRoot } from '../../../src-main/app/paths';

/** The desktop app's bundles cannot be launched here (no Electron binary), but the worker bundles run under Node. */
const out = join(appRoot(), 'out', 'main');

describe('built Electron bundles', () => {
  it('exist after the build (npm test runs `electron-vite build` first)', () => {
    for (const file of ['index.js', 'worker.js', 'jpeg-worker.js'])
      expect(existsSync(join(out, file)), file).toBe(true);
    expect(existsSync(join(appRoot(), 'out', 'preload', 'index.cjs'))).toBe(true);
    expect(readFileSync(join(appRoot(), 'out', 'renderer', 'index.html'), 'utf8')).toContain('Content-Security-Policy');
    // The hidden GPU window: its preload, and its page (run in Chromium by chromium-gpu-host.test.ts).
    expect(readFileSync(join(appRoot(), 'out', 'preload', 'gpu-host.cjs'), 'utf8')).toContain('gpu-host:connect');
    expect(readFileSync(join(appRoot(), 'out', 'renderer', 'gpu-host.html'), 'utf8')).toContain("worker-src 'self'");
  });

  it('the JPEG worker bundle decodes a JPEG', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ae-studio-bundle-')), 'blue.jpg');
    const jpeg = sharp({ create: { width: 90, height: 60, channels: 3, background: '#3366cc' } }).jpeg();
    writeFileSync(path, await jpeg.toBuffer());
    const worker = new Worker(join(out, 'jpeg-worker.js'));
    const result = await new Promise<{ pixels?: Uint8Array; declined?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage({
        id: 1,
        path,
        options: { size: 16, channels: 3, fit: 'cover', background: '#ffffff' },
      });
    });
    await worker.terminate();
    expect(result.declined).toBeUndefined();
    expect(result.pixels?.length).toBe(16 * 16 * 3);
    expect(Math.abs(result.pixels![2] - 0xcc)).toBeLessThan(8);
  });

  it('the worker bundle loads and refuses to run on its own', async () => {
    const stderr = await new Promise<string>((resolve) =>
      execFile(process.execPath, [join(out, 'worker.js')], (_error, _stdout, err) => resolve(err)),
    );
    expect(stderr).toContain('The worker must be started by Autoencoder Studio.');
  });
});

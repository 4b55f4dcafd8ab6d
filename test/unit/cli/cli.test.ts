import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../helpers/temp-dir';
import { makeImage, writeTree } from '../../helpers/image-folder';

const bin = fileURLToPath(new URL('../../../bin/ae-studio.mjs', import.meta.url));

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { timeout: 120_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('ae-studio command line', () => {
  const tempDir = useTempDirs();

  it('lists datasets as one JSON document', async () => {
    const dataDir = tempDir();
    const { code, stdout } = await cli(['datasets', '--json', '--data-dir', dataDir]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { ok: boolean; value: Array<{ name: string; trainCount: number }> };
    expect(doc.ok).toBe(true);
    expect(doc.value).toEqual([
      expect.objectContaining({ name: 'Fashion-MNIST sample', trainCount: 8000, testCount: 2000 }),
    ]);
  });

  it('trains a run end to end, with progress on stderr and the result on stdout', async () => {
    const dataDir = tempDir();
    const { code, stdout, stderr } = await cli([
      'train',
      '--preset',
      'small-dense',
      '--epochs',
      '1',
      '--batch',
      '256',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { value: { status: string; epochsDone: number; finalTestLoss: number } };
    expect(doc.value).toMatchObject({ status: 'completed', epochsDone: 1 });
    expect(doc.value.finalTestLoss).toBeGreaterThan(0);
    expect(stderr).toMatch(/epoch 1\/1 batch \d+\/32/);
    const runs = JSON.parse((await cli(['runs', '--json', '--data-dir', dataDir])).stdout) as { value: unknown[] };
    expect(runs.value).toHaveLength(1);
  }, 180_000);

  it('imports a folder and prints counts and the skipped files with reasons', async () => {
    const folder = tempDir();
    writeTree(folder, {
      'happy/1.png': await makeImage('png', 20, 20, { left: 10 }),
      'happy/2.jpg': await makeImage('jpeg', 30, 20, { left: 90 }),
      'sad/1.webp': await makeImage('webp', 20, 20, { left: 200 }),
      'sad/notes.txt': 'not an image',
      'unknown/1.png': await makeImage('png', 20, 20, { left: 50 }),
    });
    const dataDir = tempDir();
    const args = ['import', folder, '--name', 'Moods', '--size', '32', '--channels', '1', '--exclude', 'unknown'];
    const { code, stdout } = await cli([...args, '--test-split', '0', '--json', '--data-dir', dataDir]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { value: Record<string, unknown> & { report: { skipped: unknown[] } } };
    expect(doc.value).toMatchObject({
      name: 'Moods',
      width: 32,
      channels: 1,
      classNames: ['happy', 'sad'],
      classCounts: { train: [2, 1], test: [0, 0] },
    });
    expect(doc.value.report.skipped).toEqual([
      { path: 'sad/notes.txt', reason: expect.stringMatching(/not an image/) },
    ]);
    const shown = await cli(['dataset', String(doc.value.id), '--report', '--data-dir', dataDir]);
    expect(shown.stdout).toMatch(/Moods\s+32x32x1\s+3 train \/ 0 test[\s\S]*sad\/notes\.txt: not an image/);
  });

  it('downloads a standard set when no folder is given, and says so plainly when offline', async () => {
    // A mirror address where nothing listens stands in for a machine without a network.
    const { code, stdout } = await cli(['import-builtin', 'mnist', '--json', '--data-dir', tempDir()], {
      AE_STUDIO_DOWNLOAD_MIRROR: 'http://127.0.0.1:1',
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/Cannot reach 127\.0\.0\.1:1 .*You seem to be offline/) },
    });
  });

  it.each([
    [['import'], 2, /Say which folder to import/],
    [['import', '/nonexistent/folder'], 1, /does not exist/],
    [['import-builtin', 'cifar100'], 2, /dataset/],
    [['import-builtin', 'mnist', '--from', '/nonexistent/mnist'], 1, /The folder \/nonexistent\/mnist does not exist/],
    [['train', '--epochs', 'many'], 2, /--epochs must be a number/],
    [['train', '--epochs', '0'], 2, /at least 1 epoch/],
    [['train', '--dataset', 'cats'], 1, /no dataset "cats"/],
    [['frobnicate'], 2, /Unknown command "frobnicate"/],
    [['datasets', '--colour'], 2, /Unknown option '--colour'/],
    [['resume'], 2, /Say which run to resume/],
  ])('%j fails with exit code %i and says why', async (args, exitCode, message) => {
    const dataDir = tempDir();
    const { code, stdout } = await cli([...args, '--json', '--data-dir', dataDir]);
    expect(code).toBe(exitCode);
    const doc = JSON.parse(stdout) as { ok: boolean; error: { message: string } };
    expect(doc.ok).toBe(false);
    expect(doc.error.message).toMatch(message);
  });
});

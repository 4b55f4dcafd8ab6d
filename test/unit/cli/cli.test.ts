import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../helpers/temp-dir';

const bin = fileURLToPath(new URL('../../../bin/ae-studio.mjs', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
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

  it.each([
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

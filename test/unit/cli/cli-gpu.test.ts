import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { dataLayout } from '../../../src-main/app/paths';
import { runCli } from '../../helpers/cli-process';
import { makeImage, writeTree } from '../../helpers/image-folder';
import { softwareGpuEnv } from '../../helpers/software-gpu';
import { useTempDirs } from '../../helpers/temp-dir';

/**
 * The GPU engine's failures as a command-line user meets them, on SwiftShader through Dawn: a GPU whose results cannot
 * be read back is not claimed, and a GPU that fails during a run leaves the run interrupted, finished by
 * `resume N --cpu` with an uninterrupted CPU run's losses.
 */
describe('ae-studio and a failing GPU', () => {
  const tempDir = useTempDirs();
  const gpu = softwareGpuEnv({ allow: true, force: true });

  it('"engine" does not claim a GPU it cannot read back from, and says why', async () => {
    const { code, stdout } = await runCli(['engine', '--data-dir', tempDir()], {
      ...gpu,
      AE_STUDIO_TEST_FAIL_GPU_READBACK: 'probe',
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Training uses Native CPU \(native; /);
    expect(stdout).toMatch(
      /^ {2}not webgpu: a test step on the GPU could not be read back \(External buffers are not allowed\)$/m,
    );
    // Without the fault the same machine trains on the (software) GPU.
    expect((await runCli(['engine', '--data-dir', tempDir()], gpu)).stdout).toMatch(
      /^Training uses GPU \(WebGPU through Dawn, software\) \(webgpu; google swiftshader/,
    );
  }, 120_000);

  it('a GPU failure mid-run leaves it interrupted, and "resume N --cpu" ends it as a CPU run would', async () => {
    const dataDir = tempDir();
    const folder = tempDir();
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 12; i++) {
      files[`dark/d${i}.png`] = await makeImage('png', 16, 16, { left: 20 + i * 5, right: 200 - i * 5 });
      files[`light/l${i}.png`] = await makeImage('png', 16, 16, { left: 230 - i * 5, right: 40 + i * 5 });
    }
    writeTree(folder, files);
    const imported = await runCli([
      'import',
      folder,
      '--name',
      'tiny',
      '--size',
      '16',
      '--channels',
      '1',
      '--data-dir',
      dataDir,
    ]);
    expect(imported.code).toBe(0);
    const train = [
      'train',
      '--dataset',
      'tiny',
      '--preset',
      'small-dense',
      '--epochs',
      '2',
      '--batch',
      '6',
      '--seed',
      '3',
    ];

    // Reads back fail after 3 batches: inside epoch 2 (3 batches an epoch with 18 training images).
    const failing = await runCli([...train, '--data-dir', dataDir], { ...gpu, AE_STUDIO_TEST_FAIL_GPU_READBACK: '3' });
    expect(failing.stdout + failing.stderr).toMatch(
      /Training stopped because the GPU failed: External buffers are not allowed/,
    );
    const resumed = await runCli(['resume', '1', '--cpu', '--data-dir', dataDir], gpu);
    expect(resumed.code).toBe(0);
    const reference = await runCli([...train, '--data-dir', dataDir], { AE_STUDIO_ENGINE: 'native' });
    expect(reference.code).toBe(0);

    const db = new Database(dataLayout(dataDir).database, { readonly: true });
    try {
      const run = (id: number) =>
        db.prepare('SELECT status, engine, epochs_done AS epochs FROM runs WHERE id = ?').get(id) as object;
      expect(run(1)).toEqual({ status: 'completed', engine: 'native', epochs: 2 });
      expect(run(2)).toEqual({ status: 'completed', engine: 'native', epochs: 2 });
      const testLosses = (id: number) =>
        (
          db
            .prepare(`SELECT test_loss AS loss FROM metrics WHERE run_id = ? AND scope = 'epoch' ORDER BY step`)
            .all(id) as Array<{
            loss: number;
          }>
        ).map((m) => m.loss);
      const [gpuThenCpu, cpuOnly] = [testLosses(1), testLosses(2)];
      expect(gpuThenCpu).toHaveLength(2);
      // Epoch 1 was trained on the GPU (within float tolerance of the CPU); epoch 2 went on from its checkpoint.
      for (let epoch = 0; epoch < 2; epoch++) {
        expect(Math.abs(gpuThenCpu[epoch] - cpuOnly[epoch]) / cpuOnly[epoch]).toBeLessThan(1e-4);
      }
    } finally {
      db.close();
    }
  }, 240_000);
});

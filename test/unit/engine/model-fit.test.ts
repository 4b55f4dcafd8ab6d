import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryFitProblem } from '../../../src-main/engine/model-fit';
import { planModel } from '../../../src-main/models/model-plan';
import { presetConfig, presetIds } from '../../../src-main/models/presets';
import type { TrainingConfig } from '../../../src-main/api/contract';
import { runCli } from '../../helpers/cli-process';
import { useTempDirs } from '../../helpers/temp-dir';

const cpu = [4 * 1024 ** 3, "the CPU engine's 4 GB of WebAssembly memory"] as const;

/** Two 1,024-filter convolutions at full 28x28 resolution: what the notebooks' users sometimes try. */
function wide(): TrainingConfig {
  const base = presetConfig('small-conv', [28, 28, 1])!;
  const conv = { type: 'conv' as const, filters: 1024, kernel: 3, stride: 1, padding: 'same' as const };
  return { ...base, batchSize: 4096, epochs: 1, model: { ...base.model, encoder: [conv, conv] } };
}

describe('a model that cannot fit in memory', () => {
  const tempDir = useTempDirs();

  it('is explained before training, with a batch size that fits', () => {
    const config = wide();
    const plan = planModel(config.model, [28, 28, 1]);
    expect(memoryFitProblem(plan.summary, 4096, ...cpu)).toMatch(
      /^Training with a batch of 4096 needs about \d+\.\d GB of memory \(layer .+'s output alone is 12\.3 GB\), more than the CPU engine's 4 GB of WebAssembly memory\. Lower the batch size to (\d+) or less, or use fewer filters in that layer\.$/,
    );
    const fits = Number(/Lower the batch size to (\d+)/.exec(memoryFitProblem(plan.summary, 4096, ...cpu)!)![1]);
    expect(memoryFitProblem(plan.summary, fits, ...cpu)).toBeNull();
    expect(memoryFitProblem(plan.summary, fits + 1, ...cpu)).not.toBeNull();
  });

  it('never refuses a preset at its own batch size', () => {
    for (const id of presetIds) {
      for (const shape of [
        [28, 28, 1],
        [64, 64, 3],
      ] as Array<[number, number, number]>) {
        const config = presetConfig(id, shape);
        if (!config) continue;
        expect(
          memoryFitProblem(planModel(config.model, shape).summary, config.batchSize, ...cpu),
          `${id} ${shape}`,
        ).toBeNull();
      }
    }
  });

  it('fails the run in words at the CLI, not with the engine\'s "Invalid typed array length"', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'wide.json');
    writeFileSync(file, JSON.stringify(wide()));
    const run = await runCli(['train', '--config', file, '--data-dir', dataDir], { AE_STUDIO_ENGINE: 'native' });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(
      /Training with a batch of 4096 needs about .* Lower the batch size to \d+ or less/,
    );
    expect(run.stdout + run.stderr).not.toMatch(/Invalid typed array length/);
  }, 120_000);
});

import type * as tfType from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainingConfig } from '../../../src-main/api/contract';
import { selectEngine } from '../../../src-main/engine/select-engine';
import { presetConfig } from '../../../src-main/models/presets';
import { MemoryPixels } from '../../../src-main/trainer/memory-pixels';
import { createTrainerCore } from '../../../src-main/trainer/trainer-core';
import type { BatchLoss, Trainer } from '../../../src-main/trainer/trainer';
import { loadFashionSample } from '../../helpers/fashion-subset';

/**
 * A GPU core reads losses back a group of batches at a time, one group behind, so the device never waits for the
 * host between steps (trainer-core.ts: gpuReadEvery). The grouping is the core's, not the engine's, so it is shown here
 * on the native CPU engine: the same losses as reading every batch, bit for bit, and every batch accounted for once.
 */
describe('grouped loss reads', () => {
  let tf: typeof tfType;
  let pixels: Uint8Array;
  const config: TrainingConfig = { ...presetConfig('small-dense', [28, 28, 1])!, epochs: 2, batchSize: 8, seed: 3 };
  const images = 96; // 12 batches an epoch

  beforeAll(async () => {
    process.env.AE_STUDIO_ENGINE = 'native';
    ({ tf } = await selectEngine());
    pixels = loadFashionSample().pixels.subarray(0, (images + 16) * 784);
  });

  async function start(readEvery: number): Promise<Trainer> {
    const trainer = createTrainerCore(tf, { readEvery });
    await trainer.init(
      { config, shape: [28, 28, 1], checkpoint: null },
      {
        train: new MemoryPixels(pixels.subarray(0, images * 784), 784),
        test: new MemoryPixels(pixels.subarray(images * 784), 784),
      },
    );
    return trainer;
  }

  /** Trains both epochs; returns every loss in the order it came back, and how many came back with each step. */
  async function trainAll(trainer: Trainer): Promise<{ losses: BatchLoss[]; perStep: number[] }> {
    const losses: BatchLoss[] = [];
    const perStep: number[] = [];
    for (let epoch = 1; epoch <= 2; epoch++) {
      for (let b = 0; b < 12; b++) {
        const { done } = await trainer.trainBatch(epoch, b, config.learningRate);
        perStep.push(done.length);
        losses.push(...done);
      }
      losses.push(...(await trainer.flush()));
    }
    return { losses, perStep };
  }

  it('returns every batch once, in order, a group behind, with the losses of a read per batch', async () => {
    const single = await start(1);
    const every = await trainAll(single);
    await single.dispose();
    expect(every.perStep).toEqual(Array(24).fill(1));

    const grouped = await start(4);
    const groups = await trainAll(grouped);
    // Group 1 (batches 0–3) is read once group 2 is queued, and handed back at batch 7; flush returns the rest.
    expect(groups.perStep).toEqual([0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4]);
    expect(groups.losses.map((l) => [l.epoch, l.batch])).toEqual(every.losses.map((l) => [l.epoch, l.batch]));
    expect(groups.losses.map((l) => l.loss)).toEqual(every.losses.map((l) => l.loss));
    expect(groups.losses.every((l) => l.images === 8 && l.penalty === null)).toBe(true);
    // Learning, not just repeating: epoch 2's last batches are below epoch 1's first.
    expect(groups.losses.at(-1)!.loss).toBeLessThan(groups.losses[0].loss);
    await grouped.dispose();
  });

  it('refuses a checkpoint while losses are still on the device, and frees them', async () => {
    const trainer = await start(4);
    const before = tf.memory().numTensors;
    await trainer.trainBatch(1, 0, config.learningRate);
    await trainer.trainBatch(1, 1, config.learningRate);
    await expect(trainer.snapshot({ epoch: 0 })).rejects.toThrow('A snapshot was asked for before a flush.');
    expect(await trainer.flush()).toHaveLength(2);
    await expect(trainer.snapshot({ epoch: 0 })).resolves.toMatchObject({ state: { epoch: 0 } });
    // Nothing of the two steps is left behind once their losses are read (the optimizer's slots came with step 1).
    await trainer.trainBatch(1, 2, config.learningRate);
    await trainer.flush();
    const settled = tf.memory().numTensors;
    await trainer.trainBatch(1, 3, config.learningRate);
    await trainer.flush();
    expect(tf.memory().numTensors).toBe(settled);
    expect(settled).toBeGreaterThanOrEqual(before);
    await trainer.dispose();
  });
});

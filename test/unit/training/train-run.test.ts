import { describe, expect, it, beforeAll } from 'vitest';
import type * as tfType from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { selectEngine, type EngineStatus } from '../../../src-main/engine/select-engine';
import { trainRun } from '../../../src-main/training/train-run';
import { presets, type TrainingConfig } from '../../../src-main/training/training-config';
import { getRun, insertRun, requeueRun } from '../../../src-main/store/runs';
import { listMetrics } from '../../../src-main/store/metrics';
import { listCheckpoints } from '../../../src-main/store/checkpoints';
import { readReconstructionGallery } from '../../../src-main/training/run-service';
import { decodeBase64 } from '../../helpers/base64';
import { createFashionSubset, loadFashionSample } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';

let tf: typeof tfType;
let engine: EngineStatus;

beforeAll(async () => {
  process.env.AE_STUDIO_ENGINE = 'wasm';
  ({ tf, status: engine } = await selectEngine());
});

const trainCount = 512;
const testCount = 128;

function config(overrides: Partial<TrainingConfig> = {}): TrainingConfig {
  const base = presets.find((p) => p.id === 'small-dense')!.config;
  return { ...base, batchSize: 32, epochs: 3, learningRate: 3e-3, ...overrides };
}

function setUp(tempDir: () => string, runConfig: TrainingConfig): { db: Database; dataDir: string; runId: number } {
  const dataDir = tempDir();
  const db = openDatabase(dataLayout(dataDir).database);
  const datasetId = createFashionSubset(db, dataDir, trainCount, testCount);
  const runId = insertRun(db, { datasetId, name: 'test', config: JSON.stringify(runConfig) });
  return { db, dataDir, runId };
}

async function train(
  db: Database,
  dataDir: string,
  runId: number,
  stopAfterBatches = Infinity,
  preloadLimitBytes?: number,
) {
  let batches = 0;
  return trainRun({
    preloadLimitBytes,
    tf,
    engine,
    db,
    dataDir,
    runId,
    shouldStop: () => batches++ >= stopAfterBatches,
    onProgress: () => {},
    yieldToEvents: () => Promise.resolve(),
  });
}

/** MSE of predicting every test image by the mean training image: the bar any autoencoder must clear. */
function meanImageBaseline(): number {
  const { pixels } = loadFashionSample();
  const mean = new Float64Array(784);
  for (let i = 0; i < trainCount; i++) for (let p = 0; p < 784; p++) mean[p] += pixels[i * 784 + p] / 255 / trainCount;
  let sum = 0;
  for (let i = trainCount; i < trainCount + testCount; i++) {
    for (let p = 0; p < 784; p++) sum += (pixels[i * 784 + p] / 255 - mean[p]) ** 2;
  }
  return sum / (testCount * 784);
}

describe('trainRun (WebAssembly engine, real Fashion-MNIST images)', () => {
  const tempDir = useTempDirs();

  it.each(['small-dense', 'small-conv'])(
    '%s learns: loss falls and test reconstructions beat the mean image',
    async (presetId) => {
      const preset = presets.find((p) => p.id === presetId)!;
      const { db, dataDir, runId } = setUp(tempDir, config({ model: preset.config.model }));
      const result = await train(db, dataDir, runId);
      expect(result).toEqual({ status: 'completed', error: null });

      const epochs = listMetrics(db, runId, 'epoch');
      expect(epochs.map((m) => m.epoch)).toEqual([1, 2, 3]);
      const batches = listMetrics(db, runId, 'batch');
      const firstBatches = batches.slice(0, 4).reduce((a, m) => a + m.trainLoss!, 0) / 4;
      expect(epochs[2].trainLoss!).toBeLessThan(firstBatches * 0.6);
      expect(epochs[2].testLoss!).toBeLessThan(epochs[0].testLoss!);
      expect(epochs[2].testLoss!).toBeLessThan(meanImageBaseline());

      const run = getRun(db, runId)!;
      expect(run).toMatchObject({ status: 'completed', epochsDone: 3, engine: 'wasm' });
      expect(listCheckpoints(db, runId)).toHaveLength(3);

      const gallery = readReconstructionGallery(db, dataDir, { runId });
      expect(gallery.epochs).toEqual([1, 2, 3]);
      expect(gallery.items).toHaveLength(10);
      const originals = decodeBase64(gallery.originals);
      const reconstructions = decodeBase64(gallery.reconstructions);
      expect(reconstructions.length).toBe(originals.length);
      // The stored per-image error matches the pixels we get back (rounded to bytes).
      const mse0 =
        originals.subarray(0, 784).reduce((a, v, p) => a + (v / 255 - reconstructions[p] / 255) ** 2, 0) / 784;
      expect(mse0).toBeCloseTo(gallery.items[0].mse, 3);
      db.close();
    },
  );

  it('gives identical losses for the same seed, whether the split is in memory or read batch by batch', async () => {
    const losses = async (preloadLimitBytes?: number) => {
      const { db, dataDir, runId } = setUp(tempDir, config({ epochs: 1 }));
      await train(db, dataDir, runId, Infinity, preloadLimitBytes);
      const values = listMetrics(db, runId, 'batch').map((m) => m.trainLoss);
      db.close();
      return values;
    };
    const [a, b, streamed] = [await losses(), await losses(), await losses(0)];
    expect(a.length).toBe(trainCount / 32);
    expect(a).toEqual(b);
    expect(streamed).toEqual(a);
  });

  it('stops between batches and resumes from the last checkpoint to the same result as an unbroken run', async () => {
    const unbroken = setUp(tempDir, config());
    await train(unbroken.db, unbroken.dataDir, unbroken.runId);
    const expected = listMetrics(unbroken.db, unbroken.runId, 'epoch').map((m) => m.testLoss);

    const { db, dataDir, runId } = setUp(tempDir, config());
    // Stop in the middle of epoch 2: epoch 1's checkpoint is the one to resume from.
    const stopped = await train(db, dataDir, runId, trainCount / 32 + 5);
    expect(stopped.status).toBe('stopped');
    expect(getRun(db, runId)).toMatchObject({ status: 'stopped', epochsDone: 1 });
    expect(existsSync(join(dataDir, listCheckpoints(db, runId)[0].path, 'weights.bin'))).toBe(true);

    expect(requeueRun(db, runId)).toBe(true);
    expect((await train(db, dataDir, runId)).status).toBe('completed');
    const resumed = listMetrics(db, runId, 'epoch').map((m) => m.testLoss);
    expect(resumed).toHaveLength(3);
    // Same seed, same data order per epoch, restored weights and optimizer state: the curves agree.
    resumed.forEach((loss, i) => expect(loss!).toBeCloseTo(expected[i]!, 4));
    expect(listMetrics(db, runId, 'batch')).toHaveLength(3 * (trainCount / 32));
    unbroken.db.close();
    db.close();
  });

  it('fails with a clear message when the dataset has no training images', async () => {
    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    const datasetId = createFashionSubset(db, dataDir, 0, 16);
    const runId = insertRun(db, { datasetId, name: 'empty', config: JSON.stringify(config()) });
    const result = await train(db, dataDir, runId);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/has no training images/);
    expect(getRun(db, runId)).toMatchObject({ status: 'failed' });
    db.close();
  });
});

import { describe, expect, it, beforeAll } from 'vitest';
import type * as tfType from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { selectEngine, type EngineStatus } from '../../../src-main/engine/select-engine';
import { trainInProcess } from '../../helpers/train-in-process';
import { trainRun } from '../../../src-main/training/train-run';
import { createTrainerCore } from '../../../src-main/trainer/trainer-core';
import type { TrainingConfig } from '../../../src-main/models/training-config';
import { listPresets, presetConfig } from '../../../src-main/models/presets';
import { getRun, insertRun, requeueRun } from '../../../src-main/store/runs';
import { insertMetric, listMetrics } from '../../../src-main/store/metrics';
import { listCheckpoints } from '../../../src-main/store/checkpoints';
import { getRunSummary } from '../../../src-main/runs/run-summaries';
import { readReconstructionGallery } from '../../../src-main/runs/run-detail';
import { exportRun, importRun } from '../../../src-main/experiments/run-export';
import {
  disposeRunModel,
  encodeAndReconstruct,
  loadRunModel,
  meanSquaredErrors,
} from '../../../src-main/evaluation/run-model';
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
  const base = presetConfig('small-dense', [28, 28, 1])!;
  return { ...base, batchSize: 32, epochs: 3, learningRate: 3e-3, ...overrides };
}

function setUp(
  tempDir: () => string,
  runConfig: TrainingConfig,
  counts: { train: number; test: number } = { train: trainCount, test: testCount },
): { db: Database; dataDir: string; runId: number } {
  const dataDir = tempDir();
  const db = openDatabase(dataLayout(dataDir).database);
  const datasetId = createFashionSubset(db, dataDir, counts.train, counts.test);
  const runId = insertRun(db, { datasetId, name: 'test', config: JSON.stringify(runConfig) });
  return { db, dataDir, runId };
}

function train(db: Database, dataDir: string, runId: number, stopAfterBatches = Infinity, preloadLimitBytes?: number) {
  return trainInProcess({ tf, engine, db, dataDir, runId }, { stopAfterBatches, preloadLimitBytes });
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
      const { db, dataDir, runId } = setUp(tempDir, config({ model: presetConfig(presetId, [28, 28, 1])!.model }));
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
      // Every class in turn, not the first ten test images.
      expect(new Set(gallery.items.map((item) => item.label)).size).toBe(10);
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

  it("records a sparse run's reconstruction loss apart from its L1 penalty: the test loss is the per-image MSE", async () => {
    const sparse = config({ epochs: 2, sparsity: { weight: 1e-3, layers: ['latent'] } });
    const { db, dataDir, runId } = setUp(tempDir, sparse);
    expect((await train(db, dataDir, runId)).status).toBe('completed');
    const epochs = listMetrics(db, runId, 'epoch');
    for (const m of epochs) {
      expect(m.trainPenalty).toBeGreaterThan(0);
      expect(m.testPenalty).toBeGreaterThan(0);
    }
    // The stored test loss is the mean squared error of the last checkpoint's reconstructions, computed apart from
    // training (as Results does), with no penalty inside it.
    const parts = await loadRunModel(tf, db, dataDir, runId);
    const { pixels } = loadFashionSample();
    const inputs = Float32Array.from(pixels.subarray(trainCount * 784, (trainCount + testCount) * 784), (v) => v / 255);
    const { outputs } = await encodeAndReconstruct(tf, parts, inputs, testCount);
    const perImage = meanSquaredErrors(inputs, outputs, testCount);
    const meanError = perImage.reduce((a, v) => a + v, 0) / testCount;
    disposeRunModel(parts);
    expect(epochs[1].testLoss!).toBeCloseTo(meanError, 5);
    expect(epochs[1].testPenalty!).toBeGreaterThan(0.05 * meanError);
    const summary = getRunSummary(db, runId);
    expect(summary.finalTestLoss).toBe(epochs[1].testLoss);
    expect(summary.penalty).toEqual({
      term: 'l1',
      finalTrain: epochs[1].trainPenalty,
      finalTest: epochs[1].testPenalty,
      includedInLoss: false,
    });
    // A plain run has no penalty at all.
    const plain = setUp(tempDir, config({ epochs: 1 }));
    await train(plain.db, plain.dataDir, plain.runId);
    expect(listMetrics(plain.db, plain.runId, 'epoch')[0]).toMatchObject({ trainPenalty: null, testPenalty: null });
    expect(getRunSummary(plain.db, plain.runId).penalty).toBeNull();
    // A sparse run trained before the terms were kept apart (no penalty recorded) is marked: its loss includes it.
    const older = insertRun(db, {
      datasetId: getRun(db, runId)!.datasetId,
      name: 'older',
      config: JSON.stringify(sparse),
    });
    insertMetric(db, older, { ...epochs[0], trainPenalty: null, testPenalty: null });
    expect(getRunSummary(db, older).penalty).toMatchObject({ term: 'l1', includedInLoss: true });
    db.close();
    plain.db.close();
  });

  it('trains on a stratified subset of the training split when asked, and says so in its summary', async () => {
    const { db, dataDir, runId } = setUp(tempDir, config({ epochs: 1, batchSize: 32, trainSubset: 100 }));
    expect((await train(db, dataDir, runId)).status).toBe('completed');
    // 100 of the 512 training images: 4 batches of 32 (the last one of 4), not 16.
    expect(listMetrics(db, runId, 'batch')).toHaveLength(4);
    expect(getRunSummary(db, runId).trainSubset).toBe(100);
    db.close();
  });

  it('measures batch-norm statistics over training images before each evaluation: a short BN run beats the mean image', async () => {
    // Seed 004's stride-2 conv + batch-norm stack: with the moving averages alone (momentum 0.99, 48 batches) its
    // test reconstructions are flat grey and lose to the mean image.
    const model = presetConfig('photos-stride2-bn', [28, 28, 1])!.model;
    const { db, dataDir, runId } = setUp(tempDir, config({ model, epochs: 3 }));
    expect(await train(db, dataDir, runId)).toEqual({ status: 'completed', error: null });
    const epochs = listMetrics(db, runId, 'epoch');
    expect(epochs.at(-1)!.testLoss!).toBeLessThan(meanImageBaseline());

    // The stored statistics are the sample's own: the first batch-norm layer's moving mean is the mean of what
    // reaches it over the training images measured (the first 512 in this set's seeded order: all of them).
    const parts = await loadRunModel(tf, db, dataDir, runId);
    const bn = parts.model.layers.find((layer) => layer.getClassName() === 'BatchNormalization')!;
    const { pixels } = loadFashionSample();
    const direct = tf.tidy(() => {
      const reaching = tf.model({ inputs: parts.model.inputs, outputs: bn.input as tfType.SymbolicTensor });
      const x = tf.div(tf.tensor4d(pixels.subarray(0, trainCount * 784), [trainCount, 28, 28, 1]), 255);
      const out = reaching.predict(x) as tfType.Tensor;
      return tf.mean(out, [0, 1, 2]).dataSync();
    });
    const stored = bn.getWeights()[2].dataSync();
    for (let c = 0; c < stored.length; c++) expect(stored[c]).toBeCloseTo(direct[c], 3);
    disposeRunModel(parts);
    db.close();
  });

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
    // Stop in the middle of epoch 2: Stop keeps what epoch 2 has trained in a checkpoint inside it.
    const stopped = await train(db, dataDir, runId, trainCount / 32 + 5);
    expect(stopped.status).toBe('stopped');
    expect(getRun(db, runId)).toMatchObject({ status: 'stopped', epochsDone: 1 });
    const kept = listCheckpoints(db, runId);
    expect(kept.map((c) => [c.epoch, c.batchesDone, c.batchesTotal])).toEqual([
      [1, null, null],
      [2, 5, trainCount / 32],
    ]);
    for (const c of kept) expect(existsSync(join(dataDir, c.path, 'weights.bin'))).toBe(true);
    expect(getRunSummary(db, runId).checkpointInside).toEqual({ epoch: 2, batch: 5, batches: trainCount / 32 });
    // Results and the latent map open it like any checkpoint, and know it is inside epoch 2.
    const parts = await loadRunModel(tf, db, dataDir, runId);
    expect([parts.epoch, parts.inside]).toEqual([2, { epoch: 2, batch: 5, batches: trainCount / 32 }]);
    disposeRunModel(parts);
    // An exported copy keeps it as a checkpoint inside epoch 2 too.
    const exported = await exportRun(db, dataDir, { runId, dir: tempDir() });
    const copy = setUp(tempDir, config());
    const imported = importRun(copy.db, copy.dataDir, undefined, exported.path);
    expect(imported.checkpointInside).toEqual({ epoch: 2, batch: 5, batches: trainCount / 32 });
    copy.db.close();

    expect(requeueRun(db, runId)).toBe(true);
    expect((await train(db, dataDir, runId)).status).toBe('completed');
    const resumed = listMetrics(db, runId, 'epoch').map((m) => m.testLoss);
    expect(resumed).toHaveLength(3);
    // Same seed, same data order per epoch, restored weights and optimizer state: the same numbers, bit for bit.
    expect(resumed).toEqual(expected);
    expect(listMetrics(db, runId, 'batch')).toHaveLength(3 * (trainCount / 32));
    expect(listMetrics(db, runId, 'batch').map((m) => m.trainLoss)).toEqual(
      listMetrics(unbroken.db, unbroken.runId, 'batch').map((m) => m.trainLoss),
    );
    // The end of epoch 2 replaced the checkpoint inside it, row and folder.
    expect(listCheckpoints(db, runId).every((c) => c.batchesDone === null)).toBe(true);
    expect(readdirSync(join(dataLayout(dataDir).runDir(runId), 'checkpoints')).some((n) => n.includes('batch'))).toBe(
      false,
    );
    unbroken.db.close();
    db.close();
  });

  it('checkpoints a long epoch as it goes, keeping only the latest checkpoint inside it', async () => {
    const { db, dataDir, runId } = setUp(tempDir, config({ epochs: 1 }));
    const folders = () => readdirSync(join(dataLayout(dataDir).runDir(runId), 'checkpoints'));
    const seen = new Set<string>();
    // Every batch counts as "a few minutes" here; stop after 6 batches.
    const result = await trainInProcess(
      { tf, engine, db, dataDir, runId },
      {
        stopAfterBatches: 6,
        midEpochCheckpointMs: 0,
        beforeBatch: (trained) => {
          if (trained > 1) for (const name of folders()) seen.add(name);
        },
      },
    );
    expect(result.status).toBe('stopped');
    // One folder at a time: each new checkpoint inside the epoch replaced the one before.
    expect(folders()).toEqual(['epoch-0001-batch-000006']);
    expect([...seen].filter((n) => n.startsWith('epoch-0001-batch-')).length).toBeGreaterThanOrEqual(4);
    expect(listCheckpoints(db, runId).map((c) => c.batchesDone)).toEqual([6]);
    db.close();
  });

  /**
   * Every preset, adapted to 28x28 grayscale, learns on a tiny set: its loss (with any penalty) falls. The heavy ones
   * (seed 001's 112-filter CAE costs ~0.4 s per image to train on this engine) get fewer, smaller batches.
   */
  const heavy: Record<string, { train: number; batch: number }> = {
    'fashion-cae-2d': { train: 24, batch: 4 },
    'fashion-denoising-cae': { train: 24, batch: 4 },
    'cifar-conv-latent10': { train: 64, batch: 8 },
    'conv-unpool': { train: 64, batch: 8 },
    'conv-unpool-transpose': { train: 64, batch: 8 },
  };
  it.each(listPresets([28, 28, 1]).map((p) => [p.id, p.config] as const))(
    'preset %s trains on a tiny dataset with falling loss',
    async (id, presetConfig) => {
      const size = heavy[id] ?? { train: 512, batch: 16 };
      const runConfig = { ...presetConfig, epochs: 2, batchSize: size.batch, earlyStopping: null };
      const { db, dataDir, runId } = setUp(tempDir, runConfig, { train: size.train, test: 16 });
      expect(await train(db, dataDir, runId)).toEqual({ status: 'completed', error: null });
      // What is minimised: the reconstruction loss plus any penalty (a sparse run's may trade one for the other).
      const batches = listMetrics(db, runId, 'batch').map((m) => m.trainLoss! + (m.trainPenalty ?? 0));
      expect(batches).toHaveLength((2 * size.train) / size.batch);
      const firstBatches = batches.slice(0, 3).reduce((a, b) => a + b, 0) / 3;
      const lastBatches = batches.slice(-3).reduce((a, b) => a + b, 0) / 3;
      expect(lastBatches).toBeLessThan(firstBatches * 0.95);
      db.close();
    },
  );

  /** Dropout, VAE sampling and input noise all draw random numbers: each must come from the run's seed. */
  const randomConfig = (): TrainingConfig => {
    const vae = presetConfig('conv-vae', [28, 28, 1])!;
    return config({
      ...vae,
      batchSize: 32,
      epochs: 2,
      corruption: { type: 'gaussianOcclusion', level: 0.2 },
      model: { ...vae.model, decoder: [{ type: 'dropout', rate: 0.2 }, ...vae.model.decoder] },
    });
  };

  it('gives the same losses for the same seed with dropout, VAE sampling and noise, also across a resume', async () => {
    const small = { train: 256, test: 32 };
    const unbroken = setUp(tempDir, randomConfig(), small);
    await train(unbroken.db, unbroken.dataDir, unbroken.runId);
    const expected = listMetrics(unbroken.db, unbroken.runId, 'batch').map((m) => m.trainLoss);
    const again = setUp(tempDir, randomConfig(), small);
    await train(again.db, again.dataDir, again.runId);
    expect(listMetrics(again.db, again.runId, 'batch').map((m) => m.trainLoss)).toEqual(expected);

    const other = setUp(tempDir, { ...randomConfig(), seed: 2 }, small);
    await train(other.db, other.dataDir, other.runId, 4);
    expect(listMetrics(other.db, other.runId, 'batch').map((m) => m.trainLoss)).not.toEqual(expected.slice(0, 4));

    const { db, dataDir, runId } = setUp(tempDir, randomConfig(), small);
    // Stop in the middle of epoch 2, so the resume replays that epoch's dropout, samples and noise.
    expect((await train(db, dataDir, runId, small.train / 32 + 3)).status).toBe('stopped');
    expect(requeueRun(db, runId)).toBe(true);
    expect((await train(db, dataDir, runId)).status).toBe('completed');
    const resumed = listMetrics(db, runId, 'batch').map((m) => m.trainLoss);
    expect(resumed).toEqual(expected);
    for (const opened of [unbroken, again, other]) opened.db.close();
    db.close();
  });

  it('pauses between batches and continues the same curve', async () => {
    const unbroken = setUp(tempDir, config({ epochs: 1 }));
    await train(unbroken.db, unbroken.dataDir, unbroken.runId);
    const expected = listMetrics(unbroken.db, unbroken.runId, 'batch').map((m) => m.trainLoss);

    const { db, dataDir, runId } = setUp(tempDir, config({ epochs: 1 }));
    const statuses: string[] = [];
    let batch = 0;
    let paused = false;
    const result = await trainRun({
      trainer: createTrainerCore(tf),
      engine,
      db,
      dataDir,
      runId,
      shouldStop: () => false,
      // Pause once, at batch 5, for a moment.
      isPaused: () => {
        batch++;
        if (batch === 5) paused = true;
        return paused;
      },
      waitForResume: () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            paused = false;
            resolve();
          }, 50),
        ),
      onProgress: (p) => statuses.push(p.status),
      yieldToEvents: () => Promise.resolve(),
    });
    expect(result.status).toBe('completed');
    expect(statuses).toContain('paused');
    expect(statuses.indexOf('paused')).toBeLessThan(statuses.lastIndexOf('running'));
    expect(listMetrics(db, runId, 'batch').map((m) => m.trainLoss)).toEqual(expected);
    unbroken.db.close();
    db.close();
  });

  it('stops early when the test loss stops improving, and says so', async () => {
    // A minimum improvement no run can make: the second epoch cannot count as better than the first.
    const { db, dataDir, runId } = setUp(tempDir, config({ epochs: 5, earlyStopping: { patience: 1, minDelta: 1 } }));
    expect(await train(db, dataDir, runId)).toEqual({ status: 'completed', error: null });
    expect(getRun(db, runId)).toMatchObject({
      status: 'completed',
      epochsDone: 2,
      note: 'Stopped early after epoch 2: the test loss last improved in epoch 1.',
    });
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

import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as metrics from '../store/metrics';
import * as checkpoints from '../store/checkpoints';
import * as artifacts from '../store/artifacts';
import { getDataset, type DatasetRow } from '../store/datasets';
import { splitIndex } from '../store/images';
import { stratifiedPick } from '../datasets/split';
import { openPixelCache } from '../datasets/dataset-store';
import { SplitPixels } from './split-pixels';
import { dataLayout } from '../app/paths';
import { writeFileAtomic } from '../app/files';
import type { EngineStatus } from '../engine/select-engine';
import { nativeAdam } from '../engine/native-adam';
import { buildModel } from '../models/build-model';
import { latentLogVarLayerName, latentMeanLayerName, type ImageShape } from '../models/model-plan';
import { setRandomStep, nextStepSeed } from '../models/step-random';
import { checkTrainingConfig, trainingConfigSchema, type TrainingConfig } from '../models/training-config';
import { corruptBatch } from './corruption';
import { readCheckpoint, restoreOptimizer, writeCheckpoint, type CheckpointState } from './checkpoint-files';
import { pruneCheckpoints, removeUnreferencedCheckpoints } from './checkpoint-retention';
import { remeasureBatchNorm, statisticsSampleSize } from './batch-norm-statistics';
import { epochOrder, seededRandom } from '../app/random';
import type { TrainingProgress } from '../api/contract';
import type { GpuWatch } from '../engine/webgpu-engine';
import { loseDeviceAfterEnv } from '../engine/webgpu-engine';
import { gpuFitProblem } from '../engine/gpu-fit';
import { UserError } from '../api/errors';
import { explainStorageError } from '../app/storage-errors';

/** How many test images each epoch's reconstruction gallery shows. */
export const galleryImages = 10;
const evalBatch = 256;
const optimizerEpsilon = 1e-7;
const progressIntervalMs = 150;

export interface TrainRunContext {
  tf: typeof tfType;
  engine: EngineStatus;
  /** On the GPU engine: the device's faults and limits. */
  gpu?: GpuWatch;
  db: Database;
  dataDir: string;
  runId: number;
  shouldStop(): boolean;
  /** True while the user has paused the run; `waitForResume` settles when they resume or stop it. */
  isPaused(): boolean;
  waitForResume(): Promise<void>;
  onProgress(progress: TrainingProgress): void;
  /** Splits larger than this are read from the cache file batch by batch (default: split-pixels.ts). */
  preloadLimitBytes?: number;
  /** Lets queued messages (a stop request) in between batches. */
  yieldToEvents(): Promise<void>;
  /** How often a long epoch saves a checkpoint inside it (default: midEpochCheckpointMs). */
  midEpochCheckpointMs?: number;
}

/** A long epoch is checkpointed this often, so a crash loses at most this much training. */
export const midEpochCheckpointMs = 5 * 60_000;

export interface TrainRunResult {
  status: runs.RunStatus;
  error: string | null;
}

function makeOptimizer(tf: typeof tfType, config: TrainingConfig): tfType.Optimizer {
  switch (config.optimizer) {
    case 'adam':
      // Epsilon is given, never left to the backend (tfjs's webgl backend would pick 1e-4), so engines agree.
      return nativeAdam(tf, config.learningRate) ?? tf.train.adam(config.learningRate, 0.9, 0.999, optimizerEpsilon);
    case 'rmsprop':
      return tf.train.rmsprop(config.learningRate, 0.9, 0, optimizerEpsilon);
    case 'sgd':
      return tf.train.sgd(config.learningRate);
  }
}

export function reconstructionLoss(
  tf: typeof tfType,
  loss: TrainingConfig['loss'],
  prediction: tfType.Tensor,
  target: tfType.Tensor,
): tfType.Scalar {
  return tf.tidy(() => {
    if (loss === 'mse') return tf.mean(tf.squaredDifference(prediction, target)) as tfType.Scalar;
    const p = tf.clipByValue(prediction, 1e-7, 1 - 1e-7);
    const ones = tf.onesLike(target);
    return tf.neg(
      tf.mean(tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(ones, target), tf.log(tf.sub(ones, p))))),
    ) as tfType.Scalar;
  });
}

/** Trains one stored run from its last checkpoint (or from scratch) to its configured epochs. */
export async function trainRun(ctx: TrainRunContext): Promise<TrainRunResult> {
  const { tf, db, runId } = ctx;
  const run = runs.getRun(db, runId);
  if (!run) return { status: 'failed', error: `Run ${runId} does not exist.` };
  try {
    return await trainLoaded(ctx, run);
  } catch (err) {
    // A GPU fault (device lost, out of memory, a shader that failed) is the machine's, not the run's: keep the run
    // resumable from its last checkpoint, on the GPU again or on the CPU.
    const fault = ctx.gpu?.fault();
    if (fault) {
      const kept = describeCheckpoint(checkpoints.latestCheckpoint(db, runId));
      const message =
        `Training stopped because ${fault}. The run keeps its last checkpoint (${kept ?? 'none yet: it restarts from the beginning'}); ` +
        'resume it on the GPU, or choose "Resume on CPU".';
      runs.interruptRun(db, runId, process.pid, message);
      return { status: 'interrupted', error: message };
    }
    // A full disk is the machine's too: the last checkpoint was written whole (or not at all), so it stays resumable.
    const full = explainStorageError(err, ctx.dataDir, 'Training stopped');
    if (full instanceof UserError && full.code === 'disk_full') {
      const kept = describeCheckpoint(checkpoints.latestCheckpoint(db, runId));
      const message = `${full.message} The run keeps its last checkpoint (${kept ?? 'none yet'}); resume it once there is space.`;
      try {
        runs.interruptRun(db, runId, process.pid, message);
      } catch {
        // The store could not take even this row: the next start marks the run interrupted.
      }
      return { status: 'interrupted', error: message };
    }
    const message = (err as Error).message || String(err);
    runs.finishRun(db, runId, 'failed', message);
    return { status: 'failed', error: message };
  } finally {
    tf.disposeVariables();
  }
}

async function trainLoaded(ctx: TrainRunContext, run: runs.RunRow): Promise<TrainRunResult> {
  const { db, runId, engine } = ctx;
  if (
    !runs.markRunStarted(db, runId, { name: engine.name, detail: `${engine.label}: ${engine.detail}` }, process.pid)
  ) {
    return { status: run.status, error: `Run ${runId} is not queued (it is ${run.status}); nothing to do.` };
  }
  const config = trainingConfigSchema.parse(JSON.parse(run.config));
  const dataset = getDataset(db, run.datasetId);
  if (!dataset) throw new Error(`The dataset of run ${runId} no longer exists.`);
  const trainSplit = splitIndex(db, dataset.id, 'train');
  const testSplit = splitIndex(db, dataset.id, 'test');
  if (trainSplit.idx.length === 0) throw new Error(`The dataset "${dataset.name}" has no training images.`);

  const cache = openPixelCache(ctx.dataDir, dataset);
  try {
    const train = new SplitPixels(cache, trainSplit.idx, ctx.preloadLimitBytes);
    const test = new SplitPixels(cache, testSplit.idx, ctx.preloadLimitBytes);
    // The gallery shows every class in turn, not the first images (all of one class in a folder set).
    const gallery = stratifiedPick(testSplit.labels, galleryImages);
    return await trainOpened(ctx, config, dataset, train, test, testSplit.idx, gallery);
  } finally {
    cache.close();
  }
}

/** The model's outputs during training: the reconstruction, then the VAE's mean and log-variance, then sparse layers. */
interface TrainingModel {
  model: tfType.LayersModel;
  variational: boolean;
  sparseLayers: number;
}

/**
 * Wraps the autoencoder so one forward pass also returns the activations the loss needs (the VAE's code statistics,
 * the layers under a sparsity penalty). It shares the autoencoder's layers and weights.
 */
function trainingModel(tf: typeof tfType, model: tfType.LayersModel, config: TrainingConfig): TrainingModel {
  const variational = config.model.variant === 'variational';
  const sparse = config.sparsity?.layers ?? [];
  if (sparse.length === 0) return { model, variational, sparseLayers: 0 };
  const outputs = [
    model.outputs[0],
    ...(variational ? [model.getLayer(latentMeanLayerName).output, model.getLayer(latentLogVarLayerName).output] : []),
    ...sparse.map((name) => model.getLayer(name).output),
  ] as tfType.SymbolicTensor[];
  return { model: tf.model({ inputs: model.inputs, outputs }), variational, sparseLayers: sparse.length };
}

/**
 * The loss the optimiser minimises: reconstruction (MSE or BCE, per pixel) of the clean image, plus the sparsity
 * penalty (weight × Σ|activation| per image), plus for a VAE β × KL / pixels, which keeps the ELBO's balance between
 * its two terms while the reconstruction stays a per-pixel mean.
 */
function objective(
  tf: typeof tfType,
  config: TrainingConfig,
  training: TrainingModel,
  input: tfType.Tensor,
  clean: tfType.Tensor,
  isTraining: boolean,
): tfType.Scalar {
  const raw = training.model.apply(input, { training: isTraining }) as tfType.Tensor | tfType.Tensor[];
  const outputs = Array.isArray(raw) ? raw : [raw];
  let total = reconstructionLoss(tf, config.loss, outputs[0], clean);
  let next = 1;
  if (training.variational) {
    const [mean, logVar] = [outputs[next++], outputs[next++]];
    const kl = tf.mul(-0.5, tf.mean(tf.sum(tf.sub(tf.add(1, logVar), tf.add(tf.square(mean), tf.exp(logVar))), -1)));
    const pixels = clean.size / clean.shape[0];
    total = tf.add(total, tf.mul(kl, config.klWeight / pixels));
  }
  for (let i = 0; i < training.sparseLayers; i++) {
    const activations = outputs[next++];
    const perImage = tf.div(tf.sum(tf.abs(activations)), activations.shape[0]!);
    total = tf.add(total, tf.mul(perImage, config.sparsity!.weight));
  }
  return total;
}

/**
 * A batch as tensors: the clean images as the target and, for a denoising run, a corrupted copy (made in `noisy`,
 * seeded by the current step) as the input; otherwise the input is the target.
 */
function batchTensors(
  tf: typeof tfType,
  config: TrainingConfig,
  clean: Float32Array,
  noisy: Float32Array,
  count: number,
  shape: ImageShape,
): { input: tfType.Tensor4D; target: tfType.Tensor4D } {
  const length = count * shape[0] * shape[1] * shape[2];
  const target = tf.tensor4d(clean.subarray(0, length), [count, ...shape]);
  if (!config.corruption) return { input: target, target };
  noisy.set(clean.subarray(0, length));
  corruptBatch(noisy, count, shape, config.corruption, seededRandom(nextStepSeed()));
  return { input: tf.tensor4d(noisy.subarray(0, length), [count, ...shape]), target };
}

/**
 * Early stopping from the stored epoch metrics (so it survives a resume): true when the monitored loss (test, or
 * train without a test split) has not improved by minDelta for `patience` epochs.
 */
function shouldStopEarly(config: TrainingConfig, epochs: metrics.MetricRow[]): { stop: boolean; best: number } {
  const rule = config.earlyStopping;
  const losses = epochs.map((m) => m.testLoss ?? m.trainLoss ?? Infinity);
  let best = 0;
  for (let i = 1; i < losses.length; i++) if (losses[i] < losses[best] - (rule?.minDelta ?? 0)) best = i;
  return { stop: rule !== null && losses.length - 1 - best >= rule.patience, best: best + 1 };
}

/** The training loop proper, over a run's opened splits. */
async function trainOpened(
  ctx: TrainRunContext,
  config: TrainingConfig,
  dataset: DatasetRow,
  trainPixels: SplitPixels,
  testPixels: SplitPixels,
  testIdx: Int32Array,
  gallery: Int32Array,
): Promise<TrainRunResult> {
  const { tf, db, dataDir, runId, engine } = ctx;
  const shape: ImageShape = [dataset.height, dataset.width, dataset.channels];
  const plan = checkTrainingConfig(config, shape);
  if (ctx.gpu) {
    const problem = gpuFitProblem(plan.summary, Math.max(config.batchSize, evalBatch), ctx.gpu.maxBufferBytes);
    if (problem) throw new UserError('invalid_argument', problem);
  }
  const loseDeviceAfter = Number(process.env[loseDeviceAfterEnv] ?? 0);
  const imageBytes = dataset.width * dataset.height * dataset.channels;
  const trainCount = trainPixels.count;

  const runDir = dataLayout(dataDir).runDir(runId);
  const latest = checkpoints.latestCheckpoint(db, runId);
  let model: tfType.LayersModel;
  const optimizer = makeOptimizer(tf, config);
  let startEpoch = 0;
  let inside: NonNullable<CheckpointState['inside']> | undefined;
  if (latest) {
    const restored = await readCheckpoint(tf, join(dataDir, latest.path));
    model = restored.model;
    await restoreOptimizer(tf, optimizer, restored);
    startEpoch = restored.state.epoch;
    inside = restored.state.inside;
  } else {
    model = buildModel(tf, config.model, shape, config.seed);
  }
  const training = trainingModel(tf, model, config);
  const hasBatchNorm = model.layers.some((layer) => layer.getClassName() === 'BatchNormalization');
  const trainable = model.trainableWeights.map((w) => w.read() as tfType.Variable);
  const batches = Math.ceil(trainCount / config.batchSize);
  // What the checkpoint does not hold is trained again: batches from the one it reaches, epochs after its own.
  metrics.deleteMetricsFromStep(db, runId, startEpoch, startEpoch * batches + (inside?.batch ?? 0));
  const previousElapsed = inside?.elapsedMs ?? metrics.listMetrics(db, runId, 'epoch').at(-1)?.elapsedMs ?? 0;
  const batchBuffer = new Float32Array(config.batchSize * imageBytes);
  const noisyBuffer = config.corruption ? new Float32Array(batchBuffer.length) : batchBuffer;
  const sessionStart = performance.now();
  let pausedMs = 0;
  let trainMs = 0;
  let evalMs = 0;
  let imagesSeen = 0;
  let lastProgress = 0;
  let lastTestLoss = latest ? (runs.getRun(db, runId)?.finalTestLoss ?? null) : null;
  const elapsed = () => previousElapsed + (performance.now() - sessionStart - pausedMs);

  const progress = (
    p: Pick<TrainingProgress, 'phase' | 'epoch' | 'batch' | 'trainLoss'>,
    force = false,
    status: TrainingProgress['status'] = 'running',
  ): void => {
    const now = performance.now();
    if (!force && now - lastProgress < progressIntervalMs) return;
    lastProgress = now;
    const rate = trainMs > 0 ? (imagesSeen / trainMs) * 1000 : null;
    const remainingImages = (config.epochs - p.epoch) * trainCount + (batches - p.batch) * config.batchSize;
    const epochsDoneHere = Math.max(1, p.epoch - startEpoch);
    const evalPerEpoch = evalMs / epochsDoneHere;
    ctx.onProgress({
      runId,
      status,
      ...p,
      epochs: config.epochs,
      batches,
      testLoss: lastTestLoss,
      imagesPerSec: rate,
      elapsedMs: elapsed(),
      etaMs: rate ? (Math.max(0, remainingImages) / rate) * 1000 + evalPerEpoch * (config.epochs - p.epoch + 1) : null,
      engine: engine.name,
      memory: memoryNow(tf),
      error: null,
    });
  };

  const everyMs = ctx.midEpochCheckpointMs ?? midEpochCheckpointMs;
  let lastSaved = performance.now();
  /** Checkpoints the run inside `epoch` after `b` batches; the end of the epoch replaces it. */
  const saveInside = async (epoch: number, b: number, lossSum: number, lossCount: number) => {
    if (hasBatchNorm) await remeasureStatistics(tf, model, config, trainPixels, shape);
    const dir = join(runDir, 'checkpoints', `${epochFolder(epoch)}-batch-${String(b).padStart(6, '0')}`);
    mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
    await writeCheckpoint(tf, dir, model, optimizer, {
      epoch: epoch - 1,
      inside: { batch: b, lossSum, lossCount, elapsedMs: elapsed() },
    });
    checkpoints.insertCheckpoint(db, runId, epoch, relative(dataDir, dir), { done: b, total: batches });
    // The checkpoint it replaced (an earlier one inside this epoch) goes.
    removeUnreferencedCheckpoints(db, dataDir, runId);
    lastSaved = performance.now();
  };

  for (let epoch = startEpoch + 1; epoch <= config.epochs; epoch++) {
    const order = epochOrder(trainCount, config.seed, epoch);
    const resumeAt = epoch === startEpoch + 1 && inside ? inside : undefined;
    let lossSum = resumeAt?.lossSum ?? 0;
    let lossCount = resumeAt?.lossCount ?? 0;
    /** The batch this epoch's last checkpoint reaches: batches after it are not saved yet. */
    let savedAt = resumeAt?.batch ?? 0;
    for (let b = savedAt; b < batches; b++) {
      await ctx.yieldToEvents();
      const fault = ctx.gpu?.fault();
      if (fault) throw new Error(fault);
      // Asked once per batch (the tests stop after an exact number of batches by counting these questions).
      let stopping = ctx.shouldStop();
      const pausing = !stopping && ctx.isPaused();
      // Keep what this epoch has trained when the user stops or pauses, and every few minutes of a long epoch.
      if (b > savedAt && (stopping || pausing || performance.now() - lastSaved >= everyMs)) {
        await saveInside(epoch, b, lossSum, lossCount);
        savedAt = b;
      }
      if (pausing) {
        const pausedAt = performance.now();
        progress(
          { phase: 'training', epoch, batch: b, trainLoss: lossCount ? lossSum / lossCount : null },
          true,
          'paused',
        );
        await ctx.waitForResume();
        pausedMs += performance.now() - pausedAt;
        stopping = ctx.shouldStop();
        progress({ phase: 'training', epoch, batch: b, trainLoss: lossCount ? lossSum / lossCount : null }, true);
      }
      if (stopping) {
        runs.finishRun(db, runId, 'stopped');
        return { status: 'stopped', error: null };
      }
      const t0 = performance.now();
      const n = trainPixels.fill(
        order,
        b * config.batchSize,
        Math.min((b + 1) * config.batchSize, order.length),
        batchBuffer,
      );
      setRandomStep(config.seed, epoch, b);
      const { input, target } = batchTensors(tf, config, batchBuffer, noisyBuffer, n, shape);
      const cost = optimizer.minimize(() => objective(tf, config, training, input, target, true), true, trainable);
      const loss = (await cost!.data())[0];
      tf.dispose([input, target, cost!]);
      if (ctx.gpu && loseDeviceAfter > 0 && (epoch - 1) * batches + b + 1 >= loseDeviceAfter) ctx.gpu.loseDevice();
      if (!Number.isFinite(loss)) {
        throw new Error(`The loss became ${loss} in epoch ${epoch}; try a smaller learning rate.`);
      }
      trainMs += performance.now() - t0;
      imagesSeen += n;
      lossSum += loss * n;
      lossCount += n;
      metrics.insertMetric(db, runId, {
        scope: 'batch',
        step: (epoch - 1) * batches + b,
        epoch,
        trainLoss: loss,
        testLoss: null,
        imagesPerSec: (n / (performance.now() - t0)) * 1000,
        elapsedMs: elapsed(),
      });
      progress({ phase: 'training', epoch, batch: b + 1, trainLoss: lossSum / lossCount }, b === batches - 1);
    }

    const e0 = performance.now();
    progress({ phase: 'evaluating', epoch, batch: batches, trainLoss: lossSum / lossCount }, true);
    const trainLoss = lossSum / lossCount;
    if (hasBatchNorm) await remeasureStatistics(tf, model, config, trainPixels, shape);
    const testLoss = testPixels.count > 0 ? await evaluate(tf, training, config, testPixels, shape) : null;
    lastTestLoss = testLoss;
    const epochDir = join(runDir, 'checkpoints', epochFolder(epoch));
    mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
    await writeCheckpoint(tf, epochDir, model, optimizer, { epoch });
    await writeGallery(tf, db, dataDir, runId, epoch, model, testPixels, testIdx, gallery, shape);
    evalMs += performance.now() - e0;
    db.transaction(() => {
      metrics.insertMetric(db, runId, {
        scope: 'epoch',
        step: epoch,
        epoch,
        trainLoss,
        testLoss,
        imagesPerSec: trainMs > 0 ? (imagesSeen / trainMs) * 1000 : null,
        elapsedMs: elapsed(),
      });
      checkpoints.insertCheckpoint(db, runId, epoch, relative(dataDir, epochDir));
      runs.recordEpochDone(db, runId, epoch, trainLoss, testLoss);
    })();
    lastSaved = performance.now();
    // Also removes the checkpoint inside this epoch that this one replaced, if one was saved.
    pruneCheckpoints(db, dataDir, runId, config.checkpoints);
    const early = shouldStopEarly(config, metrics.listMetrics(db, runId, 'epoch'));
    if (early.stop && epoch < config.epochs) {
      const note = `Stopped early after epoch ${epoch}: the ${testLoss === null ? 'training' : 'test'} loss last improved in epoch ${early.best}.`;
      runs.finishRun(db, runId, 'completed', null, note);
      return { status: 'completed', error: null };
    }
  }
  runs.finishRun(db, runId, 'completed');
  return { status: 'completed', error: null };
}

/**
 * Batch-norm statistics measured over a fixed sample of training images, as the model is given them in training
 * (corrupted, with the same seeded noise every epoch, for a denoising run): see remeasureBatchNorm.
 */
async function remeasureStatistics(
  tf: typeof tfType,
  model: tfType.LayersModel,
  config: TrainingConfig,
  pixels: SplitPixels,
  shape: ImageShape,
): Promise<void> {
  const sample = epochOrder(pixels.count, config.seed, 0).subarray(0, Math.min(pixels.count, statisticsSampleSize));
  const buffer = new Float32Array(evalBatch * shape[0] * shape[1] * shape[2]);
  const noisy = config.corruption ? new Float32Array(buffer.length) : buffer;
  await remeasureBatchNorm(tf, model, Math.ceil(sample.length / evalBatch), (b) => {
    const start = b * evalBatch;
    const n = pixels.fill(sample, start, Math.min(start + evalBatch, sample.length), buffer);
    setRandomStep(config.seed, 0, start);
    return batchTensors(tf, config, buffer, noisy, n, shape).input;
  });
}

/** "epoch 3", or "inside epoch 4, after batch 120 of 600"; undefined without a checkpoint. */
export function describeCheckpoint(c: checkpoints.CheckpointRow | undefined): string | undefined {
  if (!c) return undefined;
  return c.batchesDone === null
    ? `epoch ${c.epoch}`
    : `inside epoch ${c.epoch}, after batch ${c.batchesDone} of ${c.batchesTotal}`;
}

const epochFolder = (epoch: number) => `epoch-${String(epoch).padStart(4, '0')}`;

function memoryNow(tf: typeof tfType): TrainingProgress['memory'] {
  const memory = tf.memory() as tfType.MemoryInfo & { numBytesAllocatedInGPU?: number };
  return { tensors: memory.numTensors, bytes: memory.numBytes, gpuBytes: memory.numBytesAllocatedInGPU ?? null };
}

/**
 * Mean test loss over the split, in inference mode (no dropout, a VAE decodes its mean). A denoising run is scored on
 * corrupted test images, with the same corruption every epoch so the curve compares like with like.
 */
async function evaluate(
  tf: typeof tfType,
  training: TrainingModel,
  config: TrainingConfig,
  pixels: SplitPixels,
  shape: ImageShape,
): Promise<number> {
  const imageBytes = shape[0] * shape[1] * shape[2];
  const buffer = new Float32Array(evalBatch * imageBytes);
  const noisy = config.corruption ? new Float32Array(buffer.length) : buffer;
  const count = pixels.count;
  const identity = Int32Array.from({ length: count }, (_, i) => i);
  let sum = 0;
  for (let start = 0; start < count; start += evalBatch) {
    const n = pixels.fill(identity, start, Math.min(start + evalBatch, count), buffer);
    setRandomStep(config.seed, 0, start);
    const loss = tf.tidy(() => {
      const { input, target } = batchTensors(tf, config, buffer, noisy, n, shape);
      return objective(tf, config, training, input, target, false);
    });
    // Read asynchronously: a GPU backend cannot read back synchronously in Node (and should not block).
    sum += (await loss.data())[0] * n;
    loss.dispose();
  }
  return sum / count;
}

/** Stores this epoch's reconstructions of the first test images, with each image's mean squared error. */
async function writeGallery(
  tf: typeof tfType,
  db: Database,
  dataDir: string,
  runId: number,
  epoch: number,
  model: tfType.LayersModel,
  testPixels: SplitPixels,
  testIdx: Int32Array,
  gallery: Int32Array,
  shape: ImageShape,
): Promise<void> {
  const n = gallery.length;
  if (n === 0) return;
  const inputs = new Float32Array(n * shape[0] * shape[1] * shape[2]);
  testPixels.fill(gallery, 0, n, inputs);
  const [pixelsOut, errorsOut] = tf.tidy(() => {
    const x = tf.tensor4d(inputs, [n, ...shape]);
    const out = model.predict(x);
    const y = Array.isArray(out) ? out[0] : out;
    return [tf.round(tf.mul(y, 255)), tf.mean(tf.squaredDifference(x, y), [1, 2, 3])];
  });
  const [reconstructed, errors] = [await pixelsOut.data(), await errorsOut.data()];
  tf.dispose([pixelsOut, errorsOut]);
  const dir = join(dataLayout(dataDir).runDir(runId), 'reconstructions');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `epoch-${String(epoch).padStart(4, '0')}.u8`);
  writeFileAtomic(file, Uint8Array.from(reconstructed));
  artifacts.insertArtifact(db, {
    runId,
    kind: 'reconstructions',
    epoch,
    path: relative(dataDir, file),
    meta: { cacheIndices: Array.from(gallery, (p) => testIdx[p]), mse: Array.from(errors) },
  });
}

import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as metrics from '../store/metrics';
import * as checkpoints from '../store/checkpoints';
import * as artifacts from '../store/artifacts';
import { getDataset, type DatasetRow } from '../store/datasets';
import { splitIndex } from '../store/images';
import { stratifiedPick, stratifiedSample } from '../datasets/split';
import { openPixelCache } from '../datasets/dataset-store';
import { SplitPixels } from './split-pixels';
import { dataLayout } from '../app/paths';
import { writeFileAtomic } from '../app/files';
import type { EngineStatus } from '../engine/select-engine';
import type { ImageShape } from '../models/model-plan';
import { checkTrainingConfig, hasPenalty, trainingConfigSchema, type TrainingConfig } from '../models/training-config';
import { readCheckpoint, writeCheckpoint } from './checkpoint-files';
import { afterEpoch, epochLearningRate, initialScheduleState } from './lr-schedule';
import { measureTestQuality } from './test-quality';
import { pruneCheckpoints, removeUnreferencedCheckpoints } from './checkpoint-retention';
import type { TrainingProgress } from '../api/contract';
import { gpuFaultsFromEnv } from '../engine/webgpu-engine';
import { gpuFitProblem, memoryFitProblem } from '../engine/model-fit';
import { totalmem } from 'node:os';
import { UserError } from '../api/errors';
import { explainStorageError } from '../app/storage-errors';
import { evaluationBatch } from '../trainer/trainer-core';
import { TrainerError, type BatchLoss, type MemorySnapshot, type Trainer } from '../trainer/trainer';

/**
 * The run host: trains one stored run with a trainer core (trainer/), and owns everything around it — the store's
 * rows, checkpoint and gallery files, progress, stop and pause, checkpoints inside long epochs, which checkpoints are
 * kept, early stopping. It never calls tfjs, so the core may run here or in another process (the desktop app's
 * Chromium GPU worker).
 */

/** How many test images each epoch's reconstruction gallery shows. */
export const galleryImages = 10;
const progressIntervalMs = 150;

export interface TrainRunContext {
  /** The core that trains: in this process (createTrainerCore) or behind a port (remoteGpu). */
  trainer: Trainer;
  engine: EngineStatus;
  /** On a GPU engine: the largest buffer the device takes (bytes), so a batch that cannot fit is refused up front. */
  maxGpuBufferBytes?: number | null;
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

/**
 * What training may use on a CPU engine: the WebAssembly-based engines keep every tensor in one 4 GB heap (wasm32);
 * the others, the computer's memory, with room left for the rest of the machine.
 */
function cpuMemoryLimit(engine: EngineStatus['name']): [number, string] {
  if (engine === 'native' || engine === 'wasm') return [4 * 1024 ** 3, "the CPU engine's 4 GB of WebAssembly memory"];
  return [totalmem() * 0.7, "this computer's memory"];
}

/** A long epoch is checkpointed this often, so a crash loses at most this much training. */
export const midEpochCheckpointMs = 5 * 60_000;

export interface TrainRunResult {
  status: runs.RunStatus;
  error: string | null;
}

/** Trains one stored run from its last checkpoint (or from scratch) to its configured epochs. */
export async function trainRun(ctx: TrainRunContext): Promise<TrainRunResult> {
  const { db, runId } = ctx;
  const run = runs.getRun(db, runId);
  if (!run) return { status: 'failed', error: `Run ${runId} does not exist.` };
  try {
    return await trainLoaded(ctx, run);
  } catch (err) {
    // A GPU fault (device lost, out of memory, a read back that failed, the GPU window gone) is the machine's, not
    // the run's: keep the run resumable from its last checkpoint, on the GPU again or on the CPU.
    if (err instanceof TrainerError && err.kind === 'gpu') {
      const kept = describeCheckpoint(checkpoints.latestCheckpoint(db, runId));
      const message =
        `Training stopped because ${err.message}. The run keeps its last checkpoint (${kept ?? 'none yet: it restarts from the beginning'}); ` +
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
    // A core whose process is gone cannot answer; there is nothing left to free then.
    await ctx.trainer.dispose().catch(() => {});
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
  const wholeTrainSplit = onlyClasses(splitIndex(db, dataset.id, 'train'), config.trainClasses);
  const testSplit = splitIndex(db, dataset.id, 'test');
  if (wholeTrainSplit.idx.length === 0) {
    const which = config.trainClasses ? ' of the classes chosen to train on' : '';
    throw new Error(`The dataset "${dataset.name}" has no training images${which}.`);
  }
  // A subset keeps each class's share and is drawn with the run's seed, so a resume trains on the same images.
  const trainSplit =
    config.trainSubset === undefined
      ? wholeTrainSplit
      : {
          idx: Int32Array.from(
            stratifiedSample(wholeTrainSplit.labels, config.trainSubset, config.seed),
            (i) => wholeTrainSplit.idx[i],
          ),
        };

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

/** A split's images of these classes only (all of them without a list). */
function onlyClasses<S extends { idx: Int32Array; labels: Int32Array }>(split: S, classes: number[] | undefined): S {
  if (!classes) return split;
  const keep = new Set(classes);
  const positions = Array.from(split.labels.keys()).filter((i) => keep.has(split.labels[i]));
  return {
    ...split,
    idx: Int32Array.from(positions, (i) => split.idx[i]),
    labels: Int32Array.from(positions, (i) => split.labels[i]),
  };
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
  const { trainer, db, dataDir, runId, engine } = ctx;
  const shape: ImageShape = [dataset.height, dataset.width, dataset.channels];
  const plan = checkTrainingConfig(config, shape, dataset.classNames);
  const problem = ctx.maxGpuBufferBytes
    ? gpuFitProblem(plan.summary, Math.max(config.batchSize, evaluationBatch), ctx.maxGpuBufferBytes)
    : memoryFitProblem(plan.summary, config.batchSize, ...cpuMemoryLimit(engine.name));
  if (problem) throw new UserError('invalid_argument', problem);
  const trainCount = trainPixels.count;

  const runDir = dataLayout(dataDir).runDir(runId);
  const latest = checkpoints.latestCheckpoint(db, runId);
  const checkpoint = latest ? readCheckpoint(join(dataDir, latest.path)) : null;
  const startEpoch = checkpoint?.state.epoch ?? 0;
  const inside = checkpoint?.state.inside;
  // The schedule's state at the end of the checkpoint's epoch, so a resume trains at the rates an unbroken run would.
  let schedule = checkpoint?.state.schedule ?? initialScheduleState(config);
  const { hasBatchNorm } = await trainer.init(
    { config, shape, checkpoint, faults: engine.name === 'webgpu' ? gpuFaultsFromEnv() : undefined },
    { train: trainPixels, test: testPixels },
  );
  const batches = Math.ceil(trainCount / config.batchSize);
  // What the checkpoint does not hold is trained again: batches from the one it reaches, epochs after its own.
  metrics.deleteMetricsFromStep(db, runId, startEpoch, startEpoch * batches + (inside?.batch ?? 0));
  const previousElapsed = inside?.elapsedMs ?? metrics.listMetrics(db, runId, 'epoch').at(-1)?.elapsedMs ?? 0;
  const sessionStart = performance.now();
  let pausedMs = 0;
  let trainMs = 0;
  let evalMs = 0;
  let imagesSeen = 0;
  let lastProgress = 0;
  let lastTestLoss = latest ? (runs.getRun(db, runId)?.finalTestLoss ?? null) : null;
  let memory: MemorySnapshot = await trainer.memory();
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
      memory,
      error: null,
    });
  };

  // This epoch's running sums over the batches whose losses have come back.
  let lossSum = 0;
  let lossCount = 0;
  let penaltySum = 0;
  /** Stores the losses that came back (on a GPU, a group of batches at a time) and adds them to the sums. */
  const record = (done: BatchLoss[]) => {
    const rate = trainMs > 0 ? (imagesSeen / trainMs) * 1000 : null;
    for (const d of done) {
      imagesSeen += d.images;
      lossSum += d.loss * d.images;
      penaltySum += (d.penalty ?? 0) * d.images;
      lossCount += d.images;
      metrics.insertMetric(db, runId, {
        scope: 'batch',
        step: (d.epoch - 1) * batches + d.batch,
        epoch: d.epoch,
        trainLoss: d.loss,
        testLoss: null,
        trainPenalty: d.penalty,
        imagesPerSec: rate,
        elapsedMs: elapsed(),
      });
    }
  };
  /**
   * Collects every loss still on the device: before a checkpoint and at the epoch's end. (A pause or stop either
   * checkpoints first or comes before any batch since the last checkpoint, so nothing is left on the device then.)
   */
  const flush = async () => {
    const t0 = performance.now();
    const done = await trainer.flush();
    trainMs += performance.now() - t0;
    record(done);
  };

  const everyMs = ctx.midEpochCheckpointMs ?? midEpochCheckpointMs;
  let lastSaved = performance.now();
  /** Checkpoints the run inside `epoch` after `b` batches; the end of the epoch replaces it. */
  const saveInside = async (epoch: number, b: number) => {
    await flush();
    if (hasBatchNorm) await trainer.remeasureBatchNorm();
    const dir = join(runDir, 'checkpoints', `${epochFolder(epoch)}-batch-${String(b).padStart(6, '0')}`);
    mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
    const bytes = await trainer.snapshot({
      epoch: epoch - 1,
      inside: { batch: b, lossSum, lossCount, penaltySum, elapsedMs: elapsed() },
      schedule,
    });
    writeCheckpoint(dir, bytes);
    checkpoints.insertCheckpoint(db, runId, epoch, relative(dataDir, dir), { done: b, total: batches });
    // The checkpoint it replaced (an earlier one inside this epoch) goes.
    removeUnreferencedCheckpoints(db, dataDir, runId);
    lastSaved = performance.now();
  };

  for (let epoch = startEpoch + 1; epoch <= config.epochs; epoch++) {
    const resumeAt = epoch === startEpoch + 1 && inside ? inside : undefined;
    lossSum = resumeAt?.lossSum ?? 0;
    lossCount = resumeAt?.lossCount ?? 0;
    penaltySum = resumeAt?.penaltySum ?? 0;
    /** The batch this epoch's last checkpoint reaches: batches after it are not saved yet. */
    let savedAt = resumeAt?.batch ?? 0;
    const learningRate = epochLearningRate(config, epoch, schedule);
    for (let b = savedAt; b < batches; b++) {
      await ctx.yieldToEvents();
      // Asked once per batch (the tests stop after an exact number of batches by counting these questions).
      let stopping = ctx.shouldStop();
      const pausing = !stopping && ctx.isPaused();
      // Keep what this epoch has trained when the user stops or pauses, and every few minutes of a long epoch.
      if (b > savedAt && (stopping || pausing || performance.now() - lastSaved >= everyMs)) {
        await saveInside(epoch, b);
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
      const step = await trainer.trainBatch(epoch, b, learningRate);
      memory = step.memory;
      trainMs += performance.now() - t0;
      record(step.done);
      if (b === batches - 1) await flush();
      const trainLoss = lossCount ? lossSum / lossCount : null;
      progress({ phase: 'training', epoch, batch: b + 1, trainLoss }, b === batches - 1);
    }

    const e0 = performance.now();
    progress({ phase: 'evaluating', epoch, batch: batches, trainLoss: lossSum / lossCount }, true);
    const trainLoss = lossSum / lossCount;
    if (hasBatchNorm) await trainer.remeasureBatchNorm();
    const tested = await trainer.testLoss();
    const testLoss = tested?.loss ?? null;
    lastTestLoss = testLoss;
    schedule = afterEpoch(config, epoch, testLoss ?? trainLoss, schedule);
    const epochDir = join(runDir, 'checkpoints', epochFolder(epoch));
    mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
    writeCheckpoint(epochDir, await trainer.snapshot({ epoch, schedule }));
    await writeGallery(ctx, epoch, testIdx, gallery);
    evalMs += performance.now() - e0;
    db.transaction(() => {
      metrics.insertMetric(db, runId, {
        scope: 'epoch',
        step: epoch,
        epoch,
        trainLoss,
        testLoss,
        trainPenalty: hasPenalty(config) ? penaltySum / lossCount : null,
        testPenalty: tested?.penalty ?? null,
        learningRate,
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
    if ((early.stop && epoch < config.epochs) || epoch === config.epochs) {
      progress({ phase: 'evaluating', epoch, batch: batches, trainLoss }, true);
      const quality = await measureTestQuality(trainer, testPixels, shape, ctx.yieldToEvents);
      if (quality) metrics.setTestQuality(db, runId, epoch, quality.psnr, quality.ssim);
    }
    if (early.stop && epoch < config.epochs) {
      const note = `Stopped early after epoch ${epoch}: the ${testLoss === null ? 'training' : 'test'} loss last improved in epoch ${early.best}.`;
      runs.finishRun(db, runId, 'completed', null, note);
      return { status: 'completed', error: null };
    }
  }
  runs.finishRun(db, runId, 'completed');
  return { status: 'completed', error: null };
}

/** "epoch 3", or "inside epoch 4, after batch 120 of 600"; undefined without a checkpoint. */
export function describeCheckpoint(c: checkpoints.CheckpointRow | undefined): string | undefined {
  if (!c) return undefined;
  return c.batchesDone === null
    ? `epoch ${c.epoch}`
    : `inside epoch ${c.epoch}, after batch ${c.batchesDone} of ${c.batchesTotal}`;
}

const epochFolder = (epoch: number) => `epoch-${String(epoch).padStart(4, '0')}`;

/** Stores this epoch's reconstructions of the gallery's test images, with each image's mean squared error. */
async function writeGallery(
  ctx: TrainRunContext,
  epoch: number,
  testIdx: Int32Array,
  gallery: Int32Array,
): Promise<void> {
  if (gallery.length === 0) return;
  const { db, dataDir, runId } = ctx;
  const { pixels, mse } = await ctx.trainer.reconstruct(gallery);
  const dir = join(dataLayout(dataDir).runDir(runId), 'reconstructions');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `epoch-${String(epoch).padStart(4, '0')}.u8`);
  writeFileAtomic(file, pixels);
  artifacts.insertArtifact(db, {
    runId,
    kind: 'reconstructions',
    epoch,
    path: relative(dataDir, file),
    meta: { cacheIndices: Array.from(gallery, (p) => testIdx[p]), mse: Array.from(mse) },
  });
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as metrics from '../store/metrics';
import * as checkpoints from '../store/checkpoints';
import { listArtifacts } from '../store/artifacts';
import { getDataset } from '../store/datasets';
import { countImages, getImagesAt } from '../store/images';
import { UserError } from '../api/errors';
import { inOpenProject } from '../store/projects';
import type {
  GalleryQuery,
  ModelPlanQuery,
  ModelPlanResult,
  Preset,
  PresetQuery,
  ReconstructionGallery,
  RunDetail,
  RunPenalty,
  RunSummary,
  StartTrainingArgs,
} from '../api/contract';
import { openPixelCache } from '../datasets/dataset-store';
import { requireDataset } from '../datasets/dataset-catalog';
import { listPresets } from '../models/presets';
import type { ImageShape } from '../models/model-plan';
import { checkTrainingConfig, penaltyTerm, trainingConfigSchema, type TrainingConfig } from '../models/training-config';
import type { TrainingSupervisor } from './training-supervisor';

/** Most points a loss chart gets; longer runs are averaged into buckets. */
const maxChartPoints = 2000;

/** A stored run's training config, checked. */
export function parseConfig(run: runs.RunRow): TrainingConfig {
  return trainingConfigSchema.parse(JSON.parse(run.config));
}

/** Shape of the images presets are shown for when no dataset is chosen: MNIST's. */
const defaultShape: ImageShape = [28, 28, 1];

function toSummary(db: Database, run: runs.RunRow, supervisor?: TrainingSupervisor): RunSummary {
  const config = parseConfig(run);
  const dataset = getDataset(db, run.datasetId);
  const preset = dataset
    ? listPresets([dataset.height, dataset.width, dataset.channels]).find((p) => p.id === config.preset)
    : undefined;
  // Read once: the checkpoints and the per-epoch metrics feed several fields below.
  const saved = checkpoints.listCheckpoints(db, run.id);
  const epochMetrics = metrics.listMetrics(db, run.id, 'epoch');
  return {
    id: run.id,
    name: run.name,
    datasetId: run.datasetId,
    datasetName: dataset?.name ?? '(deleted dataset)',
    // Pausing is live state of the worker, not stored: a paused run that the app leaves is simply stopped.
    status: supervisor?.isPaused(run.id) ? 'paused' : run.status,
    inQueue: supervisor?.isQueuedOrActive(run.id) ?? false,
    engine: run.engine,
    engineDetail: run.engineDetail,
    epochsDone: run.epochsDone,
    epochs: config.epochs,
    finalTrainLoss: run.finalTrainLoss,
    finalTestLoss: run.finalTestLoss,
    penalty: runPenalty(config, epochMetrics.at(-1)),
    error: run.error,
    note: run.note,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    notes: run.notes,
    tags: JSON.parse(run.tags) as string[],
    sweepId: run.sweepId,
    sweepValues: run.sweepValues === null ? null : (JSON.parse(run.sweepValues) as Record<string, number>),
    model: preset?.name ?? 'Custom',
    latent: config.model.latent,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    trainSubset: config.trainSubset ?? null,
    loss: config.loss,
    ...metrics.epochTotals(db, run.id),
    checkpointInside: checkpoints.checkpointInside(saved.at(-1)),
    checkpointEpochs: saved.map((c) => c.epoch),
    bestEpoch: bestSavedEpoch(saved, epochMetrics),
  };
}

/** Of the epochs a run has checkpoints for, the one with the lowest (test) loss; null before the first. */
function bestSavedEpoch(saved: checkpoints.CheckpointRow[], epochMetrics: metrics.MetricRow[]): number | null {
  const savedEpochs = new Set(saved.map((c) => c.epoch));
  let best: { epoch: number; loss: number } | null = null;
  for (const m of epochMetrics) {
    const loss = m.testLoss ?? m.trainLoss;
    if (loss !== null && savedEpochs.has(m.epoch) && (!best || loss < best.loss)) best = { epoch: m.epoch, loss };
  }
  return best?.epoch ?? null;
}

/** The penalty term of a sparse or variational run, from its last epoch's metrics (`last`). */
function runPenalty(config: TrainingConfig, last: metrics.MetricRow | undefined): RunPenalty | null {
  const term = penaltyTerm(config);
  if (!term) return null;
  return {
    term,
    finalTrain: last?.trainPenalty ?? null,
    finalTest: last?.testPenalty ?? null,
    // Every epoch trained since the terms were kept apart records the penalty (migration 0010).
    includedInLoss: last !== undefined && (last.trainPenalty ?? null) === null,
  };
}

function requireRun(db: Database, runId: number): runs.RunRow {
  const run = runs.getRun(db, runId);
  if (!run) throw new UserError('not_found', `There is no run with id ${runId}.`);
  return run;
}

/** The open project's runs, newest first. */
export function listRunSummaries(db: Database, supervisor?: TrainingSupervisor): RunSummary[] {
  return runs
    .listRuns(db)
    .filter(inOpenProject(db))
    .map((run) => toSummary(db, run, supervisor));
}

export function getRunSummary(db: Database, runId: number, supervisor?: TrainingSupervisor): RunSummary {
  return toSummary(db, requireRun(db, runId), supervisor);
}

function datasetShape(db: Database, datasetId: number): ImageShape {
  const dataset = requireDataset(db, datasetId);
  return [dataset.height, dataset.width, dataset.channels];
}

/** The presets, adapted to a dataset's image size. */
export function presetsFor(db: Database, query: PresetQuery): Preset[] {
  return listPresets(query.datasetId === undefined ? defaultShape : datasetShape(db, query.datasetId));
}

/** The Keras-style summary of a config on a dataset, or what to change when it cannot be built. */
export function planForDataset(db: Database, query: ModelPlanQuery): ModelPlanResult {
  const shape = datasetShape(db, query.datasetId);
  try {
    return { ok: true, summary: checkTrainingConfig(query.config, shape).summary };
  } catch (err) {
    if (err instanceof UserError) return { ok: false, problem: err.message };
    throw err;
  }
}

/** The process id of whoever holds a run, for messages. */
function ownerPid(run: runs.RunRow): string {
  return run.workerPid !== null ? String(run.workerPid) : (run.owner?.split(':')[0] ?? 'unknown');
}

/** Stores a new run with a checked config (its input shape filled in) and queues it. */
export function startTraining(db: Database, supervisor: TrainingSupervisor, args: StartTrainingArgs): RunSummary {
  const dataset = requireDataset(db, args.datasetId);
  const shape: ImageShape = [dataset.height, dataset.width, dataset.channels];
  const config: TrainingConfig = { ...args.config, input: { height: shape[0], width: shape[1], channels: shape[2] } };
  checkTrainingConfig(args.config, shape);
  const preset = listPresets(shape).find((p) => p.id === config.preset);
  const name = args.name ?? `${preset?.name ?? 'Custom model'} on ${dataset.name}`;
  const runId = runs.insertRun(db, { datasetId: dataset.id, name, config: JSON.stringify(config) });
  supervisor.enqueue(runId);
  return getRunSummary(db, runId, supervisor);
}

/** Pauses a training run between batches; resume continues it at once. */
export function pauseTraining(db: Database, supervisor: TrainingSupervisor, runId: number): RunSummary {
  const run = requireRun(db, runId);
  if (run.status !== 'running' || !supervisor.pause(runId)) {
    throw new UserError('conflict', `Run ${runId} is not training here (it is ${run.status}), so it cannot be paused.`);
  }
  return getRunSummary(db, runId, supervisor);
}

export function stopTraining(db: Database, supervisor: TrainingSupervisor, runId: number): RunSummary {
  const run = requireRun(db, runId);
  if (run.status !== 'queued' && run.status !== 'running') {
    throw new UserError('conflict', `Run ${runId} is not training (it is ${run.status}).`);
  }
  if (!supervisor.isQueuedOrActive(runId)) {
    // A queued run whose process is gone is nobody's: stopping it just settles it.
    if (runs.claimQueuedRun(db, run) && runs.finishRun(db, runId, 'stopped'))
      return getRunSummary(db, runId, supervisor);
    throw new UserError(
      'conflict',
      `Run ${runId} is ${run.status === 'queued' ? 'queued' : 'being trained'} by another Autoencoder Studio window or command (process ${ownerPid(run)}); stop it there.`,
    );
  }
  supervisor.stop(runId);
  return getRunSummary(db, runId, supervisor);
}

/** Resumes a paused, stopped or interrupted run from its last checkpoint; `onCpu` keeps it off the GPU engines. */
export function resumeTraining(
  db: Database,
  supervisor: TrainingSupervisor,
  runId: number,
  options: { onCpu?: boolean } = {},
): RunSummary {
  const run = requireRun(db, runId);
  if (supervisor.unpause(runId)) return getRunSummary(db, runId, supervisor);
  if (run.status === 'completed') {
    throw new UserError('conflict', `Run ${runId} already finished all ${parseConfig(run).epochs} epochs.`);
  }
  if (supervisor.isQueuedOrActive(runId)) throw new UserError('conflict', `Run ${runId} is already ${run.status}.`);
  if (run.status === 'queued' && runs.claimQueuedRun(db, run)) {
    // Left queued by a process that is gone (killed before its worker started): this process trains it.
    requireDataset(db, run.datasetId);
    supervisor.enqueue(runId, options);
    return getRunSummary(db, runId, supervisor);
  }
  if (run.status === 'queued' || run.status === 'running') {
    throw new UserError(
      'conflict',
      `Run ${runId} is already ${run.status} in another Autoencoder Studio window or command (process ${ownerPid(run)}).`,
    );
  }
  requireDataset(db, run.datasetId);
  if (!runs.requeueRun(db, runId)) throw new UserError('conflict', `Run ${runId} changed while resuming; try again.`);
  supervisor.enqueue(runId, options);
  return getRunSummary(db, runId, supervisor);
}

/** Averages consecutive points into at most `maxChartPoints` buckets so long runs chart quickly. */
function thin(points: Array<{ step: number; loss: number }>): Array<{ step: number; loss: number }> {
  if (points.length <= maxChartPoints) return points;
  const size = Math.ceil(points.length / maxChartPoints);
  const out: Array<{ step: number; loss: number }> = [];
  for (let i = 0; i < points.length; i += size) {
    const bucket = points.slice(i, i + size);
    out.push({ step: bucket[bucket.length - 1].step, loss: bucket.reduce((a, p) => a + p.loss, 0) / bucket.length });
  }
  return out;
}

export function getRunDetail(db: Database, runId: number, supervisor?: TrainingSupervisor): RunDetail {
  const run = requireRun(db, runId);
  const config = parseConfig(run);
  const dataset = getDataset(db, run.datasetId);
  const trainCount = dataset ? countImages(db, dataset.id, 'train') : 0;
  return {
    run: toSummary(db, run, supervisor),
    config,
    epochMetrics: metrics
      .listMetrics(db, runId, 'epoch')
      .map(({ epoch, trainLoss, testLoss, trainPenalty, testPenalty, imagesPerSec, elapsedMs }) => ({
        epoch,
        trainLoss,
        testLoss,
        trainPenalty: trainPenalty ?? null,
        testPenalty: testPenalty ?? null,
        imagesPerSec,
        elapsedMs,
      })),
    batchLoss: thin(
      metrics
        .listMetrics(db, runId, 'batch')
        .filter((m) => m.trainLoss !== null)
        .map((m) => ({ step: m.step + 1, loss: m.trainLoss as number })),
    ),
    batchesPerEpoch: Math.ceil(trainCount / config.batchSize),
  };
}

interface GalleryMeta {
  cacheIndices: number[];
  mse: number[];
}

/** Originals next to a run's reconstructions of the same test images at one epoch. */
export function readReconstructionGallery(db: Database, dataDir: string, query: GalleryQuery): ReconstructionGallery {
  const run = requireRun(db, query.runId);
  const galleries = listArtifacts(db, run.id, 'reconstructions');
  if (galleries.length === 0) {
    throw new UserError('not_found', `Run ${run.id} has no reconstructions yet; they appear after its first epoch.`);
  }
  const artifact =
    query.epoch === undefined ? galleries[galleries.length - 1] : galleries.find((g) => g.epoch === query.epoch);
  if (!artifact) throw new UserError('not_found', `Run ${run.id} has no reconstructions for epoch ${query.epoch}.`);
  const dataset = requireDataset(db, run.datasetId);
  const meta = JSON.parse(artifact.meta) as GalleryMeta;
  const cache = openPixelCache(dataDir, dataset);
  let originals: Uint8Array;
  try {
    originals = cache.read(meta.cacheIndices);
  } finally {
    cache.close();
  }
  let reconstructions: Buffer;
  try {
    reconstructions = readFileSync(join(dataDir, artifact.path));
  } catch (err) {
    throw new UserError(
      'file_error',
      `The reconstructions of epoch ${artifact.epoch} cannot be read: ${(err as Error).message}`,
    );
  }
  if (reconstructions.length !== originals.length) {
    throw new UserError('file_error', `The reconstructions file of epoch ${artifact.epoch} is damaged (wrong size).`);
  }
  const rows = getImagesAt(db, dataset.id, meta.cacheIndices);
  return {
    runId: run.id,
    epoch: artifact.epoch,
    epochs: galleries.map((g) => g.epoch),
    inside: null,
    width: dataset.width,
    height: dataset.height,
    channels: dataset.channels,
    items: rows.map((row, i) => ({
      label: row.label,
      labelName: dataset.classNames[row.label] ?? String(row.label),
      fileName: row.fileName,
      mse: meta.mse[i],
    })),
    originals: Buffer.from(originals).toString('base64'),
    reconstructions: reconstructions.toString('base64'),
  };
}

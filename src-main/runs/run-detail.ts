import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../store/database';
import * as metrics from '../store/metrics';
import { listArtifacts } from '../store/artifacts';
import { getDataset } from '../store/datasets';
import { countImages, getImagesAt } from '../store/images';
import { UserError } from '../api/errors';
import type { GalleryQuery, ReconstructionGallery, RunDetail } from '../api/contract';
import { openPixelCache } from '../datasets/dataset-store';
import { requireDataset } from '../datasets/dataset-catalog';
import type { TrainingSupervisor } from '../training/training-supervisor';
import { getRunSummary, parseConfig, requireRun } from './run-summaries';

/** Most points a loss chart gets; longer runs are averaged into buckets. */
const maxChartPoints = 2000;

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

/** One run's page: its summary, checked config, per-epoch metrics and loss curve. */
export function getRunDetail(db: Database, runId: number, supervisor?: TrainingSupervisor): RunDetail {
  const run = requireRun(db, runId);
  const config = parseConfig(run);
  const dataset = getDataset(db, run.datasetId);
  const trainCount = dataset ? countImages(db, dataset.id, 'train') : 0;
  return {
    run: getRunSummary(db, runId, supervisor),
    config,
    epochMetrics: metrics.listMetrics(db, runId, 'epoch').map((m) => ({
      epoch: m.epoch,
      trainLoss: m.trainLoss,
      testLoss: m.testLoss,
      trainPenalty: m.trainPenalty ?? null,
      testPenalty: m.testPenalty ?? null,
      learningRate: m.learningRate ?? null,
      testPsnr: m.testPsnr ?? null,
      testSsim: m.testSsim ?? null,
      imagesPerSec: m.imagesPerSec,
      elapsedMs: m.elapsedMs,
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

import type { Database } from '../store/database';
import { UserError } from '../api/errors';
import type {
  AugmentPreview,
  AugmentPreviewQuery,
  ModelPlanQuery,
  ModelPlanResult,
  Preset,
  PresetQuery,
} from '../api/contract';
import { seededRandom } from '../app/random';
import { openPixelCache } from '../datasets/dataset-store';
import { stratifiedPick } from '../datasets/split';
import { splitIndex } from '../store/images';
import { augmentBatch } from '../trainer/augment';
import { requireDataset } from '../datasets/dataset-catalog';
import { listPresets } from '../models/presets';
import type { ImageShape } from '../models/model-plan';
import { checkTrainingConfig } from '../models/training-config';

/** What the Train form asks before a run exists: the presets for a dataset, and whether a model can be built. */

/** Shape of the images presets are shown for when no dataset is chosen: MNIST's. */
const defaultShape: ImageShape = [28, 28, 1];

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
  const { classNames } = requireDataset(db, query.datasetId);
  try {
    return { ok: true, summary: checkTrainingConfig(query.config, shape, classNames).summary };
  } catch (err) {
    if (err instanceof UserError) return { ok: false, problem: err.message };
    throw err;
  }
}

/** Images the augmentation preview shows: one per class in turn. */
const previewImages = 8;

/**
 * Training images before and after augmentation, as a batch in training would change them (the same code, drawn
 * with `seed`), so the strengths can be judged by eye before a run starts.
 */
export function augmentPreview(db: Database, dataDir: string, query: AugmentPreviewQuery): AugmentPreview {
  const dataset = requireDataset(db, query.datasetId);
  const shape: ImageShape = [dataset.height, dataset.width, dataset.channels];
  const train = splitIndex(db, dataset.id, 'train');
  const picked = Array.from(stratifiedPick(train.labels, previewImages), (i) => train.idx[i]);
  const cache = openPixelCache(dataDir, dataset);
  let originals: Uint8Array;
  try {
    originals = cache.read(picked);
  } finally {
    cache.close();
  }
  const batch = Float32Array.from(originals, (v) => v / 255);
  const size = shape[0] * shape[1] * shape[2];
  augmentBatch(batch, picked.length, shape, query.augment, seededRandom(query.seed), new Float32Array(size));
  return {
    width: dataset.width,
    height: dataset.height,
    channels: dataset.channels,
    originals: Buffer.from(originals).toString('base64'),
    augmented: Buffer.from(Uint8Array.from(batch, (v) => Math.round(v * 255))).toString('base64'),
    count: picked.length,
  };
}

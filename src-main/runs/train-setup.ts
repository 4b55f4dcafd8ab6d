import type { Database } from '../store/database';
import { UserError } from '../api/errors';
import type { ModelPlanQuery, ModelPlanResult, Preset, PresetQuery } from '../api/contract';
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
  try {
    return { ok: true, summary: checkTrainingConfig(query.config, shape).summary };
  } catch (err) {
    if (err instanceof UserError) return { ok: false, problem: err.message };
    throw err;
  }
}

import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import type { CheckpointImages, EngineName } from '../api/contract';
import type { ImageSourceContext } from './eval-images';
import type { RunModel } from './run-model';
import type { ModelCache } from './model-cache';
import type { SplitErrorTables } from './split-errors';
import type { RequestScope } from './request-scope';

/** What every results computation reads: the engine, the store, the loaded models and the split error tables. */
export interface EvaluationContext {
  tf: typeof tfType;
  db: Database;
  dataDir: string;
  engine: EngineName;
  models: ModelCache;
  tables: SplitErrorTables;
}

/** Where a request's images come from, for a checkpoint: the dataset, or a whole split ranked by its errors. */
export function imageSources(ctx: EvaluationContext, parts: RunModel, scope: RequestScope): ImageSourceContext {
  return {
    db: ctx.db,
    dataDir: ctx.dataDir,
    dataset: parts.dataset,
    shape: parts.shape,
    splitErrors: (split) => ctx.tables.table(parts, split, scope),
  };
}

/** The checkpoint and image shape every answer about pictures starts with. */
export function imageShape(parts: RunModel): CheckpointImages {
  return {
    runId: parts.runId,
    epoch: parts.epoch,
    epochs: parts.epochs,
    inside: parts.inside,
    height: parts.shape[0],
    width: parts.shape[1],
    channels: parts.shape[2] as 1 | 3,
  };
}

import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import type { ApiMethods, CheckpointRef, EngineName, EvalImages } from '../api/contract';
import { ModelCache } from './model-cache';
import { SplitErrorTables, splitErrors } from './split-errors';
import { encode, modelInfo, reconstruct, type EncodedImages } from './reconstruct';
import { PcaComparer } from './pca-compare';
import { activations, filters } from './inspect';
import { CodeGenerator } from './generate';
import { probeCodes } from './code-probe';
import { anomalyScores } from './anomaly';
import { quietScope, type RequestScope } from './request-scope';
import type { EvaluationContext } from './evaluation-context';

export type { EncodedImages } from './reconstruct';
export type { EvaluationStep } from './request-scope';

/** What the evaluation worker answers: the results views' API methods, and encoding images for other services. */
export type EvaluationMethods = Pick<
  ApiMethods,
  | 'results:model'
  | 'results:reconstruct'
  | 'results:errors'
  | 'results:pca'
  | 'results:filters'
  | 'results:activations'
  | 'results:decode'
  | 'results:probe'
  | 'results:anomaly'
> & {
  /** Codes of any images (similarity search from a file). */
  encode: { args: CheckpointRef & { images: EvalImages }; result: EncodedImages };
};
export type EvaluationChannel = keyof EvaluationMethods;

export type EvaluationRequest = {
  [C in EvaluationChannel]: { channel: C; args: EvaluationMethods[C]['args'] };
}[EvaluationChannel];

/** Whether images come from a whole split's error table (the worst or best reconstructed), which takes long. */
const needsErrorTable = (images: EvalImages) =>
  images.from === 'split' && (images.order === 'worst' || images.order === 'best');

/**
 * Whether a request reconstructs a whole split (the per-image error table behind the error chart, the worst/best
 * picks, PCA's test comparison): seconds to minutes on a large set. The worker answers the others — a gallery, a
 * decode, filters — between its chunks, so they never wait behind it.
 */
export function isLongRequest(request: EvaluationRequest): boolean {
  switch (request.channel) {
    case 'results:errors':
    case 'results:pca':
    case 'results:probe':
    case 'results:anomaly':
      return true;
    case 'results:reconstruct':
    case 'encode':
      return needsErrorTable(request.args.images);
    default:
      return false;
  }
}

/**
 * Everything the results views compute from a stored run, in the evaluation worker process. Each request kind lives
 * in a file of its own; this holds what they share — the last models loaded and the split error tables — and the
 * caches of the slow parts (PCA fits, the training codes' spread) through the objects that own them.
 */
export class Evaluator {
  private readonly ctx: EvaluationContext;
  private readonly pca: PcaComparer;
  private readonly generator: CodeGenerator;

  constructor(tf: typeof tfType, db: Database, dataDir: string, engine: EngineName) {
    this.ctx = {
      tf,
      db,
      dataDir,
      engine,
      models: new ModelCache(tf, db, dataDir),
      tables: new SplitErrorTables(tf, db, dataDir),
    };
    this.pca = new PcaComparer(this.ctx);
    this.generator = new CodeGenerator(this.ctx);
  }

  handle(request: EvaluationRequest, scope: RequestScope = quietScope()): Promise<unknown> {
    const { ctx } = this;
    switch (request.channel) {
      case 'results:model':
        return modelInfo(ctx, request.args);
      case 'results:reconstruct':
        return reconstruct(ctx, request.args, scope);
      case 'results:errors':
        return splitErrors(ctx.models, ctx.tables, request.args, scope);
      case 'results:pca':
        return this.pca.compare(request.args, scope);
      case 'results:filters':
        return filters(ctx, request.args);
      case 'results:activations':
        return activations(ctx, request.args);
      case 'results:decode':
        return this.generator.decode(request.args, scope);
      case 'results:probe':
        return probeCodes(ctx, request.args, scope);
      case 'results:anomaly':
        return anomalyScores(ctx, request.args, scope);
      case 'encode':
        return encode(ctx, request.args, scope);
    }
  }

  /** A gallery outside the worker (the PyTorch export checks its reconstructions against ours). */
  reconstruct(query: EvaluationMethods['results:reconstruct']['args']) {
    return reconstruct(this.ctx, query, quietScope());
  }

  dispose(): void {
    this.ctx.models.dispose();
  }
}

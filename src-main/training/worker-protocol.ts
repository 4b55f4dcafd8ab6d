import type { ApiError, EngineStatus, LatentJobArgs, RunStatus, TrainingProgress } from '../api/contract';
import type { LatentJobResult, LatentStep } from '../latent/latent-job';
import type { EvaluationRequest } from '../evaluation/evaluator';

export type { TrainingProgress };

/**
 * Messages between the main process and a worker process (training; encoding and mapping latent codes; answering the
 * results views, where one long-lived worker takes request after request). Plain data only.
 */
export type ToWorker =
  | { type: 'train'; runId: number; dataDir: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'probe' }
  | { type: 'latent'; dataDir: string; args: LatentJobArgs }
  | { type: 'evaluate'; id: number; dataDir: string; request: EvaluationRequest };

export type FromWorker =
  | { type: 'engine'; status: EngineStatus }
  | { type: 'progress'; progress: TrainingProgress }
  | { type: 'done'; runId: number; status: RunStatus; error: string | null }
  | { type: 'latent-progress'; step: LatentStep }
  | { type: 'latent-done'; result: LatentJobResult | null; error: ApiError | null }
  | { type: 'evaluate-done'; id: number; result: unknown; error: ApiError | null };

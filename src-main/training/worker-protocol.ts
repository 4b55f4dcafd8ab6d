import type { ApiError, EngineStatus, LatentJobArgs, RunStatus, TrainingProgress } from '../api/contract';
import type { LatentJobResult, LatentStep } from '../latent/latent-job';

export type { TrainingProgress };

/**
 * Messages between the main process and a worker process (training, or encoding and mapping latent codes). Plain
 * data only.
 */
export type ToWorker =
  | { type: 'train'; runId: number; dataDir: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'probe' }
  | { type: 'latent'; dataDir: string; args: LatentJobArgs };

export type FromWorker =
  | { type: 'engine'; status: EngineStatus }
  | { type: 'progress'; progress: TrainingProgress }
  | { type: 'done'; runId: number; status: RunStatus; error: string | null }
  | { type: 'latent-progress'; step: LatentStep }
  | { type: 'latent-done'; result: LatentJobResult | null; error: ApiError | null };

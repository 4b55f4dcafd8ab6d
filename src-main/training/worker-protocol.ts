import type { EngineStatus, RunStatus, TrainingProgress } from '../api/contract';

export type { TrainingProgress };

/** Messages between the main process and a training worker process. Plain data only. */
export type ToWorker =
  | { type: 'train'; runId: number; dataDir: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'probe' };

export type FromWorker =
  | { type: 'engine'; status: EngineStatus }
  | { type: 'progress'; progress: TrainingProgress }
  | { type: 'done'; runId: number; status: RunStatus; error: string | null };

import type { EngineStatus } from '../engine/select-engine';
import type { RunStatus } from '../store/runs';

/** Messages between the main process and a training worker process. Plain data only. */
export type ToWorker =
  | { type: 'train'; runId: number; dataDir: string }
  | { type: 'stop' }
  | { type: 'probe' };

export interface TrainingProgress {
  runId: number;
  status: RunStatus;
  phase: 'starting' | 'training' | 'evaluating' | 'finished';
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Mean training loss of the current epoch so far. */
  trainLoss: number | null;
  /** Test loss of the last finished epoch. */
  testLoss: number | null;
  imagesPerSec: number | null;
  elapsedMs: number;
  etaMs: number | null;
  engine: string | null;
  error: string | null;
}

export type FromWorker =
  | { type: 'engine'; status: EngineStatus }
  | { type: 'progress'; progress: TrainingProgress }
  | { type: 'done'; runId: number; status: RunStatus; error: string | null };

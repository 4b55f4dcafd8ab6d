import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../../src-main/store/database';
import type { EngineStatus } from '../../src-main/engine/select-engine';
import { trainRun } from '../../src-main/training/train-run';
import { createTrainerCore } from '../../src-main/trainer/trainer-core';

/**
 * Trains a stored run in this process (no worker, the trainer core in this process too), never paused, stopping after `stopAfterBatches` batches if given:
 * the training loop itself, as the tests drive it.
 */
export function trainInProcess(
  ctx: { tf: typeof tfType; engine: EngineStatus; db: Database; dataDir: string; runId: number },
  options: {
    stopAfterBatches?: number;
    preloadLimitBytes?: number;
    midEpochCheckpointMs?: number;
    /** Called before each batch (when the loop asks whether to stop), with the batches trained so far. */
    beforeBatch?: (trained: number) => void;
  } = {},
) {
  const stopAfter = options.stopAfterBatches ?? Infinity;
  let batches = 0;
  const { tf, ...host } = ctx;
  return trainRun({
    ...host,
    trainer: createTrainerCore(tf),
    preloadLimitBytes: options.preloadLimitBytes,
    midEpochCheckpointMs: options.midEpochCheckpointMs,
    shouldStop: () => {
      options.beforeBatch?.(batches);
      return batches++ >= stopAfter;
    },
    isPaused: () => false,
    waitForResume: () => Promise.resolve(),
    onProgress: () => {},
    yieldToEvents: () => Promise.resolve(),
  });
}

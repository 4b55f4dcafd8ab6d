import type * as tfType from '@tensorflow/tfjs';
import type { TrainingConfig, TrainingProgress } from '../api/contract';
import type { ImageShape } from '../models/model-plan';

/**
 * The contract between a run host (store rows, checkpoint files, progress, stop and pause: training/train-run.ts) and
 * a trainer core (pure tfjs: trainer-core.ts). A core runs in the host's process (the CPU engines, Dawn) or in a
 * Chromium worker behind a port (the desktop app's GPU: trainer-rpc.ts); the host cannot tell the two apart.
 * Everything that crosses is plain data and bytes.
 */

/** Where a checkpoint leaves the training loop. */
/** Reduce-on-plateau's memory: the rate it has reached, the best loss so far (null: none yet) and the epochs since. */
export interface ScheduleState {
  rate: number;
  best: number | null;
  bad: number;
}

export interface CheckpointState {
  epoch: number;
  /**
   * Adam's running powers beta1^t and beta2^t, exactly as training had multiplied them up. tfjs's setWeights
   * recomputes them as pow(beta, t), which differs in the last float32 bits, and that difference grows until a
   * resumed run drifts from an unbroken one; restoring the stored values keeps resume bit for bit.
   */
  adamPowers?: [number, number];
  /**
   * Set when the checkpoint was written inside epoch `epoch + 1` (on Stop, on Pause, or every few minutes of a long
   * epoch): the batches of that epoch already trained, the epoch's running loss over them, and the training time so
   * far. A resume carries on from the next batch with exactly the numbers an unbroken run would have.
   */
  inside?: { batch: number; lossSum: number; lossCount: number; penaltySum?: number; elapsedMs: number };
  /** The learning-rate schedule's state at the end of `epoch` (training/lr-schedule.ts); absent: its initial state. */
  schedule?: ScheduleState;
}

/** A model's topology and weights, as tfjs's layers format holds them. */
export interface ModelBytes {
  modelTopology: object;
  weightSpecs: tfType.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/** A checkpoint in memory: the model, the optimizer's slots and the loop's position (checkpoint-files.ts). */
export interface CheckpointBytes extends ModelBytes {
  optimizerSpecs: tfType.io.WeightsManifestEntry[];
  optimizerData: ArrayBuffer;
  state: CheckpointState;
}

/** The images of one split, handed out as float batches in [0, 1] (training/split-pixels.ts, memory-pixels.ts). */
export interface PixelSource {
  readonly count: number;
  /** Fills `out` with split images `order[from..to)` scaled to [0, 1]; returns how many. */
  fill(order: ArrayLike<number>, from: number, to: number, out: Float32Array): number;
  /** Every image of the split as uint8, back to back (for a core in another process, which gets them once). */
  readAll(): Uint8Array;
}

/** Test hooks that make the GPU fail as a driver would, after this many training steps counted from epoch 1. */
export interface GpuFaults {
  /** Destroy the device, as a driver reset does. */
  loseDeviceAfterSteps?: number;
  /** Make every read back from the GPU fail, as Dawn's mapped buffers do inside Electron. */
  failReadbackAfterSteps?: number;
}

export interface TrainerSetup {
  config: TrainingConfig;
  shape: ImageShape;
  /** Where training goes on from; null starts a new model from the config's seed. */
  checkpoint: CheckpointBytes | null;
  faults?: GpuFaults;
}

export type MemorySnapshot = NonNullable<TrainingProgress['memory']>;

/**
 * A loss as the objective's terms: the reconstruction loss (MSE or cross-entropy per pixel: what runs are compared
 * on) and the penalty added to it in training (a sparse run's weighted L1, a VAE's β·KL per pixel); null without one.
 */
export interface LossTerms {
  loss: number;
  penalty: number | null;
}

/** A trained batch whose loss has been read back. */
export interface BatchLoss extends LossTerms {
  epoch: number;
  /** 0-based, as trainBatch numbers it. */
  batch: number;
  images: number;
}

export interface StepResult {
  /**
   * The batches whose losses came back with this step, oldest first. On the CPU that is this batch. On a GPU the
   * losses stay on the device and come back several batches at a time, a group behind, in one read: each read waits
   * for the GPU's queue to empty, so reading every batch would stall it once a step.
   */
  done: BatchLoss[];
  /** Live tensors and bytes after the step (the GPU's too), for the progress panel. */
  memory: MemorySnapshot;
}

/**
 * What a host asks of a core. Calls are answered in order, one at a time. Every failure is a TrainerError, so the
 * host knows a GPU fault (keep the run resumable) from a diverging loss or a bad setting (the run failed).
 */
export interface Trainer {
  /** Builds the model (or restores the checkpoint's) and takes the run's images. */
  init(setup: TrainerSetup, data: { train: PixelSource; test: PixelSource }): Promise<{ hasBatchNorm: boolean }>;
  /** Trains batch `batch` (0-based) of epoch `epoch` (1-based), in the run's seeded order for that epoch. */
  trainBatch(epoch: number, batch: number, learningRate: number): Promise<StepResult>;
  /** The losses of every trained batch not returned yet; the host calls it before a checkpoint and an epoch's end. */
  flush(): Promise<BatchLoss[]>;
  /** Measures the batch-norm layers' statistics afresh (batch-norm-statistics.ts). */
  remeasureBatchNorm(): Promise<void>;
  /** The mean loss over the test split, in inference mode, by term; null without test images. */
  testLoss(): Promise<LossTerms | null>;
  /** Reconstructions of these test images (positions in the split), as 0..255 pixels, with each one's MSE. */
  reconstruct(positions: Int32Array): Promise<{ pixels: Uint8Array; mse: Float32Array }>;
  /** The model and optimizer as they are now, with the loop's position. */
  snapshot(state: CheckpointState): Promise<CheckpointBytes>;
  memory(): Promise<MemorySnapshot>;
  /** Frees the model, the optimizer and (for a core in another process) the process's GPU memory. */
  dispose(): Promise<void>;
}

/**
 * How a trainer failed. `gpu`: the device was lost, ran out of memory, a read back failed, or the process holding
 * the GPU ended — the machine's fault, so the run is interrupted and can resume. `diverged`: the loss is no longer a
 * number. `invalid`: a setting does not fit (a UserError). `failed`: anything else.
 */
export type TrainerErrorKind = 'gpu' | 'diverged' | 'invalid' | 'failed';

export class TrainerError extends Error {
  constructor(
    readonly kind: TrainerErrorKind,
    message: string,
    /** For `invalid`: the UserError's code. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'TrainerError';
  }
}

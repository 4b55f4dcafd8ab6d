/** Training runs: starting, pausing, progress, galleries. */
import type { TrainingConfig } from './models';

export interface StartTrainingArgs {
  datasetId: number;
  config: TrainingConfig;
  name?: string;
}

export type RunStatus = 'queued' | 'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'interrupted';

/** A lab worker, as a run records it: which machine, which GPU (null: the CPU), which engine. */
export interface LabWorkerInfo {
  id: string;
  host: string;
  gpu: string | null;
  engine: string;
}

export interface RunSummary {
  id: number;
  name: string;
  datasetId: number;
  datasetName: string;
  status: RunStatus;
  /** Queued or training in this app's queue; false when another Autoencoder Studio process trains it. */
  inQueue: boolean;
  engine: string | null;
  /** What the engine ran on, e.g. "GPU (WebGPU in Chromium): NVIDIA H200 (Vulkan)". */
  engineDetail: string | null;
  epochsDone: number;
  epochs: number;
  /** The last epoch's reconstruction losses (MSE or cross-entropy per pixel, as `loss` says), penalty not included. */
  finalTrainLoss: number | null;
  finalTestLoss: number | null;
  /**
   * The test images' mean PSNR (dB) and SSIM when the run finished (evaluation of its 8-bit reconstructions); null
   * before it finished, without test images, and for SSIM on images under 11 pixels a side.
   */
  finalTestPsnr: number | null;
  finalTestSsim: number | null;
  /** The codes' scores at the latest epoch probed (results:probe); null when none was. */
  probe: { epoch: number; knnAccuracy: number; linearAccuracy: number; chance: number } | null;
  /** A sparse or variational run's penalty term, kept apart from its losses; null for a plain autoencoder. */
  penalty: RunPenalty | null;
  error: string | null;
  /** How the run ended, when there is something to say (e.g. it stopped early). */
  note: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The user's own notes and tags. */
  notes: string;
  tags: string[];
  /** The sweep the run belongs to and the values it was given there. */
  sweepId: number | null;
  sweepValues: Record<string, number> | null;
  /** The lab worker that trains or trained it (a run queued on a lab hub); null for a run trained by this app. */
  worker: LabWorkerInfo | null;
  /** Key settings, for the runs table: the preset's name (or "Custom"), code size, batch size, learning rate. */
  model: string;
  latent: number | null;
  batchSize: number;
  learningRate: number;
  /** Trained on this many of the training images (a stratified, seeded subset); null: all of them. */
  trainSubset: number | null;
  /** What its losses measure: losses of different kinds are not comparable. */
  loss: 'mse' | 'bce';
  /** Lowest test loss of any epoch so far, and the training time over all epochs (pauses not counted). */
  bestTestLoss: number | null;
  trainingMs: number | null;
  /** The run's checkpoint inside an unfinished epoch (saved on Stop, Pause, or during a long epoch), if any. */
  checkpointInside: CheckpointInside | null;
  /** The epochs with a checkpoint on disk (what Results and the latent map can open), ascending. */
  checkpointEpochs: number[];
  /** Of those, the one with the lowest test loss (training loss without a test split); null before the first. */
  bestEpoch: number | null;
}

/** The penalty a run's objective adds to its reconstruction loss in training, and its last epoch's values. */
export interface RunPenalty {
  /** 'l1': a sparse run's weighted L1 of its activations; 'kl': a VAE's β·KL per pixel; 'kl+l1': both. */
  term: 'l1' | 'kl' | 'kl+l1';
  finalTrain: number | null;
  finalTest: number | null;
  /**
   * A run trained before the terms were kept apart: its recorded losses include the penalty, so they compare only
   * with runs of its own kind.
   */
  includedInLoss: boolean;
}

/** How the app and the CLI name a penalty term. */
export const penaltyNames: Record<RunPenalty['term'], string> = {
  l1: 'L1 penalty',
  kl: 'β·KL',
  'kl+l1': 'β·KL + L1 penalty',
};

/** A checkpoint saved inside `epoch`, after `batch` of its `batches` batches. */
export interface CheckpointInside {
  epoch: number;
  batch: number;
  batches: number;
}

export interface EpochMetric {
  epoch: number;
  trainLoss: number | null;
  testLoss: number | null;
  /** The penalty term's mean over the epoch (train) and the test split; null for a plain autoencoder. */
  trainPenalty: number | null;
  testPenalty: number | null;
  /** The learning rate the epoch trained at (a schedule changes it); null for epochs trained before it was stored. */
  learningRate: number | null;
  /** The test images' mean PSNR (dB) and SSIM, measured when the run finished: on its last epoch only, else null. */
  testPsnr: number | null;
  testSsim: number | null;
  imagesPerSec: number | null;
  elapsedMs: number;
}

export interface RunDetail {
  run: RunSummary;
  config: TrainingConfig;
  epochMetrics: EpochMetric[];
  /** Per-batch training loss, thinned to at most a few thousand points for charting. */
  batchLoss: Array<{ step: number; loss: number }>;
  batchesPerEpoch: number;
}

export interface RunRef {
  runId: number;
}

export interface GalleryQuery {
  runId: number;
  /** Defaults to the latest epoch with reconstructions. */
  epoch?: number;
}

/** Images made by a run at one checkpoint, and the other checkpoints it could show instead. */
export interface CheckpointImages {
  runId: number;
  epoch: number;
  /** The epochs that can be shown, ascending: the epoch slider's stops. */
  epochs: number[];
  /** When the last of `epochs` is a checkpoint inside that epoch (not at its end): how far into it. */
  inside: CheckpointInside | null;
  width: number;
  height: number;
  channels: 1 | 3;
}

export interface ReconstructionGallery extends CheckpointImages {
  items: Array<{ label: number; labelName: string; fileName: string; mse: number }>;
  /** base64 uint8 HWC, back to back, in `items` order. */
  originals: string;
  reconstructions: string;
}

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
  /**
   * What the engine holds after the last batch: live tensors, their bytes, and on the GPU the device memory its buffer
   * pool has allocated. Flat from epoch to epoch; growth would be a leak.
   */
  memory: { tensors: number; bytes: number; gpuBytes: number | null } | null;
  error: string | null;
}

export interface RunsMethods {
  'training:start': { args: StartTrainingArgs; result: RunSummary };
  'training:pause': { args: RunRef; result: RunSummary };
  'training:stop': { args: RunRef; result: RunSummary };
  /** `onCpu`: train on the fastest CPU engine even where the GPU engine loads (after a GPU fault, say). */
  'training:resume': { args: RunRef & { onCpu?: boolean }; result: RunSummary };
  /** The last progress the run training now reported (none when idle): a window opened mid-run starts from it. */
  'training:current': { args: void; result: TrainingProgress[] };
  /** The open project's runs, newest first; `ids` asks for only those (the ones a `runs:changed` event names). */
  'runs:list': { args: { ids?: number[] } | void; result: RunSummary[] };
  'runs:get': { args: RunRef; result: RunDetail };
  'runs:reconstructions': { args: GalleryQuery; result: ReconstructionGallery };
}

/** Every channel above, once: `satisfies` fails the build when one is missing or unknown. */
export const runsChannels = {
  'training:start': true,
  'training:pause': true,
  'training:stop': true,
  'training:resume': true,
  'training:current': true,
  'runs:list': true,
  'runs:get': true,
  'runs:reconstructions': true,
} as const satisfies Record<keyof RunsMethods, true>;

/** Events pushed from main to the renderer. */
export interface RunsEvents {
  'training:progress': TrainingProgress;
}

export const runsEventChannels = {
  'training:progress': true,
} as const satisfies Record<keyof RunsEvents, true>;

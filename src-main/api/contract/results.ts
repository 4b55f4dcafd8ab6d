/** Results views: reconstructions, PCA baseline, filters, activations, decoding. */
import type { EngineName } from './common';
import type { Split } from './datasets';
import type { Corruption } from './models';
import type { CheckpointImages, RunRef } from './runs';

/** A stored run at one of its checkpoints (the latest when `epoch` is left out). */
export interface CheckpointRef {
  runId: number;
  epoch?: number;
}

/** Which images a results view feeds through the model. */
export const splitOrders = ['stratified', 'first', 'random', 'worst', 'best'] as const;
export type SplitOrder = (typeof splitOrders)[number];

export type EvalImages =
  /**
   * From the run's dataset: every class in turn (the default view), the first, a seeded random pick, or those it
   * reconstructs worst or best.
   */
  | { from: 'split'; split: Split; order: SplitOrder; count: number; seed?: number }
  /** Chosen images of the run's dataset, by pixel-cache position. */
  | { from: 'images'; cacheIndices: number[] }
  /** Uniform noise images: off-distribution inputs. */
  | { from: 'noise'; count: number; seed: number }
  /** Another imported dataset's images, resized and converted to the run's image shape. */
  | { from: 'dataset'; datasetId: number; split: Split; count: number; seed: number }
  /** An image file on this computer (CLI, desktop app). */
  | { from: 'file'; path: string }
  /** An image file's bytes (dropped into the window), base64. */
  | { from: 'upload'; name: string; data: string };

export interface ReconstructQuery extends CheckpointRef {
  images: EvalImages;
  /** Corrupt the inputs first (the denoising view); the error is measured against the clean image. */
  corruption?: Corruption | null;
  /** Seeds the corruption, so the same view shows the same noise. */
  seed?: number;
}

export interface EvalItem {
  /** null for noise and dropped files, which have no class. */
  label: number | null;
  labelName: string;
  fileName: string;
  split: Split | null;
  /** Position in the run's dataset's pixel cache, when the image is one of its images. */
  cacheIndex: number | null;
  /** Mean squared error of the reconstruction against the clean image, pixels in 0..1. */
  mse: number;
  /** Peak signal-to-noise ratio in dB (10·log10(1/MSE), capped at 100 for a perfect copy). */
  psnr: number;
  /** Structural similarity (Wang et al. 2004, Gaussian window, per channel); null for images under 11 pixels a side. */
  ssim: number | null;
}

/** Images as base64 uint8 HWC, back to back, in `items` order. */
export interface Reconstructions extends CheckpointImages {
  items: EvalItem[];
  originals: string;
  /** The corrupted inputs, when a corruption was asked for. */
  inputs: string | null;
  reconstructions: string;
  meanMse: number;
  meanPsnr: number;
  meanSsim: number | null;
  elapsedMs: number;
}

export interface SplitErrorsQuery extends CheckpointRef {
  split: Split;
}

/** Every image of a split reconstructed: the mean error overall and per class, and its distribution. */
export interface SplitErrors {
  runId: number;
  epoch: number;
  split: Split;
  count: number;
  meanMse: number;
  /** Means over the images of their PSNR and SSIM (evaluation/image-quality.ts); SSIM null for tiny images. */
  meanPsnr: number;
  meanSsim: number | null;
  perClass: Array<{
    label: number;
    name: string;
    count: number;
    meanMse: number;
    meanPsnr: number;
    meanSsim: number | null;
  }>;
  /** 20 equal bins from 0 to `histogramMax`. */
  histogram: number[];
  histogramMax: number;
  elapsedMs: number;
}

export interface PcaQuery extends CheckpointRef {
  /** Components (default: the run's latent size). */
  components?: number;
  images: EvalImages;
}

/** The AE against PCA with the same number of numbers per image (seed 002). */
export interface PcaComparison extends CheckpointImages {
  components: number;
  /** Training images PCA was fitted on (a seeded sample of large sets). */
  fittedOn: number;
  /** Share of the training images' variance the components keep. */
  explainedVariance: number;
  items: Array<EvalItem & { pcaMse: number }>;
  originals: string;
  reconstructions: string;
  pcaReconstructions: string;
  /** Over the whole test split. */
  test: { count: number; aeMse: number; pcaMse: number };
  elapsedMs: number;
}

export interface ModelLayerInfo {
  name: string;
  kind: string;
  /** Output shape without the batch dimension. */
  shape: number[];
}

/** What a checkpoint's model offers the results views. */
export interface ModelInfo extends CheckpointImages {
  latentDims: number;
  variational: boolean;
  /** Why codes cannot be decoded on their own (a decoder that unpools with the encoder's positions), or null. */
  decodeBlocker: string | null;
  layers: ModelLayerInfo[];
  /** The engine the results worker computes with (the GPU where it loads). */
  engine: EngineName;
}

/** The first layer's weights as images (seed 002): a dense layer's rows, or a conv layer's kernels. */
export interface Filters {
  runId: number;
  epoch: number;
  layer: string;
  kind: 'dense' | 'conv';
  count: number;
  width: number;
  height: number;
  channels: 1 | 3;
  /** base64 uint8, each filter scaled from its own min (0) to max (255). */
  pixels: string;
  /** Each filter's weight range before scaling. */
  ranges: Array<[number, number]>;
}

export interface ActivationsQuery extends CheckpointRef {
  layer: string;
  /** Images of the run's dataset (at most 8). */
  cacheIndices: number[];
}

/** A layer's output for each image: feature maps (conv) or a vector (dense), scaled to 0..255 over the whole set. */
export interface Activations {
  runId: number;
  epoch: number;
  layer: string;
  /** Output shape without the batch dimension ([h, w, c] or [units]). */
  shape: number[];
  images: number;
  /** base64 uint8, images × product(shape), in the layer's order. */
  values: string;
  /** The range mapped to 0..255. */
  min: number;
  max: number;
  /** Share of exact zeros (dead or sparse units). */
  zeroShare: number;
}

/** The latent playground's ways to make codes, all decoded by the run's decoder. */
export type CodeRecipe =
  /** From N(0, 1) for a VAE (its prior); otherwise from a Gaussian fitted to the training images' codes. */
  | { kind: 'random'; count: number; seed: number }
  /** An image's code plus Gaussian noise of `scale` times each dimension's spread, `count` times (seed 002). */
  | { kind: 'perturb'; cacheIndex: number; scale: number; count: number; seed: number }
  /** From one image's code to another's in `steps` equal steps (ends included). */
  | { kind: 'interpolate'; from: number; to: number; steps: number }
  /** Codes given outright (the dimension sliders). */
  | { kind: 'codes'; codes: number[][] };

export interface DecodeQuery extends CheckpointRef {
  recipe: CodeRecipe;
}

export interface DecodedCodes {
  runId: number;
  epoch: number;
  dims: number;
  /** base64 float32, count × dims. */
  codes: string;
  count: number;
  width: number;
  height: number;
  channels: 1 | 3;
  /** base64 uint8 HWC, back to back. */
  images: string;
  /** Each dimension's mean and spread over the training codes (the sliders' centre and range). */
  codeMean: number[];
  codeStd: number[];
  elapsedMs: number;
}

/**
 * How far long results work has got (every image of a split reconstructed, PCA fitted), pushed as it goes: anything
 * that takes more than a moment shows progress, time left and Cancel.
 */
export interface ResultsProgress {
  /** Which request this is: `results:cancel` takes it. */
  requestId: number;
  /** The request doing the work ("results:pca"). */
  channel: string;
  /** What it is doing, for a person: "Reconstructing the 10,000 test images". */
  what: string;
  done: number;
  total: number;
  etaMs: number | null;
  /** The request has ended (answered, failed or cancelled): its progress can go. */
  finished: boolean;
}

/**
 * How useful a checkpoint's codes are: k-NN accuracy (k = `neighbours`) of the test codes against the training codes
 * and a linear probe's (logistic regression, `iterations` steps), beside the chance level (the most common test class's
 * share), on up to 10,000 training and 5,000 test images (a seeded, class-balanced sample beyond that).
 */
export interface CodeProbe {
  runId: number;
  epoch: number;
  trainCount: number;
  testCount: number;
  /** Numbers per code. */
  dims: number;
  knnAccuracy: number;
  linearAccuracy: number;
  chance: number;
  neighbours: number;
  iterations: number;
  elapsedMs: number;
}

export interface AnomalyQuery extends CheckpointRef {
  /** The normal classes (indices); default: the classes the run trained on. */
  normal?: number[];
}

/** A point of a ROC curve: flagging every score at or above `threshold` (null: none flagged yet). */
export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number | null;
}

/**
 * Each test image's reconstruction error as its anomaly score, for "not one of the normal classes": the ROC curve and
 * its AUC, and the scores themselves (with class and cache index), so a threshold can move without asking again.
 */
export interface AnomalyScores {
  runId: number;
  epoch: number;
  normal: number[];
  /** The classes the run trained on; null: all of them. */
  trainedOn: number[] | null;
  classNames: string[];
  auc: number;
  /** From the highest threshold down, thinned to at most 500 points for drawing. */
  roc: RocPoint[];
  /** Per test image, in the same order: its MSE, class and cache index. */
  scores: number[];
  labels: number[];
  cacheIndices: number[];
  elapsedMs: number;
}

/** A kept probe of one checkpoint. */
export type CodeProbeScore = Pick<
  CodeProbe,
  'epoch' | 'knnAccuracy' | 'linearAccuracy' | 'chance' | 'trainCount' | 'testCount'
>;

export interface ResultsMethods {
  'results:model': { args: CheckpointRef; result: ModelInfo };
  'results:reconstruct': { args: ReconstructQuery; result: Reconstructions };
  'results:errors': { args: SplitErrorsQuery; result: SplitErrors };
  'results:pca': { args: PcaQuery; result: PcaComparison };
  'results:filters': { args: CheckpointRef; result: Filters };
  'results:activations': { args: ActivationsQuery; result: Activations };
  'results:decode': { args: DecodeQuery; result: DecodedCodes };
  /** Scores the checkpoint's codes and keeps the score with the run (Compare and the runs CSV show the latest). */
  'results:probe': { args: CheckpointRef; result: CodeProbe };
  /** The scores kept for a run, by epoch (a curve across its checkpoints). */
  'results:probes': { args: RunRef; result: CodeProbeScore[] };
  /** Anomaly detection with the run's reconstruction errors: normal classes against the rest. */
  'results:anomaly': { args: AnomalyQuery; result: AnomalyScores };
  /**
   * Cancels one results request, named by its progress's `requestId`: it fails with code 'cancelled', and every other
   * request (other windows', other tabs') goes on. Results only read the store, so nothing is lost. A request that has
   * already ended is left as it is.
   */
  'results:cancel': { args: { requestId: number }; result: null };
}

/** Every channel above, once: `satisfies` fails the build when one is missing or unknown. */
export const resultsChannels = {
  'results:model': true,
  'results:reconstruct': true,
  'results:errors': true,
  'results:pca': true,
  'results:filters': true,
  'results:activations': true,
  'results:decode': true,
  'results:probe': true,
  'results:probes': true,
  'results:anomaly': true,
  'results:cancel': true,
} as const satisfies Record<keyof ResultsMethods, true>;

/** Events pushed from main to the renderer. */
export interface ResultsEvents {
  'results:progress': ResultsProgress;
}

export const resultsEventChannels = {
  'results:progress': true,
} as const satisfies Record<keyof ResultsEvents, true>;

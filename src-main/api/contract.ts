/**
 * The one API contract between the main process (or the browser-mode server) and the renderer: channel names and
 * the types that cross them. Types only (plus the channel lists), so main, preload and renderer can all import it.
 * Arguments are validated at run time by the schemas in ./schemas.ts; `satisfies` there keeps both in step.
 */

export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'conflict'
  | 'store_unavailable'
  | 'store_too_new'
  | 'file_error'
  | 'engine_unavailable'
  | 'training_failed'
  | 'forbidden'
  | 'unsupported'
  | 'cancelled'
  | 'internal';

export interface ApiError {
  code: ErrorCode;
  /** Written for the person using the app. */
  message: string;
}

/** Every call answers with data, never by throwing across the process boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export type EngineName = 'tfjs-node-gpu' | 'tfjs-node' | 'native' | 'wasm' | 'cpu';

export interface EngineStatus {
  name: EngineName;
  label: string;
  detail: string;
  /** Faster engines that were not used, each with the reason. */
  unavailable: Array<{ name: EngineName; reason: string }>;
}

export interface AppInfo {
  name: string;
  version: string;
  dataDir: string;
  transport: 'electron' | 'browser';
}

export type Split = 'train' | 'test';

export interface DatasetSummary {
  id: number;
  name: string;
  /** Where it was imported from: a folder, or the set and its folder. */
  source: string;
  width: number;
  height: number;
  channels: 1 | 3;
  classNames: string[];
  /** Images per class index, per split. */
  classCounts: { train: number[]; test: number[] };
  trainCount: number;
  testCount: number;
  runCount: number;
  createdAt: string;
}

export interface ImagePageQuery {
  datasetId: number;
  split: Split;
  offset: number;
  limit: number;
  /** Only images of this class. */
  label?: number;
}

export interface ImageItem {
  id: number;
  label: number;
  /** Path inside the imported folder (or the IDX file and item number). */
  fileName: string;
  /** Size of the original picture, when it came from an image file. */
  origWidth: number | null;
  origHeight: number | null;
}

/** Pixels travel as base64 of uint8 HWC images laid back to back, in `images` order. */
export interface ImagePage {
  datasetId: number;
  split: Split;
  total: number;
  offset: number;
  width: number;
  height: number;
  channels: 1 | 3;
  images: ImageItem[];
  pixels: string;
}

export type ImageFit = 'cover' | 'contain' | 'stretch';

export interface FolderImportArgs {
  /** The folder holding one sub-folder per class (optionally under train/ and test/). */
  path: string;
  name?: string;
  /** Images become size x size pixels (default 64). */
  size?: number;
  fit?: ImageFit;
  channels?: 1 | 3;
  /** Fills transparent areas and 'contain' borders (default white). */
  background?: string;
  /** 'folders' keeps the folder's own train/test split; a number is the test fraction of a stratified random split. */
  testSplit?: 'folders' | number;
  seed?: number;
  /** Class folders to leave out, e.g. "unknown". */
  exclude?: string[];
}

export type BuiltinDataset = 'mnist' | 'fashion-mnist' | 'kmnist' | 'cifar10';

export interface BuiltinImportArgs {
  dataset: BuiltinDataset;
  /**
   * The folder with the set's original files (IDX `*-ubyte[.gz]`; CIFAR-10 batches, binary or Python). Without it
   * the files are downloaded from their official location (checked and kept for next time).
   */
  from?: string;
  name?: string;
}

export interface ImportJob {
  jobId: number;
}

export interface ImportProgress {
  jobId: number;
  /** What is being imported, for the progress line. */
  label: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  phase: 'downloading' | 'scanning' | 'decoding' | 'saving' | 'finished';
  done: number;
  total: number;
  skipped: number;
  elapsedMs: number;
  etaMs: number | null;
  datasetId: number | null;
  error: string | null;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ImportReport {
  source: string;
  layout: 'class-folders' | 'train-test-folders' | 'idx-files' | 'cifar-batches';
  options: Record<string, unknown>;
  /** Files looked at. */
  found: number;
  imported: number;
  /** Files with the same content as one already imported (also listed in `skipped`). */
  duplicates: number;
  skipped: SkippedFile[];
  elapsedMs: number;
}

export interface DatasetRef {
  datasetId: number;
}

export type Activation = 'relu' | 'leakyRelu' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'linear';
export type Padding = 'same' | 'valid';

/**
 * One layer of an encoder or decoder. Layers without their own activation use the model's. Shapes are worked out by
 * the app: a flatten is added before a dense layer that follows feature maps, and a projection + reshape before a
 * spatial layer that follows a vector (to the encoder's last feature-map shape, unless a reshape says otherwise).
 */
export type LayerSpec =
  | { type: 'dense'; units: number; activation?: Activation }
  | { type: 'conv'; filters: number; kernel: number; stride: number; padding: Padding; activation?: Activation }
  /** Transposed convolution. */
  | { type: 'deconv'; filters: number; kernel: number; stride: number; padding: Padding; activation?: Activation }
  | { type: 'maxPool'; size: number }
  | { type: 'avgPool'; size: number }
  | { type: 'upsample'; size: number }
  /** Max-unpooling with the indices of the matching encoder max-pool (paired from the innermost outwards). */
  | { type: 'unpool' }
  | { type: 'batchNorm' }
  | { type: 'dropout'; rate: number }
  | { type: 'reshape'; height: number; width: number; channels: number }
  | { type: 'flatten' };

export type LayerType = LayerSpec['type'];

export interface ModelConfig {
  /** 'variational' makes the code a sampled Gaussian (mean and log-variance) and adds a KL term to the loss. */
  variant: 'standard' | 'variational';
  encoder: LayerSpec[];
  /** Size of the dense bottleneck; null keeps the encoder's own output as the code (conv models with unpooling). */
  latent: number | null;
  latentActivation: Activation;
  decoder: LayerSpec[];
  /** For every layer that does not name its own. */
  activation: Activation;
  outputActivation: 'sigmoid' | 'linear' | 'relu' | 'tanh';
}

export type CorruptionType = 'gaussian' | 'saltPepper' | 'occlusion' | 'gaussianOcclusion' | 'blur' | 'warp';

/** Denoising: inputs are corrupted on the fly, batch by batch, and the target stays the clean image. */
export interface Corruption {
  type: CorruptionType;
  /**
   * Strength: gaussian σ (pixel values are 0..1); salt-and-pepper probability per pixel; occlusion: side of the
   * square as a fraction of the image; blur σ in pixels; warp amplitude in pixels. gaussianOcclusion uses it as σ with
   * a quarter-size square.
   */
  level: number;
}

export interface TrainingConfig {
  model: ModelConfig;
  /** The image shape the model was made for; filled in when a run is created and checked against the dataset. */
  input?: { height: number; width: number; channels: number };
  /** The preset this config started from, for display. */
  preset?: string;
  loss: 'mse' | 'bce';
  optimizer: 'adam' | 'rmsprop' | 'sgd';
  learningRate: number;
  batchSize: number;
  epochs: number;
  seed: number;
  corruption: Corruption | null;
  /** Sparse AE: weight × mean over images of Σ|activation| of the named layers (default: the latent code). */
  sparsity: { weight: number; layers: string[] } | null;
  /** Weight β of the KL term of a variational AE. */
  klWeight: number;
  /** Stop when the test loss (train loss without a test split) has not improved by minDelta for `patience` epochs. */
  earlyStopping: { patience: number; minDelta: number } | null;
}

export interface Preset {
  id: string;
  name: string;
  description: string;
  /** Where it comes from, e.g. "Workflow 002 (MNIST)". */
  origin: string;
  config: TrainingConfig;
}

export interface PresetQuery {
  /** Adapt the presets to this dataset's image size (default 28x28 grayscale). */
  datasetId?: number;
}

/** One row of the Keras-style model summary. */
export interface LayerSummary {
  name: string;
  /** Keras-like class name: Conv2D, Dense, MaxUnpooling2D … */
  kind: string;
  section: 'input' | 'encoder' | 'latent' | 'decoder' | 'output';
  /** Without the batch dimension. */
  outputShape: number[];
  params: number;
  trainableParams: number;
  /** Added by the app to make shapes fit (flatten, projection, crop), not written in the config. */
  automatic: boolean;
}

export interface ModelSummary {
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** Size of the code each image is compressed to. */
  latentSize: number;
}

export interface ModelPlanQuery {
  config: TrainingConfig;
  datasetId: number;
}

/** The summary, or why the config cannot be built for this dataset (in words that say what to change). */
export type ModelPlanResult = { ok: true; summary: ModelSummary } | { ok: false; problem: string };

export interface StartTrainingArgs {
  datasetId: number;
  config: TrainingConfig;
  name?: string;
}

export type RunStatus = 'queued' | 'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'interrupted';

export interface RunSummary {
  id: number;
  name: string;
  datasetId: number;
  datasetName: string;
  status: RunStatus;
  engine: string | null;
  epochsDone: number;
  epochs: number;
  finalTrainLoss: number | null;
  finalTestLoss: number | null;
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
  /** Key settings, for the runs table: the preset's name (or "Custom"), code size, batch size, learning rate. */
  model: string;
  latent: number | null;
  batchSize: number;
  learningRate: number;
  /** Lowest test loss of any epoch so far, and the training time over all epochs (pauses not counted). */
  bestTestLoss: number | null;
  trainingMs: number | null;
}

export interface EpochMetric {
  epoch: number;
  trainLoss: number | null;
  testLoss: number | null;
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
  error: string | null;
}

/** Which images a run's encoder turns into codes: one split, or train and test together. */
export type EmbeddingSplit = 'train' | 'test' | 'all';

export interface TsneSettings {
  method: 'tsne';
  /** Effective number of neighbours each point keeps close (5–100). */
  perplexity: number;
  iterations: number;
  /** 'auto' is max(n / exaggeration / 4, 50), as in scikit-learn. */
  learningRate: number | 'auto';
  /** Early exaggeration (first 250 iterations). */
  exaggeration: number;
  init: 'pca' | 'random';
  seed: number;
}

export interface UmapSettings {
  method: 'umap';
  /** Size of the neighbourhood that shapes the map: small keeps local detail, large the global layout (2–200). */
  nNeighbors: number;
  /** How tightly points may pack together (0–0.99). */
  minDist: number;
  /** Optimisation epochs (0: umap-js's choice by data size). */
  epochs: number;
  seed: number;
}

export interface PcaSettings {
  method: 'pca';
}

export type ProjectionSettings = TsneSettings | UmapSettings | PcaSettings;
export type ProjectionMethod = ProjectionSettings['method'];

export interface LatentJobArgs {
  runId: number;
  /** The checkpoint to encode with; defaults to the run's latest. */
  epoch?: number;
  split: EmbeddingSplit;
  /** Also lay the codes out in 2-D; without it only the codes are computed (and stored). */
  projection?: ProjectionSettings;
}

export interface LatentProgress {
  jobId: number;
  runId: number;
  label: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  phase: 'starting' | 'encoding' | 'neighbours' | 'affinities' | 'optimising' | 'saving' | 'finished';
  done: number;
  total: number;
  elapsedMs: number;
  etaMs: number | null;
  embeddingId: number | null;
  projectionId: number | null;
  error: string | null;
}

export interface EmbeddingSummary {
  id: number;
  runId: number;
  epoch: number;
  split: EmbeddingSplit;
  count: number;
  dims: number;
  elapsedMs: number;
  createdAt: string;
}

export interface ProjectionSummary {
  id: number;
  embeddingId: number;
  epoch: number;
  split: EmbeddingSplit;
  count: number;
  settings: ProjectionSettings;
  /** PCA: share of the codes' variance along each axis (0..1). */
  explainedVariance: number[] | null;
  elapsedMs: number;
  createdAt: string;
}

export interface LatentList {
  embeddings: EmbeddingSummary[];
  projections: ProjectionSummary[];
}

export interface ProjectionRef {
  projectionId: number;
}

/** Every point of a 2-D map. Arrays travel as base64 of little-endian typed arrays, one entry per point. */
export interface LatentMap {
  projection: ProjectionSummary;
  datasetId: number;
  classNames: string[];
  /** Float32 x, y pairs. */
  points: string;
  /** Uint16 class indices. */
  labels: string;
  /** Int32 pixel-cache positions, for thumbnails (datasets:imagesAt). */
  cacheIndices: string;
  /** Float32 reconstruction error (MSE) of each image with the same checkpoint, for colouring by error. */
  errors: string;
}

export interface ImagesAtQuery {
  datasetId: number;
  /** Pixel-cache positions (at most 500). */
  cacheIndices: number[];
}

/** Images with their pixels (base64 uint8 HWC, back to back, in `images` order). */
export interface ImageSet {
  datasetId: number;
  width: number;
  height: number;
  channels: 1 | 3;
  images: Array<ImageItem & { split: Split; cacheIndex: number }>;
  pixels: string;
}

export interface CodeSampleQuery {
  embeddingId: number;
  /** The first `dims` numbers of each code (1–10). */
  dims: number;
  /** How many images, picked at random with `seed` (all when there are fewer). */
  count: number;
  seed: number;
}

/** A sample of codes for the pair plot; arrays as base64 little-endian typed arrays. */
export interface CodeSample {
  dims: number;
  /** Numbers per code in the embedding. */
  totalDims: number;
  count: number;
  classNames: string[];
  /** Float32, count x dims. */
  values: string;
  /** Uint16 class indices. */
  labels: string;
}

export type DistanceMetric = 'l1' | 'l2' | 'cosine';

export interface SimilarityQuery {
  embeddingId: number;
  /** Position of the query image in the embedding (as in the map's arrays); or, instead: */
  index?: number;
  /** Any image file, encoded with the embedding's checkpoint. */
  image?: Extract<EvalImages, { from: 'file' | 'upload' }>;
  k: number;
  metric: DistanceMetric;
}

export interface SimilarityResult {
  /** index and cacheIndex are null for a query image from a file. */
  query: { index: number | null; cacheIndex: number | null; fileName: string | null };
  metric: DistanceMetric;
  /** The k nearest other images, closest first. */
  matches: Array<{ index: number; cacheIndex: number; distance: number }>;
  elapsedMs: number;
}

export interface CsvExportArgs {
  projectionId: number;
  /** Add the code's columns z0…zK. */
  latent: boolean;
}

export interface CsvExport {
  fileName: string;
  rows: number;
  csv: string;
}

/** A stored run at one of its checkpoints (the latest when `epoch` is left out). */
export interface CheckpointRef {
  runId: number;
  epoch?: number;
}

/** Which images a results view feeds through the model. */
export type EvalImages =
  /** From the run's dataset: the first, a seeded random pick, or those it reconstructs worst or best. */
  | { from: 'split'; split: Split; order: 'first' | 'random' | 'worst' | 'best'; count: number; seed?: number }
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
}

/** Images as base64 uint8 HWC, back to back, in `items` order. */
export interface Reconstructions extends CheckpointImages {
  items: EvalItem[];
  originals: string;
  /** The corrupted inputs, when a corruption was asked for. */
  inputs: string | null;
  reconstructions: string;
  meanMse: number;
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
  perClass: Array<{ label: number; name: string; count: number; meanMse: number }>;
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

export interface RunLabels {
  runId: number;
  name?: string;
  notes?: string;
  tags?: string[];
}

/** Several runs side by side: their curves, and only the settings that differ. */
export interface RunComparison {
  runs: RunSummary[];
  curves: Array<{ runId: number; epochs: EpochMetric[]; batchLoss: Array<{ step: number; loss: number }> }>;
  /** One row per setting that is not the same in every run, with each run's value as text. */
  differences: Array<{ setting: string; values: string[] }>;
  /** Whether the runs share a dataset (then their reconstructions of the same images can be compared). */
  sameDataset: boolean;
}

/** What a sweep can vary: the code size, batch size, learning rate, epochs, noise level (denoising) or seed. */
export type SweepParam = 'latent' | 'batch' | 'lr' | 'epochs' | 'noise' | 'seed';

export interface SweepAxis {
  param: SweepParam;
  values: number[];
}

export interface StartSweepArgs {
  datasetId: number;
  config: TrainingConfig;
  /** One or two parameters; every combination of their values is one run. */
  axes: SweepAxis[];
  name?: string;
}

export interface SweepSummary {
  id: number;
  name: string;
  datasetId: number;
  datasetName: string;
  axes: SweepAxis[];
  /** running: some runs are queued or training; completed: all completed; incomplete: some stopped or failed. */
  status: 'running' | 'completed' | 'incomplete';
  runs: Array<{
    runId: number;
    values: Record<string, number>;
    status: RunStatus;
    epochsDone: number;
    epochs: number;
    finalTestLoss: number | null;
    finalTrainLoss: number | null;
  }>;
  createdAt: string;
}

export interface RunExportArgs {
  runId: number;
  /** A folder to create the export in (it gets a sub-folder named after the run). */
  dir: string;
}

export interface RunExport {
  path: string;
  files: string[];
}

export interface ProjectSummary {
  id: number;
  name: string;
  datasets: number;
  runs: number;
  sweeps: number;
  createdAt: string;
}

/** The projects and the open one: lists of datasets, runs and sweeps show the open project's. */
export interface ProjectList {
  current: number;
  projects: ProjectSummary[];
}

/** Request channels: argument type and result type. */
export interface ApiMethods {
  'app:info': { args: void; result: AppInfo };
  'engine:status': { args: void; result: EngineStatus };
  'datasets:list': { args: void; result: DatasetSummary[] };
  'datasets:images': { args: ImagePageQuery; result: ImagePage };
  'datasets:import': { args: FolderImportArgs; result: ImportJob };
  'datasets:importBuiltin': { args: BuiltinImportArgs; result: ImportJob };
  'datasets:cancelImport': { args: ImportJob; result: null };
  'datasets:report': { args: DatasetRef; result: ImportReport | null };
  'datasets:rename': { args: DatasetRef & { name: string }; result: DatasetSummary };
  'datasets:delete': { args: DatasetRef; result: null };
  'app:chooseFolder': { args: void; result: string | null };
  'presets:list': { args: PresetQuery; result: Preset[] };
  'models:plan': { args: ModelPlanQuery; result: ModelPlanResult };
  'training:start': { args: StartTrainingArgs; result: RunSummary };
  'training:pause': { args: RunRef; result: RunSummary };
  'training:stop': { args: RunRef; result: RunSummary };
  'training:resume': { args: RunRef; result: RunSummary };
  'runs:list': { args: void; result: RunSummary[] };
  'runs:get': { args: RunRef; result: RunDetail };
  'runs:reconstructions': { args: GalleryQuery; result: ReconstructionGallery };
  'datasets:imagesAt': { args: ImagesAtQuery; result: ImageSet };
  'latent:start': { args: LatentJobArgs; result: { jobId: number } };
  'latent:cancel': { args: { jobId: number }; result: null };
  'latent:list': { args: RunRef; result: LatentList };
  'latent:map': { args: ProjectionRef; result: LatentMap };
  'latent:search': { args: SimilarityQuery; result: SimilarityResult };
  'latent:sample': { args: CodeSampleQuery; result: CodeSample };
  'latent:csv': { args: CsvExportArgs; result: CsvExport };
  'results:model': { args: CheckpointRef; result: ModelInfo };
  'results:reconstruct': { args: ReconstructQuery; result: Reconstructions };
  'results:errors': { args: SplitErrorsQuery; result: SplitErrors };
  'results:pca': { args: PcaQuery; result: PcaComparison };
  'results:filters': { args: CheckpointRef; result: Filters };
  'results:activations': { args: ActivationsQuery; result: Activations };
  'results:decode': { args: DecodeQuery; result: DecodedCodes };
  'runs:update': { args: RunLabels; result: RunSummary };
  'runs:delete': { args: RunRef; result: null };
  'runs:compare': { args: { runIds: number[] }; result: RunComparison };
  'runs:export': { args: RunExportArgs; result: RunExport };
  'runs:import': { args: { dir: string }; result: RunSummary };
  'sweeps:start': { args: StartSweepArgs; result: SweepSummary };
  'sweeps:list': { args: void; result: SweepSummary[] };
  'projects:list': { args: void; result: ProjectList };
  'projects:create': { args: { name: string }; result: ProjectList };
  'projects:open': { args: { projectId: number }; result: ProjectList };
  'projects:rename': { args: { projectId: number; name: string }; result: ProjectList };
}

/** Event channels pushed from main to the renderer. */
export interface ApiEvents {
  'training:progress': TrainingProgress;
  'import:progress': ImportProgress;
  'latent:progress': LatentProgress;
}

export type MethodChannel = keyof ApiMethods;
export type EventChannel = keyof ApiEvents;

export const methodChannels = [
  'app:info',
  'engine:status',
  'datasets:list',
  'datasets:images',
  'datasets:import',
  'datasets:importBuiltin',
  'datasets:cancelImport',
  'datasets:report',
  'datasets:rename',
  'datasets:delete',
  'app:chooseFolder',
  'presets:list',
  'models:plan',
  'training:start',
  'training:pause',
  'training:stop',
  'training:resume',
  'runs:list',
  'runs:get',
  'runs:reconstructions',
  'datasets:imagesAt',
  'latent:start',
  'latent:cancel',
  'latent:list',
  'latent:map',
  'latent:search',
  'latent:sample',
  'latent:csv',
  'results:model',
  'results:reconstruct',
  'results:errors',
  'results:pca',
  'results:filters',
  'results:activations',
  'results:decode',
  'runs:update',
  'runs:delete',
  'runs:compare',
  'runs:export',
  'runs:import',
  'sweeps:start',
  'sweeps:list',
  'projects:list',
  'projects:create',
  'projects:open',
  'projects:rename',
] as const satisfies readonly MethodChannel[];

export const eventChannels = [
  'training:progress',
  'import:progress',
  'latent:progress',
] as const satisfies readonly EventChannel[];

/** A compile-time check that the list above names every method exactly. */
type Missing = Exclude<MethodChannel, (typeof methodChannels)[number]>;
export const allMethodsListed: Missing extends never ? true : never = true;

/** Models: layer lists, training settings, presets and summaries. */

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
  /**
   * Batch normalisation. `momentum` (default 0.99, tfjs's and Keras's) is how much of its moving statistics each
   * training batch keeps; whatever it is, the statistics are measured afresh over training images before each epoch's
   * test loss and checkpoint, so the model is evaluated with statistics that fit its current weights.
   */
  | { type: 'batchNorm'; momentum?: number }
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

/**
 * Every corruption, as the app and the CLI describe it: its name, what its level measures, the moderate level used
 * when one is picked without a level (the Train form, the CLI's --noise, the Denoising tab), and the range the
 * Denoising tab's slider covers. Plain data, so the renderer shares it.
 */
export const corruptionKinds = {
  gaussian: { name: 'Gaussian noise', unit: 'σ', defaultLevel: 0.3, max: 1, step: 0.05 },
  saltPepper: { name: 'Salt and pepper', unit: 'share of pixels', defaultLevel: 0.1, max: 0.5, step: 0.02 },
  occlusion: { name: 'Occlusion (square)', unit: 'square side, fraction', defaultLevel: 0.3, max: 0.8, step: 0.05 },
  gaussianOcclusion: { name: 'Gaussian + occlusion', unit: 'σ', defaultLevel: 0.3, max: 1, step: 0.05 },
  blur: { name: 'Gaussian blur', unit: 'σ in pixels', defaultLevel: 1, max: 4, step: 0.25 },
  warp: { name: 'Sine-wave warp', unit: 'amplitude in pixels', defaultLevel: 3, max: 8, step: 0.5 },
} as const satisfies Record<
  CorruptionType,
  { name: string; unit: string; defaultLevel: number; max: number; step: number }
>;

export const corruptionTypes = Object.keys(corruptionKinds) as [CorruptionType, ...CorruptionType[]];

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
  /** Momentum of SGD and RMSprop (PyTorch's and Keras's meaning); unset or 0: none. Adam has its own. */
  momentum?: number;
  learningRate: number;
  /** How the learning rate changes from epoch to epoch (lr-schedule.ts); unset: constant. */
  lrSchedule?: LrSchedule;
  /**
   * Decoupled weight decay (AdamW, Loshchilov & Hutter; PyTorch's torch.optim.AdamW): each step first shrinks every
   * weight by lr × weightDecay. Adam only; unset or 0: none.
   */
  weightDecay?: number;
  /** Train on this many of the training images (stratified by class, drawn with `seed`); unset: all of them. */
  trainSubset?: number;
  /**
   * Train on the images of these classes only (indices into the dataset's classes): an anomaly detector learns the
   * normal classes, and the test split keeps them all. Unset: every class.
   */
  trainClasses?: number[];
  batchSize: number;
  epochs: number;
  seed: number;
  corruption: Corruption | null;
  /** On-the-fly augmentation of the training images (trainer/augment.ts); unset or null: none. */
  augment?: Augmentation | null;
  /** Sparse AE: weight × mean over images of Σ|activation| of the named layers (default: the latent code). */
  sparsity: { weight: number; layers: string[] } | null;
  /** Weight β of the KL term of a variational AE. */
  klWeight: number;
  /** Stop when the test loss (train loss without a test split) has not improved by minDelta for `patience` epochs. */
  earlyStopping: { patience: number; minDelta: number } | null;
  /**
   * Which checkpoints to keep on disk: the last `keepLast`, every `keepEvery`-th epoch (0: none), with `lookBack`
   * the epochs 1, 2, 4, 8, … and always the best. Unset: defaultCheckpointPolicy.
   */
  checkpoints?: CheckpointPolicy;
}

/**
 * Random changes to each training image, drawn anew each batch: a horizontal flip (half the images), a shift of up to
 * `crop` × the image's size each way, a rotation of up to `rotate` degrees either way, and brightness and contrast
 * changes of up to ± `jitter`. Unset parts are off.
 */
export interface Augmentation {
  flip?: boolean;
  crop?: number;
  rotate?: number;
  jitter?: number;
}

export const lrScheduleTypes = ['constant', 'step', 'cosine', 'plateau'] as const;
export type LrScheduleType = (typeof lrScheduleTypes)[number];

/**
 * A learning-rate schedule, stepped once per epoch as PyTorch's schedulers are: constant; step (StepLR: × factor every
 * stepEpochs); cosine (CosineAnnealingLR down to 0 over the epochs after the warm-up); plateau (ReduceLROnPlateau on
 * the test loss: × factor once it has not improved for `patience` epochs). Any of them may start with a linear warm-up.
 */
export interface LrSchedule {
  type: LrScheduleType;
  /** Epochs whose rate climbs linearly up to the learning rate (epoch i of W trains at lr × i / (W + 1)); default 0. */
  warmupEpochs?: number;
  /** step: epochs between two decays; default a third of the run's epochs. */
  stepEpochs?: number;
  /** step and plateau: what each decay multiplies the rate by; default 0.1 (PyTorch's). */
  factor?: number;
  /** plateau: epochs without improvement before a decay; default 3. */
  patience?: number;
}

export interface CheckpointPolicy {
  keepLast: number;
  keepEvery: number;
  /**
   * Keep a look-back set spaced by doubling (epochs 1, 2, 4, 8, …): a view along the whole run at a cost that grows
   * with the logarithm of its epochs. Absent: not kept (policies written before it existed).
   */
  lookBack?: boolean;
}

/**
 * The checkpoints a run keeps when its config does not say: the last 3, the look-back set and the best, which stays
 * small however long the run (at most 13 checkpoints for 437 epochs, where every 10th grew without end).
 */
export const defaultCheckpointPolicy: CheckpointPolicy = { keepLast: 3, keepEvery: 0, lookBack: true };

/** The most checkpoints `policy` keeps over `epochs` epochs. */
export function maxCheckpointsKept(policy: CheckpointPolicy, epochs: number): number {
  const lookBack = policy.lookBack ? Math.floor(Math.log2(Math.max(1, epochs))) + 1 : 0;
  const every = policy.keepEvery > 0 ? Math.floor(epochs / policy.keepEvery) : 0;
  return Math.min(epochs, Math.max(1, policy.keepLast) + lookBack + every + 1);
}

/** "the last 3, epochs 1, 2, 4, 8, … and the best", as the Train form, a run's details and the CLI say it. */
export function describeCheckpointPolicy(policy: CheckpointPolicy): string {
  const parts = [policy.keepLast === 1 ? 'the last' : `the last ${policy.keepLast}`];
  if (policy.keepEvery > 0) parts.push(policy.keepEvery === 1 ? 'every epoch' : `every ${ordinal(policy.keepEvery)}`);
  if (policy.lookBack) parts.push('epochs 1, 2, 4, 8, …');
  return `${parts.join(', ')} and the best`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix =
    tens >= 11 && tens <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n}${suffix}`;
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

export interface AugmentPreviewQuery {
  datasetId: number;
  augment: Augmentation;
  /** Which random draws: the Train form's "another sample" changes it. */
  seed: number;
}

/** A few training images of a dataset, and the same images as one augmented batch would change them. */
export interface AugmentPreview {
  width: number;
  height: number;
  channels: number;
  /** base64 uint8 HWC, back to back, `count` images each. */
  originals: string;
  augmented: string;
  count: number;
}

export interface ModelsMethods {
  'presets:list': { args: PresetQuery; result: Preset[] };
  'models:plan': { args: ModelPlanQuery; result: ModelPlanResult };
  'models:augmentPreview': { args: AugmentPreviewQuery; result: AugmentPreview };
}

/** Every channel above, once: `satisfies` fails the build when one is missing or unknown. */
export const modelsChannels = {
  'presets:list': true,
  'models:plan': true,
  'models:augmentPreview': true,
} as const satisfies Record<keyof ModelsMethods, true>;

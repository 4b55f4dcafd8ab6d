import { z } from 'zod';
import {
  corruptionTypes,
  lrScheduleTypes,
  type Augmentation,
  type Corruption,
  type LrSchedule,
  type TrainingConfig,
} from '../api/contract';
import { modelConfigSchema } from './model-config';
import { planModel, type ImageShape, type ModelPlan } from './model-plan';
import { UserError } from '../api/errors';

export type { Corruption, TrainingConfig };

export const corruptionSchema = z
  .strictObject({
    type: z.enum(corruptionTypes),
    level: z.number().min(0, 'The corruption level cannot be negative.').max(100),
  })
  .refine((c) => !['saltPepper', 'occlusion'].includes(c.type) || c.level <= 1, {
    message: 'For salt-and-pepper and occlusion the level is a fraction between 0 and 1.',
    path: ['level'],
  }) satisfies z.ZodType<Corruption>;

export const augmentationSchema = z.strictObject({
  flip: z.boolean().optional(),
  crop: z
    .number()
    .min(0, 'The shift cannot be negative.')
    .max(0.5, 'Shift by at most half the image (0.5).')
    .optional(),
  rotate: z.number().min(0, 'The rotation cannot be negative.').max(180, 'Rotate by at most 180 degrees.').optional(),
  jitter: z
    .number()
    .min(0, 'The brightness/contrast jitter cannot be negative.')
    .max(1, 'The brightness/contrast jitter can be at most 1.')
    .optional(),
}) satisfies z.ZodType<Augmentation>;

export const lrScheduleSchema = z.strictObject({
  type: z.enum(lrScheduleTypes),
  warmupEpochs: z.number().int().min(0, 'Warm-up epochs cannot be negative.').max(100_000).optional(),
  stepEpochs: z.number().int().min(1, 'Decay the rate every 1 epoch or more.').max(100_000).optional(),
  factor: z
    .number()
    .gt(0, 'The decay factor must be above 0.')
    .lt(1, 'The decay factor must be below 1 (it multiplies the rate).')
    .optional(),
  patience: z.number().int().min(0, 'Patience cannot be negative.').max(100_000).optional(),
}) satisfies z.ZodType<LrSchedule>;

const layerName = z.string().min(1).max(100);

/** Seeds are 31-bit so they survive every engine's integer handling. */
export const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

/** Everything a run needs besides its data; stored as JSON with the run and validated on the way in. */
export const trainingConfigSchema = z.strictObject({
  model: modelConfigSchema,
  input: z
    .strictObject({
      height: z.number().int().min(1).max(4096),
      width: z.number().int().min(1).max(4096),
      channels: z.number().int().min(1).max(4),
    })
    .optional(),
  preset: z.string().max(100).optional(),
  loss: z.enum(['mse', 'bce']),
  optimizer: z.enum(['adam', 'rmsprop', 'sgd']),
  momentum: z.number().min(0, 'Momentum cannot be negative.').max(0.999, 'Momentum must be below 1.').optional(),
  learningRate: z
    .number()
    .positive('The learning rate must be greater than 0.')
    .max(10, 'The learning rate can be at most 10.'),
  lrSchedule: lrScheduleSchema.optional(),
  weightDecay: z
    .number()
    .min(0, 'Weight decay cannot be negative.')
    .max(1, 'Weight decay can be at most 1.')
    .optional(),
  trainSubset: z.number().int().min(1, 'Train on at least 1 image.').max(100_000_000).optional(),
  trainClasses: z
    .array(z.number().int().min(0))
    .min(1, 'Train on at least one class.')
    .max(100_000)
    .refine((c) => new Set(c).size === c.length, 'Name each class once.')
    .optional(),
  batchSize: z
    .number()
    .int()
    .min(1, 'The batch size must be at least 1.')
    .max(4096, 'The batch size can be at most 4096.'),
  epochs: z.number().int().min(1, 'Train for at least 1 epoch.').max(100_000),
  seed: seedSchema,
  corruption: corruptionSchema.nullable(),
  augment: augmentationSchema.nullable().optional(),
  sparsity: z
    .strictObject({
      weight: z.number().min(0, 'The sparsity weight cannot be negative.').max(10),
      layers: z.array(layerName).min(1, 'Name at least one layer to make sparse.').max(10),
    })
    .nullable(),
  klWeight: z.number().min(0, 'The KL weight cannot be negative.').max(1000),
  earlyStopping: z
    .strictObject({
      patience: z.number().int().min(1, 'Patience must be at least 1 epoch.').max(10_000),
      minDelta: z.number().min(0).max(1),
    })
    .nullable(),
  checkpoints: z
    .strictObject({
      keepLast: z.number().int().min(1, 'Keep at least the last checkpoint: a run resumes from it.').max(100_000),
      keepEvery: z.number().int().min(0, 'Keep every N-th checkpoint, or 0 for none.').max(100_000),
      lookBack: z.boolean().optional(),
    })
    .optional(),
}) satisfies z.ZodType<TrainingConfig>;

/** Training settings every preset starts from. */
export const trainingDefaults = {
  loss: 'mse',
  optimizer: 'adam',
  learningRate: 1e-3,
  batchSize: 64,
  epochs: 5,
  seed: 1,
  corruption: null,
  sparsity: null,
  klWeight: 1,
  earlyStopping: null,
} as const satisfies Omit<TrainingConfig, 'model'>;

/**
 * The penalty a run's objective adds to its reconstruction loss in training, by name: a VAE's β·KL, a sparse run's
 * weighted L1 of its activations; null for a plain autoencoder. Losses are recorded and compared without it.
 */
export function penaltyTerm(config: TrainingConfig): 'kl' | 'l1' | 'kl+l1' | null {
  const kl = config.model.variant === 'variational';
  const l1 = (config.sparsity?.layers.length ?? 0) > 0;
  return kl && l1 ? 'kl+l1' : kl ? 'kl' : l1 ? 'l1' : null;
}

export const hasPenalty = (config: TrainingConfig): boolean => penaltyTerm(config) !== null;

const describeImages = ({ height, width, channels }: { height: number; width: number; channels: number }) =>
  `${height}x${width} ${channels === 1 ? 'grayscale' : channels === 3 ? 'RGB' : `${channels}-channel`}`;

/**
 * Checks a training config against the images it will train on and returns the model's plan; throws a UserError that
 * says what to change. Used when a run is created, when the summary is shown, and again when training starts.
 */
export function checkTrainingConfig(config: TrainingConfig, shape: ImageShape, classNames?: string[]): ModelPlan {
  const [height, width, channels] = shape;
  if (
    config.input &&
    (config.input.height !== height || config.input.width !== width || config.input.channels !== channels)
  ) {
    throw new UserError(
      'invalid_argument',
      `This config was made for ${describeImages(config.input)} images, but the dataset has ${describeImages({ height, width, channels })} ` +
        'images. Start from a preset for this dataset, or change the config\'s "input" (and any layer sizes that depend on it).',
    );
  }
  const plan = planModel(config.model, shape);
  if (config.weightDecay && config.optimizer !== 'adam') {
    throw new UserError(
      'invalid_argument',
      'Weight decay here is decoupled, as in AdamW: choose the Adam optimizer, or set weight decay to 0.',
    );
  }
  const unknown = classNames ? (config.trainClasses ?? []).filter((c) => c >= classNames.length) : [];
  if (unknown.length && classNames) {
    throw new UserError(
      'invalid_argument',
      `The dataset has ${classNames.length} classes (0 to ${classNames.length - 1}: ${classNames.join(', ')}); ` +
        `there is no class ${unknown.join(', ')} to train on.`,
    );
  }
  const warmup = config.lrSchedule?.warmupEpochs ?? 0;
  if (warmup > 0 && warmup >= config.epochs) {
    throw new UserError(
      'invalid_argument',
      `A warm-up of ${warmup} epochs leaves none of the ${config.epochs} epochs to train at the full rate: use fewer warm-up epochs.`,
    );
  }
  if (config.loss === 'bce' && config.model.outputActivation !== 'sigmoid') {
    throw new UserError(
      'invalid_argument',
      'Binary cross-entropy needs outputs between 0 and 1: set the output activation to sigmoid, or use MSE.',
    );
  }
  if (config.sparsity) {
    const names = plan.layers.filter((l) => l.section !== 'input').map((l) => l.name);
    const unknown = config.sparsity.layers.filter((name) => !names.includes(name));
    if (unknown.length > 0) {
      throw new UserError(
        'invalid_argument',
        `The sparsity penalty names ${unknown.map((n) => `"${n}"`).join(', ')}, which this model does not have. ` +
          `Its layers are: ${names.join(', ')}.`,
      );
    }
  }
  return plan;
}

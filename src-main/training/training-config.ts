import { z } from 'zod';
import type { ModelConfig, Preset, TrainingConfig } from '../api/contract';

export type { ModelConfig, Preset, TrainingConfig };

/** What a run trains: stored as JSON with the run, validated on the way in. */
export const modelConfigSchema = z.object({
  architecture: z.enum(['dense', 'conv']),
  /** Dense: hidden widths of the encoder. Conv: filters of the encoder's 3x3 stride-2 layers. Mirrored by the decoder. */
  encoder: z.array(z.number().int().min(1).max(4096)).max(8),
  latent: z.number().int().min(1, 'The latent size must be at least 1.').max(4096),
  activation: z.enum(['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear']),
}) satisfies z.ZodType<ModelConfig>;

export const trainingConfigSchema = z.object({
  model: modelConfigSchema,
  loss: z.enum(['mse', 'bce']),
  optimizer: z.enum(['adam', 'rmsprop', 'sgd']),
  learningRate: z.number().positive('The learning rate must be greater than 0.').max(10),
  batchSize: z.number().int().min(1).max(4096),
  epochs: z.number().int().min(1).max(100_000),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
}) satisfies z.ZodType<TrainingConfig>;

const defaults = { loss: 'mse', optimizer: 'adam', learningRate: 1e-3, batchSize: 64, epochs: 5, seed: 1 } as const;

/** Starting points for a new user; the training issue adds the notebooks' architectures. */
export const presets: readonly Preset[] = [
  {
    id: 'small-conv',
    name: 'Small convolutional AE',
    description: 'Two stride-2 3x3 conv layers (16, 32 filters), latent 16, transposed-conv decoder. A good first run.',
    config: { ...defaults, model: { architecture: 'conv', encoder: [16, 32], latent: 16, activation: 'relu' } },
  },
  {
    id: 'small-dense',
    name: 'Small dense AE',
    description: 'Fully connected 256-64 encoder, latent 16, mirrored decoder. Fastest to train.',
    config: { ...defaults, model: { architecture: 'dense', encoder: [256, 64], latent: 16, activation: 'relu' } },
  },
];

export const defaultPresetId = 'small-conv';

import { z } from 'zod';
import type { Activation, LayerSpec, ModelConfig } from '../api/contract';

export type { Activation, LayerSpec, ModelConfig };

export const activations = ['relu', 'leakyRelu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear'] as const;
const activation = z.enum(activations);

const count = (what: string, max: number) =>
  z
    .number()
    .int(`${what} must be a whole number.`)
    .min(1, `${what} must be at least 1.`)
    .max(max, `${what} can be at most ${max}.`);

const convFields = {
  filters: count('The number of filters', 4096),
  kernel: count('The kernel size', 15),
  stride: count('The stride', 8),
  padding: z.enum(['same', 'valid']),
  activation: activation.optional(),
};

export const layerSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('dense'),
    units: count('The number of units', 65_536),
    activation: activation.optional(),
  }),
  z.strictObject({ type: z.literal('conv'), ...convFields }),
  z.strictObject({ type: z.literal('deconv'), ...convFields }),
  z.strictObject({ type: z.literal('maxPool'), size: count('The pooling size', 8) }),
  z.strictObject({ type: z.literal('avgPool'), size: count('The pooling size', 8) }),
  z.strictObject({ type: z.literal('upsample'), size: count('The upsampling factor', 8) }),
  z.strictObject({ type: z.literal('unpool') }),
  z.strictObject({
    type: z.literal('batchNorm'),
    momentum: z
      .number()
      .min(0, 'The batch-norm momentum must be between 0 and 0.999.')
      .max(0.999, 'The batch-norm momentum must be between 0 and 0.999.')
      .optional(),
  }),
  z.strictObject({
    type: z.literal('dropout'),
    rate: z
      .number()
      .min(0, 'The dropout rate must be between 0 and 0.95.')
      .max(0.95, 'The dropout rate must be between 0 and 0.95.'),
  }),
  z.strictObject({
    type: z.literal('reshape'),
    height: count('The reshape height', 4096),
    width: count('The reshape width', 4096),
    channels: count('The reshape channels', 4096),
  }),
  z.strictObject({ type: z.literal('flatten') }),
]) satisfies z.ZodType<LayerSpec>;

/** A model as the user describes it: plain JSON, stored with each run. Shapes are checked by model-plan.ts. */
export const modelConfigSchema = z.strictObject({
  variant: z.enum(['standard', 'variational']),
  encoder: z.array(layerSpecSchema).max(40, 'The encoder can have at most 40 layers.'),
  latent: count('The latent size', 65_536).nullable(),
  latentActivation: activation,
  decoder: z.array(layerSpecSchema).max(40, 'The decoder can have at most 40 layers.'),
  activation,
  outputActivation: z.enum(['sigmoid', 'linear', 'relu', 'tanh']),
}) satisfies z.ZodType<ModelConfig>;

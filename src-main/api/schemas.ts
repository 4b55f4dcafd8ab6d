import { z } from 'zod';
import type { ApiMethods, MethodChannel } from './contract';
import { seedSchema, trainingConfigSchema } from '../training/training-config';

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const none = z.undefined();
const runRef = z.strictObject({ runId: id });
const datasetRef = z.strictObject({ datasetId: id });
const datasetName = z.string().trim().min(1, 'The dataset name cannot be empty.').max(200);
const path = z.string().min(1, 'Choose a folder.').max(4096);
const seed = seedSchema;

/** t-SNE's settings, with the ranges that give a meaningful map. */
export const tsneSettingsSchema = z.strictObject({
  method: z.literal('tsne'),
  perplexity: z.number().min(2, 'The perplexity must be at least 2.').max(200, 'The perplexity can be at most 200.'),
  iterations: z.number().int().min(250, 'Use at least 250 iterations.').max(10_000),
  learningRate: z.union([z.literal('auto'), z.number().positive().max(100_000)]),
  exaggeration: z.number().min(1).max(100),
  init: z.enum(['pca', 'random']),
  seed,
});

export const umapSettingsSchema = z.strictObject({
  method: z.literal('umap'),
  nNeighbors: z.number().int().min(2, 'UMAP needs at least 2 neighbours.').max(200, 'Use at most 200 neighbours.'),
  minDist: z.number().min(0).max(0.99, 'The minimum distance must be below 1.'),
  epochs: z.number().int().min(0).max(5000),
  seed,
});

export const projectionSettingsSchema = z.discriminatedUnion('method', [
  tsneSettingsSchema,
  umapSettingsSchema,
  z.strictObject({ method: z.literal('pca') }),
]);

export const latentJobSchema = z.strictObject({
  runId: id,
  epoch: z.number().int().min(1).optional(),
  split: z.enum(['train', 'test', 'all']),
  projection: projectionSettingsSchema.optional(),
});

/**
 * Run-time validation of every request argument. `satisfies` ties each schema to the contract's type, so a change
 * to one that the other does not follow fails to compile.
 */
export const argumentSchemas = {
  'app:info': none,
  'engine:status': none,
  'datasets:list': none,
  'datasets:images': z.strictObject({
    datasetId: id,
    split: z.enum(['train', 'test']),
    offset: z.number().int().min(0).max(100_000_000),
    limit: z.number().int().min(1).max(500, 'At most 500 images can be read at once.'),
    label: z.number().int().min(0).max(100_000).optional(),
  }),
  'datasets:import': z.strictObject({
    path,
    name: datasetName.optional(),
    size: z
      .number()
      .int()
      .min(8, 'Images must be at least 8 pixels.')
      .max(512, 'Images can be at most 512 pixels.')
      .optional(),
    fit: z.enum(['cover', 'contain', 'stretch']).optional(),
    channels: z.union([z.literal(1), z.literal(3)]).optional(),
    background: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'The background must be a colour like #ffffff.')
      .optional(),
    testSplit: z
      .union([z.literal('folders'), z.number().min(0).max(0.9, 'At most 90% of the images can go to the test split.')])
      .optional(),
    seed: seedSchema.optional(),
    exclude: z.array(z.string().min(1).max(1000)).max(10_000).optional(),
  }),
  'datasets:importBuiltin': z.strictObject({
    dataset: z.enum(['mnist', 'fashion-mnist', 'kmnist', 'cifar10']),
    from: path.optional(),
    name: datasetName.optional(),
  }),
  'datasets:cancelImport': z.strictObject({ jobId: id }),
  'datasets:report': datasetRef,
  'datasets:rename': z.strictObject({ datasetId: id, name: datasetName }),
  'datasets:delete': datasetRef,
  'app:chooseFolder': none,
  'presets:list': z.strictObject({ datasetId: id.optional() }),
  'models:plan': z.strictObject({ datasetId: id, config: trainingConfigSchema }),
  'training:start': z.strictObject({
    datasetId: id,
    config: trainingConfigSchema,
    name: z.string().trim().min(1, 'The run name cannot be empty.').max(200).optional(),
  }),
  'training:pause': runRef,
  'training:stop': runRef,
  'training:resume': runRef,
  'runs:list': none,
  'runs:get': runRef,
  'runs:reconstructions': z.strictObject({ runId: id, epoch: z.number().int().min(1).optional() }),
  'datasets:imagesAt': z.strictObject({
    datasetId: id,
    cacheIndices: z
      .array(z.number().int().min(0).max(2_000_000_000))
      .max(500, 'At most 500 images can be read at once.'),
  }),
  'latent:start': latentJobSchema,
  'latent:cancel': z.strictObject({ jobId: id }),
  'latent:list': runRef,
  'latent:map': z.strictObject({ projectionId: id }),
  'latent:search': z.strictObject({
    embeddingId: id,
    index: z.number().int().min(0).max(2_000_000_000),
    k: z.number().int().min(1).max(1000, 'At most 1000 matches can be listed.'),
    metric: z.enum(['l1', 'l2', 'cosine']),
  }),
  'latent:sample': z.strictObject({
    embeddingId: id,
    dims: z.number().int().min(1).max(10, 'A pair plot shows at most 10 dimensions.'),
    count: z.number().int().min(1).max(20_000, 'A pair plot samples at most 20,000 images.'),
    seed,
  }),
  'latent:csv': z.strictObject({ projectionId: id, latent: z.boolean() }),
} satisfies { [C in MethodChannel]: z.ZodType<ApiMethods[C]['args']> };

/** The first problem with an argument, in words a person can act on. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'The request was not valid.';
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}

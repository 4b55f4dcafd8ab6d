import { z } from 'zod';
import type { ApiMethods, MethodChannel, SimilarityQuery } from '../api/contract';
import { maxUploadBytes, runExportFormats, runsCsvRows, splitOrders, sweepParams } from '../api/contract';
import { augmentationSchema, corruptionSchema, seedSchema, trainingConfigSchema } from '../models/training-config';

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const none = z.undefined();
const runRef = z.strictObject({ runId: id });
const datasetRef = z.strictObject({ datasetId: id });
const datasetName = z.string().trim().min(1, 'The dataset name cannot be empty.').max(200);
const projectName = z.string().trim().min(1, 'The project name cannot be empty.').max(100);
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
  sample: z
    .strictObject({
      count: z.number().int().min(1, 'A sample needs at least 1 image.').max(10_000_000),
      perClass: z.boolean(),
      seed: seedSchema,
    })
    .optional(),
  projection: projectionSettingsSchema.optional(),
});

const epoch = z.number().int().min(1).max(1_000_000).optional();
const cacheIndex = z.number().int().min(0).max(2_000_000_000);
const split = z.enum(['train', 'test']);
/** Most images one results view reconstructs at once. */
export const maxEvalImages = 500;
const imageCount = z.number().int().min(1).max(maxEvalImages, `At most ${maxEvalImages} images can be shown at once.`);

export const evalImagesSchema = z.discriminatedUnion('from', [
  z.strictObject({
    from: z.literal('split'),
    split,
    order: z.enum(splitOrders, {
      message: 'Order the images by stratified (every class in turn), first, random, worst or best.',
    }),
    count: imageCount,
    seed: seed.optional(),
  }),
  z.strictObject({
    from: z.literal('images'),
    cacheIndices: z
      .array(cacheIndex)
      .min(1, 'Pick at least one image.')
      .max(maxEvalImages, `At most ${maxEvalImages} images can be shown at once.`),
  }),
  z.strictObject({ from: z.literal('noise'), count: imageCount, seed }),
  z.strictObject({ from: z.literal('dataset'), datasetId: id, split, count: imageCount, seed }),
  z.strictObject({ from: z.literal('file'), path: z.string().min(1, 'Name an image file.').max(4096) }),
  z.strictObject({
    from: z.literal('upload'),
    name: z.string().min(1).max(1000),
    // The image as base64: 4 characters per 3 bytes.
    data: z
      .string()
      .min(1, 'The dropped file is empty.')
      .max(
        Math.ceil(maxUploadBytes / 3) * 4,
        `The dropped file is too large (the limit is ${maxUploadBytes / 1e6} MB).`,
      ),
  }),
]);

const checkpointRef = { runId: id, epoch };

const codeRecipeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('random'), count: z.number().int().min(1).max(256), seed }),
  z.strictObject({
    kind: z.literal('perturb'),
    cacheIndex,
    scale: z.number().min(0).max(100),
    count: z.number().int().min(1).max(256),
    seed,
  }),
  z.strictObject({
    kind: z.literal('interpolate'),
    from: cacheIndex,
    to: cacheIndex,
    steps: z.number().int().min(2, 'Interpolate in at least 2 steps.').max(64, 'Interpolate in at most 64 steps.'),
  }),
  z.strictObject({
    kind: z.literal('codes'),
    codes: z.array(z.array(z.number().finite()).min(1).max(100_000)).min(1).max(256),
  }),
]);

/**
 * Run-time validation of every request argument. `satisfies` ties each schema to the contract's type, so a change
 * to one that the other does not follow fails to compile.
 */
/** A sweep, trained here (sweeps:start) or by a lab hub's workers (lab:sweep, the hub's own check). */
const startSweepSchema = z.strictObject({
  datasetId: id,
  config: trainingConfigSchema,
  axes: z
    .array(
      z.strictObject({
        param: z.enum(sweepParams, {
          message: 'Vary latent, batch, lr, epochs, noise, seed, lr_schedule or weight_decay.',
        }),
        values: z
          .array(z.number().finite())
          .min(2, 'Give a parameter at least 2 values to compare.')
          .max(12, 'Give a parameter at most 12 values.'),
      }),
    )
    .min(1, 'Vary at least one parameter.')
    .max(2, 'Vary at most two parameters.'),
  name: z.string().trim().min(1).max(200).optional(),
});

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
    again: z.boolean().optional(),
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
  'models:augmentPreview': z.strictObject({ datasetId: id, augment: augmentationSchema, seed }),
  'training:start': z.strictObject({
    datasetId: id,
    config: trainingConfigSchema,
    name: z.string().trim().min(1, 'The run name cannot be empty.').max(200).optional(),
  }),
  'training:pause': runRef,
  'training:stop': runRef,
  'training:resume': z.strictObject({ runId: id, onCpu: z.boolean().optional() }),
  'training:current': none,
  'runs:list': z.strictObject({ ids: z.array(id).max(10_000).optional() }).optional(),
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
  'latent:search': z
    .strictObject({
      embeddingId: id,
      index: z.number().int().min(0).max(2_000_000_000).optional(),
      image: evalImagesSchema.optional(),
      k: z.number().int().min(1).max(1000, 'At most 1000 matches can be listed.'),
      metric: z.enum(['l1', 'l2', 'cosine']),
    })
    .refine((q) => (q.index === undefined) !== (q.image === undefined), 'Search from an image index or a file.')
    .refine(
      (q) => q.image === undefined || q.image.from === 'file' || q.image.from === 'upload',
      'Search from an image file.',
    ) as z.ZodType<SimilarityQuery>,
  'latent:sample': z.strictObject({
    embeddingId: id,
    dims: z.number().int().min(1).max(10, 'A pair plot shows at most 10 dimensions.'),
    count: z.number().int().min(1).max(20_000, 'A pair plot samples at most 20,000 images.'),
    seed,
  }),
  'latent:csv': z.strictObject({ projectionId: id, latent: z.boolean() }),
  'results:model': z.strictObject(checkpointRef),
  'results:reconstruct': z.strictObject({
    ...checkpointRef,
    images: evalImagesSchema,
    corruption: corruptionSchema.nullable().optional(),
    seed: seed.optional(),
  }),
  'results:errors': z.strictObject({ ...checkpointRef, split }),
  'results:pca': z.strictObject({
    ...checkpointRef,
    components: z.number().int().min(1).max(1000, 'Use at most 1000 components.').optional(),
    images: evalImagesSchema,
  }),
  'results:filters': z.strictObject(checkpointRef),
  'results:activations': z.strictObject({
    ...checkpointRef,
    layer: z.string().min(1).max(200),
    cacheIndices: z.array(cacheIndex).min(1).max(8, 'Show the activations of at most 8 images.'),
  }),
  'results:decode': z.strictObject({ ...checkpointRef, recipe: codeRecipeSchema }),
  'results:probe': z.strictObject(checkpointRef),
  'results:probes': runRef,
  'results:anomaly': z.strictObject({
    ...checkpointRef,
    normal: z.array(z.number().int().min(0)).min(1, 'Name at least one normal class.').max(100_000).optional(),
  }),
  'results:cancel': z.strictObject({ requestId: id }),
  'runs:update': z.strictObject({
    runId: id,
    name: z.string().trim().min(1, 'The run name cannot be empty.').max(200).optional(),
    notes: z.string().max(20_000, 'Notes can be at most 20,000 characters.').optional(),
    tags: z
      .array(z.string().trim().min(1, 'A tag cannot be empty.').max(40, 'A tag can be at most 40 characters.'))
      .max(20, 'A run can have at most 20 tags.')
      .optional(),
  }),
  'runs:delete': runRef,
  'runs:diskUse': none,
  'runs:freeSpace': runRef,
  'runs:compare': z.strictObject({
    runIds: z.array(id).min(1, 'Pick at least one run.').max(12, 'Compare at most 12 runs at once.'),
  }),
  'runs:export': z.strictObject({ runId: id, dir: path, format: z.enum(runExportFormats).optional() }),
  'runs:import': z.strictObject({ dir: path, again: z.boolean().optional() }),
  'runs:csv': z.strictObject({ per: z.enum(runsCsvRows, { message: 'Write one row per run or per epoch.' }) }),
  'sweeps:start': startSweepSchema,
  'sweeps:resume': z.strictObject({ sweepId: id }),
  'sweeps:list': none,
  'lab:status': none,
  'lab:sweep': startSweepSchema,
  'projects:list': none,
  'projects:create': z.strictObject({ name: projectName }),
  'projects:open': z.strictObject({ projectId: id }),
  'projects:rename': z.strictObject({ projectId: id, name: projectName }),
} satisfies { [C in MethodChannel]: z.ZodType<ApiMethods[C]['args']> };

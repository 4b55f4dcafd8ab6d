import { resolve } from 'node:path';
import {
  defaultTsneSettings,
  defaultUmapSettings,
  describeImagesOf,
  type DistanceMetric,
  type EmbeddingSplit,
  type LatentJobArgs,
  type ProjectionSettings,
  type TsneSettings,
} from '../../api/contract';
import { UserError } from '../../api/errors';
import { writeUserFile } from '../../app/user-file';
import type { Command } from '../command';
import { finishLatentJob } from '../follow';
import { formatProjection } from '../format';
import { definedOnly, number, runIdArg, type Flags } from '../options';

function embeddingArgs(runId: number, flags: Flags): LatentJobArgs {
  const epoch = number('epoch', flags.epoch);
  const sample = number('sample', flags.sample);
  if (flags['per-class'] && sample === undefined) {
    throw new UserError('invalid_argument', '--per-class goes with --sample N: N images of each class.');
  }
  return {
    runId,
    split: (flags.split ?? 'test') as EmbeddingSplit,
    ...(epoch === undefined ? {} : { epoch }),
    // The sample is drawn with the map's seed (default 1), so the same command draws the same images.
    ...(sample === undefined
      ? {}
      : { sample: { count: sample, perClass: flags['per-class'] === true, seed: number('seed', flags.seed) ?? 1 } }),
  };
}

/** The map's settings from the options: the defaults, with what the user gave (the API checks the values). */
function projectionSettings(flags: Flags): ProjectionSettings {
  const method = flags.method ?? 'tsne';
  if (method === 'pca') return { method: 'pca' };
  if (method === 'umap') {
    return {
      ...defaultUmapSettings,
      ...definedOnly({
        nNeighbors: number('neighbors', flags.neighbors),
        minDist: number('min-dist', flags['min-dist']),
        epochs: number('epochs', flags.epochs),
        seed: number('seed', flags.seed),
      }),
    };
  }
  if (method !== 'tsne') {
    throw new UserError('invalid_argument', `--method must be tsne, umap or pca, not "${method}".`);
  }
  return {
    ...defaultTsneSettings,
    ...definedOnly({
      perplexity: number('perplexity', flags.perplexity),
      iterations: number('iterations', flags.iterations),
      exaggeration: number('exaggeration', flags.exaggeration),
      seed: number('seed', flags.seed),
    }),
    ...(flags.lr === undefined ? {} : { learningRate: flags.lr === 'auto' ? 'auto' : number('lr', flags.lr)! }),
    ...(flags.init === undefined ? {} : { init: flags.init as TsneSettings['init'] }),
  };
}

export const latentCommands: Command[] = [
  {
    name: 'embed',
    args: '<run-id>',
    summary: "Encode a split with the run's encoder and store the codes: --split <train|test|all>",
    details: [
      '(default test) --epoch <n> (default: the latest checkpoint)',
      '--sample <n> [--per-class] [--seed <s>]: only n random images of the split (n of each class)',
    ],
    async run(ctx) {
      const args = embeddingArgs(runIdArg(ctx.positionals, 'embed'), ctx.flags);
      const done = await finishLatentJob(ctx, args);
      const list = await ctx.api.latent.list({ runId: args.runId });
      const embedding = list.embeddings.find((e) => e.id === done.embeddingId)!;
      ctx.out.result(
        embedding,
        `Codes #${embedding.id}: ${describeImagesOf(embedding.split, embedding.sample)} (${embedding.count}) x ${embedding.dims} numbers, epoch ${embedding.epoch}`,
      );
      return 0;
    },
  },
  {
    name: 'project',
    args: '<run-id>',
    summary: 'Lay the codes out in 2-D and store the map: --method <tsne|umap|pca> (default tsne), --split,',
    details: [
      '--epoch --sample <n> [--per-class] (as embed: a map of part of the split, drawn with --seed)',
      't-SNE: --perplexity <5-100, default 30> --iterations <n, default 1000>',
      '--lr <x|auto> --exaggeration <x, default 12> --init <pca|random> --seed <n>;',
      'UMAP: --neighbors <n, default 15> --min-dist <x, default 0.1> --epochs <n> --seed <n>',
    ],
    async run(ctx) {
      const args = {
        ...embeddingArgs(runIdArg(ctx.positionals, 'project'), ctx.flags),
        projection: projectionSettings(ctx.flags),
      };
      const done = await finishLatentJob(ctx, args);
      const list = await ctx.api.latent.list({ runId: args.runId });
      const projection = list.projections.find((p) => p.id === done.projectionId)!;
      ctx.out.result(projection, formatProjection(projection));
      return 0;
    },
  },
  {
    name: 'export-csv',
    args: '<run-id>',
    summary: 'Write a map as CSV for Tableau (file_name, label, label_name, split, x1, x2):',
    details: ["--out <file.csv> --projection <id> (default: the run's newest map) --latent (add z0…zK)"],
    async run({ api, out, flags, positionals }) {
      const runId = runIdArg(positionals, 'export-csv');
      if (!flags.out) throw new UserError('invalid_argument', 'Say where to write it: --out <file.csv>');
      const wanted = number('projection', flags.projection);
      const { projections } = await api.latent.list({ runId });
      const projection = wanted === undefined ? projections[0] : projections.find((p) => p.id === wanted);
      if (!projection) {
        throw new UserError(
          'not_found',
          wanted === undefined
            ? `Run ${runId} has no map yet. Make one with: ae-studio project ${runId}`
            : `Run ${runId} has no map #${wanted}. Its maps: ${projections.map((p) => p.id).join(', ') || 'none'}.`,
        );
      }
      const csv = await api.latent.csv({ projectionId: projection.id, latent: flags['latent-columns'] });
      const path = resolve(flags.out);
      writeUserFile(path, Buffer.from(csv.csv, 'utf8'), "The map's CSV");
      out.result({ path, rows: csv.rows, projectionId: projection.id }, `Wrote ${csv.rows} rows to ${path}`);
      return 0;
    },
  },
  {
    name: 'search',
    args: '<run-id>',
    summary: "The images whose codes are nearest to one image's: --index <i> (position in the split) or",
    details: ['--image <file>; --k <n, default 10> --metric <l1|l2|cosine, default l2> --split --epoch'],
    async run(ctx) {
      const { api, out, flags } = ctx;
      const args = embeddingArgs(runIdArg(ctx.positionals, 'search'), flags);
      const index = number('index', flags.index);
      if ((index === undefined) === (flags.image === undefined)) {
        throw new UserError('invalid_argument', 'Say which image to search from: --index <i> or --image <file>');
      }
      const done = await finishLatentJob(ctx, args);
      const result = await api.latent.search({
        embeddingId: done.embeddingId!,
        ...(flags.image === undefined ? { index } : { image: { from: 'file', path: resolve(flags.image) } }),
        k: number('k', flags.k) ?? 10,
        metric: (flags.metric ?? 'l2') as DistanceMetric,
      });
      const run = (await api.runs.get({ runId: args.runId })).run;
      const images = await api.datasets.imagesAt({
        datasetId: run.datasetId,
        cacheIndices: [
          ...(result.query.cacheIndex === null ? [] : [result.query.cacheIndex]),
          ...result.matches.map((m) => m.cacheIndex),
        ],
      });
      const query = result.query.cacheIndex === null ? null : images.images[0];
      const matches = query ? images.images.slice(1) : images.images;
      const shown = {
        ...result,
        query: { ...result.query, fileName: query?.fileName ?? result.query.fileName, label: query?.label ?? null },
        matches: result.matches.map((m, i) => ({ ...m, fileName: matches[i].fileName, label: matches[i].label })),
      };
      out.result(
        shown,
        `Nearest to ${shown.query.fileName} (${result.metric}, ${result.elapsedMs.toFixed(1)} ms):\n` +
          shown.matches.map((m, i) => `  ${i + 1}. ${m.fileName}  ${m.distance.toPrecision(4)}`).join('\n'),
      );
      return 0;
    },
  },
];

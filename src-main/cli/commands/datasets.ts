import type { BuiltinDataset, ImageFit } from '../../api/contract';
import { UserError } from '../../api/errors';
import type { CliContext, Command } from '../command';
import { followImport } from '../follow';
import { formatDataset, formatDatasetLine } from '../format';
import { definedOnly, number, requiredId } from '../options';

/** Prints one dataset (and its import report) as `dataset <id>` and a finished import do. */
async function showDataset({ api, out }: CliContext, datasetId: number, withReport: boolean): Promise<number> {
  const dataset = (await api.datasets.list()).find((d) => d.id === datasetId);
  if (!dataset) throw new UserError('not_found', `There is no dataset with id ${datasetId}.`);
  const report = withReport ? await api.datasets.report({ datasetId }) : undefined;
  out.result(report === undefined ? dataset : { ...dataset, report }, formatDataset(dataset, report));
  return 0;
}

async function finishImport(ctx: CliContext, jobId: number): Promise<number> {
  const progress = await followImport(ctx, jobId);
  if (progress.status !== 'completed' || progress.datasetId === null) {
    throw new UserError(
      progress.status === 'cancelled' ? 'cancelled' : 'file_error',
      progress.error ?? 'The import failed.',
    );
  }
  return showDataset(ctx, progress.datasetId, true);
}

/** A dataset named by id or name, or the first one when none is named. */
export async function resolveDatasetId({ api }: CliContext, wanted: string | undefined): Promise<number> {
  const datasets = await api.datasets.list();
  if (datasets.length === 0) throw new UserError('not_found', 'There are no datasets yet.');
  if (wanted === undefined) return datasets[0].id;
  const found = datasets.find((d) => String(d.id) === wanted || d.name === wanted);
  if (!found) {
    throw new UserError(
      'not_found',
      `There is no dataset "${wanted}". Datasets: ${datasets.map((d) => `${d.id} "${d.name}"`).join(', ')}.`,
    );
  }
  return found.id;
}

export const datasetCommands: Command[] = [
  {
    name: 'datasets',
    summary: 'List datasets',
    async run({ api, out }) {
      const datasets = await api.datasets.list();
      out.result(datasets, datasets.map(formatDatasetLine).join('\n') || 'No datasets yet.');
      return 0;
    },
  },
  {
    name: 'dataset',
    args: '<id>',
    summary: 'Show one dataset; --report adds its import report (skipped files with reasons)',
    run: (ctx) =>
      showDataset(
        ctx,
        requiredId(ctx.positionals, 'dataset id', 'Say which dataset: ae-studio dataset <id>'),
        ctx.flags.report,
      ),
  },
  {
    name: 'import',
    args: '<folder>',
    summary: 'Import a folder of images sorted into class sub-folders (optionally under train/, test/):',
    details: [
      '--name <text> --size <px, default 64> --channels <1|3, default 3>',
      '--fit <cover|contain|stretch> --test-split <fraction|folders> --seed <n>',
      '--exclude <class> (repeatable) --background <#rrggbb>',
      '--again: import a folder that is already a dataset (same size and colours) as a second copy',
    ],
    async run(ctx) {
      const { api, flags } = ctx;
      const [path] = ctx.positionals;
      if (!path) throw new UserError('invalid_argument', 'Say which folder to import: ae-studio import <folder>');
      const channels = number('channels', flags.channels);
      const split = flags['test-split'];
      const { jobId } = await api.datasets
        .import({
          path,
          ...(flags.name === undefined ? {} : { name: flags.name }),
          ...definedOnly({ size: number('size', flags.size), seed: number('seed', flags.seed) }),
          ...(channels === undefined ? {} : { channels: channels as 1 | 3 }),
          ...(flags.fit === undefined ? {} : { fit: flags.fit as ImageFit }),
          ...(flags.background === undefined ? {} : { background: flags.background }),
          ...(split === undefined ? {} : { testSplit: split === 'folders' ? 'folders' : number('test-split', split)! }),
          ...(flags.exclude === undefined ? {} : { exclude: flags.exclude }),
          ...(flags.again ? { again: true } : {}),
        })
        .catch((err: unknown) => {
          if (err instanceof UserError && err.code === 'conflict') {
            throw new UserError('conflict', `${err.message} To do that: ae-studio import ${path} --again`);
          }
          throw err;
        });
      return finishImport(ctx, jobId);
    },
  },
  {
    name: 'import-builtin',
    args: '<set>',
    summary: 'Import mnist, fashion-mnist, kmnist or cifar10 from its original files: --from <folder>;',
    details: [
      'without --from the files are downloaded (checked, resumable, kept for next time);',
      "fashion-mnist uses Debian's dataset-fashion-mnist package when it is installed",
    ],
    async run(ctx) {
      const { flags } = ctx;
      const [dataset] = ctx.positionals;
      if (!dataset)
        throw new UserError(
          'invalid_argument',
          'Say which set: ae-studio import-builtin <mnist|fashion-mnist|kmnist|cifar10>',
        );
      const { jobId } = await ctx.api.datasets.importBuiltin({
        dataset: dataset as BuiltinDataset,
        ...(flags.from === undefined ? {} : { from: flags.from }),
        ...(flags.name === undefined ? {} : { name: flags.name }),
      });
      return finishImport(ctx, jobId);
    },
  },
];

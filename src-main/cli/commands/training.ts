import type { TrainingConfig } from '../../api/contract';
import type { CliContext, Command } from '../command';
import { followRun } from '../follow';
import { formatDuration, formatRun } from '../format';
import { number, requiredId, type Flags } from '../options';
import { configFromFlags, parseClasses, yesNo, type TrainFlags } from '../train-options';
import { resolveDatasetId } from './datasets';
import { describeSchedule } from '../../training/lr-schedule';

/** The dataset and training config that train's and sweep's options describe. */
export async function configOfFlags(ctx: CliContext): Promise<{ datasetId: number; config: TrainingConfig }> {
  const datasetId = await resolveDatasetId(ctx, ctx.flags.dataset);
  const presets = await ctx.api.presets.list({ datasetId });
  // The API checks it against its schema like any other config.
  const config = configFromFlags(presets, trainFlagsOf(ctx.flags)) as TrainingConfig;
  const classes = ctx.flags['train-classes'];
  if (classes !== undefined) {
    const dataset = (await ctx.api.datasets.list()).find((d) => d.id === datasetId)!;
    config.trainClasses = parseClasses('train-classes', classes, dataset.classNames);
  }
  return { datasetId, config };
}

/** The training options of a command line, as configFromFlags takes them. */
export function trainFlagsOf(flags: Flags): TrainFlags {
  return {
    preset: flags.preset,
    config: flags.config,
    epochs: number('epochs', flags.epochs),
    batch: number('batch', flags.batch),
    lr: number('lr', flags.lr),
    optimizer: flags.optimizer,
    momentum: number('momentum', flags.momentum),
    lrSchedule: flags['lr-schedule'],
    warmupEpochs: number('warmup-epochs', flags['warmup-epochs']),
    lrStep: number('lr-step', flags['lr-step']),
    lrFactor: number('lr-factor', flags['lr-factor']),
    lrPatience: number('lr-patience', flags['lr-patience']),
    weightDecay: number('weight-decay', flags['weight-decay']),
    augment: flags.augment,
    trainSubset: number('train-subset', flags['train-subset']),
    latent: number('latent', flags.latent),
    seed: number('seed', flags.seed),
    loss: flags.loss,
    noise: flags.noise,
    earlyStop: number('early-stop', flags['early-stop']),
    keepLast: number('keep-last', flags['keep-last']),
    keepEvery: number('keep-every', flags['keep-every']),
    lookBack: yesNo('look-back', flags['look-back']),
  };
}

export const trainingCommands: Command[] = [
  {
    name: 'presets',
    args: '[--dataset D]',
    summary: "List the model presets (adapted to the dataset's image size) with their parameter counts",
    async run(ctx) {
      const { api, out, flags } = ctx;
      const datasetId = flags.dataset === undefined ? undefined : await resolveDatasetId(ctx, flags.dataset);
      const presets = await api.presets.list(datasetId === undefined ? {} : { datasetId });
      const planned = await Promise.all(
        presets.map(async (preset) => {
          const plan = datasetId === undefined ? null : await api.models.plan({ datasetId, config: preset.config });
          return {
            ...preset,
            summary: plan?.ok ? plan.summary : null,
            problem: plan && !plan.ok ? plan.problem : null,
          };
        }),
      );
      const text = planned
        .map((p) => {
          const size = p.summary
            ? `  ${p.summary.totalParams.toLocaleString('en-US')} params, code ${p.summary.latentSize}`
            : '';
          return `${p.id.padEnd(24)} ${p.name}${size}
${' '.repeat(25)}${p.origin}${p.problem ? `\n${' '.repeat(25)}Not for this dataset: ${p.problem}` : ''}`;
        })
        .join('\n');
      out.result(planned, text);
      return 0;
    },
  },
  {
    name: 'train',
    summary: 'Train a run and wait for it:',
    details: [
      '--dataset <name|id>  (default: the sample dataset)',
      '--preset <id>        see "ae-studio presets" (default small-conv), or',
      '--config <file.json> a training config (e.g. saved from "ae-studio run <id> --json")',
      '--epochs <n> --batch <n> --lr <x> --latent <n> --seed <n> --loss <mse|bce>',
      '--optimizer <adam|rmsprop|sgd> --momentum <x>  (momentum: sgd and rmsprop, as in PyTorch; default 0)',
      '--lr-schedule <constant|step|cosine|plateau> --warmup-epochs <n>  the rate per epoch: step (× --lr-factor,',
      '                        default 0.1, every --lr-step epochs, default a third), cosine (down to 0), plateau',
      '                        (× --lr-factor when the test loss has not improved for --lr-patience epochs, default 3)',
      '--weight-decay <x>      decoupled weight decay (AdamW), for --optimizer adam',
      '--augment <flip,crop=0.1,rotate=10,jitter=0.2|none>  random changes to each training image, per batch',
      '--train-classes <name|index,…>  train on these classes only (an anomaly detector); test keeps all',
      '--train-subset <n>      train on n of the training images (each class in its share, drawn with the seed)',
      '--noise <type[:level]>  denoising: gaussian, saltPepper, occlusion, gaussianOcclusion,',
      '                        blur, warp (or none)',
      '--early-stop <epochs>   stop when the test loss has not improved for that many epochs',
      '--keep-last <n> --keep-every <k> --look-back <yes|no>  checkpoints kept on disk: the last n',
      '                        (default 3), every k-th epoch (default 0: none), epochs 1, 2, 4, 8, … (default',
      '                        yes) and always the best',
      '--name <text>',
    ],
    async run(ctx) {
      const { datasetId, config } = await configOfFlags(ctx);
      const { flags, out } = ctx;
      const started = await ctx.api.training.start({
        datasetId,
        config,
        ...(flags.name === undefined ? {} : { name: flags.name }),
      });
      out.progress(`Run ${started.id} queued: ${started.name}`);
      const run = await followRun(ctx, started.id);
      out.result(run, formatRun(run));
      return run.status === 'completed' ? 0 : 1;
    },
  },
  {
    name: 'runs',
    summary: 'List runs',
    async run({ api, out }) {
      const runs = await api.runs.list();
      out.result(runs, runs.map(formatRun).join('\n') || 'No runs yet. Start one with: ae-studio train');
      return 0;
    },
  },
  {
    name: 'run',
    args: '<run-id>',
    summary: 'Show one run: config, status and per-epoch losses',
    async run({ api, out, positionals }) {
      const runId = requiredId(positionals, 'run-id', 'Say which run to show: ae-studio run <run-id>');
      const detail = await api.runs.get({ runId });
      const { batchLoss: _batchLoss, ...shown } = detail;
      const epochs = detail.epochMetrics
        .map(
          (m) =>
            `  epoch ${String(m.epoch).padStart(3)}  train ${m.trainLoss?.toFixed(5) ?? '-'}  test ${m.testLoss?.toFixed(5) ?? '-'}  ${formatDuration(m.elapsedMs)}` +
            (detail.config.lrSchedule && m.learningRate !== null ? `  lr ${m.learningRate.toPrecision(3)}` : ''),
        )
        .join('\n');
      const { config, run } = detail;
      const model = config.model;
      out.result(
        shown,
        `${formatRun(run)}\n  ${config.preset ?? 'custom'}: ${model.variant}, latent ${model.latent ?? 'feature maps'}, ` +
          `${config.loss}, ${config.optimizer} ${config.learningRate}, batch ${config.batchSize}, ` +
          `seed ${config.seed}${config.corruption ? `, noise ${config.corruption.type} ${config.corruption.level}` : ''}` +
          `${config.lrSchedule ? `, schedule ${describeSchedule(config)}` : ''}` +
          `${config.weightDecay ? `, weight decay ${config.weightDecay}` : ''}` +
          `${run.engine ? `, engine ${run.engine}${run.engineDetail ? ` (${run.engineDetail})` : ''}` : ''}` +
          `${run.worker ? `\n  trained by lab worker ${run.worker.id} (${run.worker.gpu ?? 'CPU'}, ${run.worker.engine})` : ''}` +
          `\n${epochs || '  no finished epochs yet'}`,
      );
      return 0;
    },
  },
  {
    name: 'resume',
    args: '<run-id>',
    summary: 'Continue a stopped or interrupted run from its last checkpoint; --cpu trains it on the CPU',
    details: ['even where the GPU engine loads (e.g. after a GPU fault)'],
    async run(ctx) {
      const runId = requiredId(ctx.positionals, 'run-id', 'Say which run to resume: ae-studio resume <run-id>');
      await ctx.api.training.resume({ runId, ...(ctx.flags.cpu ? { onCpu: true } : {}) });
      const run = await followRun(ctx, runId);
      ctx.out.result(run, formatRun(run));
      return run.status === 'completed' ? 0 : 1;
    },
  },
];

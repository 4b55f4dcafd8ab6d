import { resolve } from 'node:path';
import {
  runExportFormats,
  runsCsvRows,
  type RunExportFormat,
  type RunsCsvArgs,
  type SweepAxis,
  type Preset,
  type SweepParam,
  type SweepSummary,
  type TrainingConfig,
  parseSweepValue,
  sweepChoices,
} from '../../api/contract';
import { UserError } from '../../api/errors';
import { formatBytes } from '../../api/units';
import { writeUserFile } from '../../app/user-file';
import type { Command } from '../command';
import { followSweep } from '../follow';
import { formatComparison, formatRun, formatSweep } from '../format';
import { number, requiredId, runIdArg } from '../options';
import { configOfFlags, trainFlagsOf } from './training';
import { configFromFlags } from '../train-options';

/** "latent=2,6,16" or "lr_schedule=constant,cosine" as a sweep axis. */
function parseVary(text: string): SweepAxis {
  const match = /^([a-z_]+)=(.+)$/.exec(text.trim());
  if (!match)
    throw new UserError('invalid_argument', `--vary takes param=v1,v2,… (e.g. latent=2,6,16), not "${text}".`);
  const param = match[1] as SweepParam;
  const texts = match[2].split(',');
  const values = texts.map((v) => parseSweepValue(param, v));
  const bad = texts.find((_, i) => !Number.isFinite(values[i]));
  if (bad !== undefined) {
    const choices = sweepChoices[param];
    throw new UserError(
      'invalid_argument',
      `--vary ${param}: "${bad}" is not ${choices ? `one of ${choices.join(', ')}` : 'a number'}.`,
    );
  }
  return { param, values };
}

export const experimentCommands: Command[] = [
  {
    name: 'sweep',
    summary: 'Train one run per combination of values and summarise them:',
    details: [
      '--dataset D (--preset P | --config FILE) --vary <param=v1,v2,…> (once or twice; param:',
      'latent, batch, lr, epochs, noise, seed, lr_schedule (constant, step, cosine, plateau), weight_decay)',
      "and train's other options for the base config",
    ],
    async run(ctx) {
      const { datasetId, config } = await configOfFlags(ctx);
      const sweep = await ctx.api.sweeps.start({
        datasetId,
        config,
        axes: (ctx.flags.vary ?? []).map(parseVary),
        ...(ctx.flags.name === undefined ? {} : { name: ctx.flags.name }),
      });
      ctx.out.progress(`Sweep ${sweep.id} queued ${sweep.runs.length} runs: ${sweep.name}`);
      return followSweep(ctx, sweep.id);
    },
    // --hub: the same sweep, trained by the lab's workers; the hub's presets and dataset, this machine's config file.
    async onHub({ hub, flags, out }) {
      if (flags.dataset === undefined)
        throw new UserError('invalid_argument', "sweep needs --dataset (the hub's dataset name or id).");
      const { datasetId, presets } = await hub.get<{ datasetId: number; presets: Preset[] }>(
        `/presets?${new URLSearchParams({ dataset: flags.dataset })}`,
      );
      const config = configFromFlags(presets, trainFlagsOf(flags)) as TrainingConfig;
      const classes = flags['train-classes']?.replace(/\s/g, '');
      if (classes !== undefined) {
        // This machine does not know the hub's class names; the hub checks the indices against its dataset.
        if (!/^\d+(,\d+)*$/.test(classes)) {
          throw new UserError('invalid_argument', 'With --hub, --train-classes takes class indices (0, 1, …).');
        }
        config.trainClasses = classes.split(',').map(Number);
      }
      const sweep = await hub.post<SweepSummary>('/sweeps', {
        datasetId,
        config,
        axes: (flags.vary ?? []).map(parseVary),
        ...(flags.name === undefined ? {} : { name: flags.name }),
      });
      out.result(
        sweep,
        `Sweep ${sweep.id} queued ${sweep.runs.length} runs on the hub: ${sweep.name}\nFollow it with: ae-studio jobs --hub … --token …`,
      );
      return 0;
    },
  },
  {
    name: 'resume-sweep',
    args: '<id>',
    summary: 'Continue a sweep that was interrupted (queued runs start, interrupted ones resume)',
    async run(ctx) {
      const sweepId = requiredId(ctx.positionals, 'sweep-id', 'Say which sweep: ae-studio resume-sweep <id>');
      const sweep = await ctx.api.sweeps.resume({ sweepId });
      const toGo = sweep.runs.filter((r) => r.status === 'queued' || r.status === 'running').length;
      ctx.out.progress(`Sweep ${sweepId}: ${toGo} run${toGo === 1 ? '' : 's'} to go.`);
      return followSweep(ctx, sweepId);
    },
  },
  {
    name: 'sweeps',
    summary: "List sweeps with each run's values and final test loss",
    async run({ api, out }) {
      const sweeps = await api.sweeps.list();
      out.result(sweeps, sweeps.map(formatSweep).join('\n\n') || 'No sweeps yet. Start one with: ae-studio sweep');
      return 0;
    },
  },
  {
    name: 'projects',
    summary: 'List projects (* marks the open one; lists show its datasets, runs and sweeps):',
    details: ['--new <name> creates and opens one, --open <id> opens one'],
    async run({ api, out, flags }) {
      const open = number('open', flags.open);
      const list =
        flags.new !== undefined
          ? await api.projects.create({ name: flags.new })
          : open !== undefined
            ? await api.projects.open({ projectId: open })
            : await api.projects.list();
      out.result(
        list,
        list.projects
          .map(
            (p) =>
              `${p.id === list.current ? '*' : ' '} #${p.id}  ${p.name}  (${p.datasets} datasets, ${p.runs} runs, ${p.sweeps} sweeps)`,
          )
          .join('\n'),
      );
      return 0;
    },
  },
  {
    name: 'compare',
    args: '<run-id>…',
    summary: 'Several runs side by side: final and best losses, and the settings that differ',
    async run({ api, out, positionals }) {
      const runIds = positionals.map((p) => number('run-id', p)!);
      if (runIds.length === 0) throw new UserError('invalid_argument', 'Say which runs: ae-studio compare <run-id>…');
      const comparison = await api.runs.compare({ runIds });
      out.result(comparison, formatComparison(comparison));
      return 0;
    },
  },
  {
    name: 'export-run',
    args: '<run-id>',
    summary: 'Write a run as a folder (config, metrics CSV, checkpoints, model in tfjs format, gallery',
    details: [
      'PNGs): --out <folder>. --format pytorch writes the last checkpoint as PyTorch code (model.py),',
      'safetensors weights, Keras code where it can, and example.py instead',
    ],
    async run({ api, out, flags, positionals }) {
      const runId = runIdArg(positionals, 'export-run');
      if (!flags.out) throw new UserError('invalid_argument', 'Say where to write it: --out <folder>');
      const format = flags.format ?? 'studio';
      if (!(runExportFormats as readonly string[]).includes(format)) {
        throw new UserError('invalid_argument', `--format is studio or pytorch, not "${format}".`);
      }
      const exported = await api.runs.export({ runId, dir: resolve(flags.out), format: format as RunExportFormat });
      const notes = exported.notes.map((note) => `\n${note}`).join('');
      out.result(exported, `Wrote run ${runId} to ${exported.path} (${exported.files.length} files)${notes}`);
      return 0;
    },
  },
  {
    name: 'import-run',
    args: '<folder>',
    summary: 'Add an exported run to this store (its dataset must be here already)',
    details: ['--again: import a run that is already here as a second copy'],
    async run({ api, out, flags, positionals }) {
      if (!positionals[0]) throw new UserError('invalid_argument', 'Say which folder: ae-studio import-run <folder>');
      const dir = resolve(positionals[0]);
      let run;
      try {
        run = await api.runs.import({ dir, ...(flags.again ? { again: true } : {}) });
      } catch (err) {
        if (err instanceof UserError && err.code === 'conflict')
          throw new UserError('conflict', `${err.message} To do that: ae-studio import-run ${positionals[0]} --again`);
        throw err;
      }
      out.result(run, `Imported as run ${run.id}: ${formatRun(run)}`);
      return 0;
    },
  },
  {
    name: 'label',
    args: '<run-id>',
    summary: 'Rename a run or set its notes and tags: --name <text> --notes <text> --tag <t> (repeatable)',
    async run({ api, out, flags, positionals }) {
      const runId = runIdArg(positionals, 'label');
      const run = await api.runs.update({
        runId,
        ...(flags.name === undefined ? {} : { name: flags.name }),
        ...(flags.notes === undefined ? {} : { notes: flags.notes }),
        ...(flags.tag === undefined ? {} : { tags: flags.tag }),
      });
      out.result(run, `${formatRun(run)}${run.tags.length ? `\n      tags: ${run.tags.join(', ')}` : ''}`);
      return 0;
    },
  },
  {
    name: 'runs-csv',
    summary: "Write the open project's runs as CSV, with every setting as a column:",
    details: ['--out <file.csv> --per <run|epoch, default run> (epoch: one row per run and epoch, with its losses)'],
    async run({ api, out, flags }) {
      if (!flags.out) throw new UserError('invalid_argument', 'Say where to write it: --out <file.csv>');
      const per = flags.per ?? 'run';
      if (!runsCsvRows.includes(per as RunsCsvArgs['per']))
        throw new UserError('invalid_argument', `--per takes run or epoch, not "${per}".`);
      const csv = await api.runs.csv({ per: per as RunsCsvArgs['per'] });
      const path = resolve(flags.out);
      writeUserFile(path, Buffer.from(csv.csv, 'utf8'), "The runs' CSV");
      out.result({ path, rows: csv.rows }, `Wrote ${csv.rows} rows to ${path}`);
      return 0;
    },
  },
  {
    name: 'disk',
    summary: "Show each run's disk use and the checkpoint epochs it keeps, largest first",
    async run({ api, out }) {
      const use = await api.runs.diskUse();
      const total = use.reduce((sum, run) => sum + run.bytes, 0);
      const lines = use.map(
        (run) =>
          `#${String(run.runId).padEnd(4)} ${formatBytes(run.bytes).padStart(9)}  checkpoints: ${run.checkpoints.join(', ') || 'none'}`,
      );
      out.result(use, use.length ? `${lines.join('\n')}\nTotal: ${formatBytes(total)}` : 'No runs yet.');
      return 0;
    },
  },
  {
    name: 'free-space',
    args: '<run-id>',
    summary:
      "Keep only a finished run's last and best checkpoints (galleries stay); it still resumes and shows results",
    async run({ api, out, positionals }) {
      const runId = runIdArg(positionals, 'free-space');
      const freed = await api.runs.freeSpace({ runId });
      out.result(
        freed,
        freed.removed.length
          ? `Run ${runId}: removed the checkpoints of epochs ${freed.removed.join(', ')}, freeing ${formatBytes(freed.freedBytes)}; ` +
              `kept ${freed.checkpoints.join(', ')} (${formatBytes(freed.bytes)} left).`
          : `Run ${runId} keeps only its last and best checkpoints already (${formatBytes(freed.bytes)}).`,
      );
      return 0;
    },
  },
  {
    name: 'delete-run',
    args: '<run-id>',
    summary: 'Delete a run and its files',
    async run({ api, out, positionals }) {
      const runId = runIdArg(positionals, 'delete-run');
      await api.runs.delete({ runId });
      out.result({ deleted: runId }, `Deleted run ${runId} and its files.`);
      return 0;
    },
  },
];

import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as sweeps from '../store/sweeps';
import { getDataset } from '../store/datasets';
import { requireDataset } from '../datasets/dataset-catalog';
import { UserError } from '../api/errors';
import { inOpenProject } from '../store/projects';
import {
  lrScheduleTypes,
  sweepValueText,
  type StartSweepArgs,
  type SweepAxis,
  type SweepParam,
  type SweepSummary,
  type TrainingConfig,
} from '../api/contract';
import { checkTrainingConfig, trainingConfigSchema } from '../models/training-config';
import type { TrainingSupervisor } from '../training/training-supervisor';
import type { ImageShape } from '../models/model-plan';

/** How each parameter reads in run names and charts. */
export const sweepParamNames: Record<SweepParam, string> = {
  latent: 'latent',
  batch: 'batch',
  lr: 'lr',
  epochs: 'epochs',
  noise: 'noise',
  seed: 'seed',
  lr_schedule: 'schedule',
  weight_decay: 'weight decay',
};

/** The config with one parameter set, checked for values that cannot work. */
function withValue(config: TrainingConfig, param: SweepParam, value: number): TrainingConfig {
  const whole = (what: string) => {
    if (!Number.isInteger(value) || value < 1) {
      throw new UserError('invalid_argument', `${what} must be a whole number of at least 1, not ${value}.`);
    }
  };
  switch (param) {
    case 'latent':
      whole('The code size');
      if (config.model.latent === null) {
        throw new UserError(
          'invalid_argument',
          "This model keeps the encoder's feature maps as its code, so there is no code size to vary.",
        );
      }
      return { ...config, model: { ...config.model, latent: value } };
    case 'batch':
      whole('The batch size');
      return { ...config, batchSize: value };
    case 'epochs':
      whole('The number of epochs');
      return { ...config, epochs: value };
    case 'seed':
      if (!Number.isInteger(value) || value < 0) {
        throw new UserError('invalid_argument', `A seed must be a whole number of at least 0, not ${value}.`);
      }
      return { ...config, seed: value };
    case 'lr':
      if (!(value > 0)) throw new UserError('invalid_argument', `The learning rate must be above 0, not ${value}.`);
      return { ...config, learningRate: value };
    case 'lr_schedule': {
      const type = lrScheduleTypes[value];
      if (type === undefined) {
        throw new UserError('invalid_argument', `A schedule is one of ${lrScheduleTypes.join(', ')}.`);
      }
      return { ...config, lrSchedule: { ...config.lrSchedule, type } };
    }
    case 'weight_decay':
      if (!(value >= 0)) throw new UserError('invalid_argument', `Weight decay cannot be negative (${value}).`);
      return { ...config, weightDecay: value };
    case 'noise':
      if (!(value >= 0)) throw new UserError('invalid_argument', `A noise level cannot be negative (${value}).`);
      // The base config's corruption at each level; Gaussian noise when the base has none.
      return { ...config, corruption: { type: config.corruption?.type ?? 'gaussian', level: value } };
  }
}

/** Every combination of the axes' values, first axis slowest. */
function combinations(axes: SweepAxis[]): Array<Record<string, number>> {
  return axes.reduce<Array<Record<string, number>>>(
    (partial, axis) => partial.flatMap((combo) => axis.values.map((v) => ({ ...combo, [axis.param]: v }))),
    [{}],
  );
}

const describeValues = (values: Record<string, number>) =>
  Object.entries(values)
    .map(([param, v]) => `${sweepParamNames[param as SweepParam]}=${sweepValueText(param as SweepParam, v)}`)
    .join(', ');

/**
 * Queues one run per combination of the varied parameters' values, all in one transaction: either the whole sweep is
 * stored or none of it. Runs train one after another; an app restart picks up where it left off (resumeUnfinished).
 */
export function startSweep(db: Database, supervisor: TrainingSupervisor, args: StartSweepArgs): SweepSummary {
  const { sweepId, runIds } = storeSweep(db, args);
  for (const runId of runIds) supervisor.enqueue(runId);
  return getSweepSummary(db, sweepId);
}

/**
 * Stores a sweep and its queued runs, checked first, in one transaction. `labJob` gives each run the lab queue's job
 * id (a lab hub's sweep, lab/lab-hub.ts), fixed here so that the run and its job are one thing from the start.
 */
export function storeSweep(
  db: Database,
  args: StartSweepArgs,
  labJob?: () => string,
): { sweepId: number; runIds: number[] } {
  const dataset = requireDataset(db, args.datasetId);
  const shape: ImageShape = [dataset.height, dataset.width, dataset.channels];
  const params = args.axes.map((a) => a.param);
  if (new Set(params).size !== params.length) {
    throw new UserError('invalid_argument', `Vary each parameter once (${params.join(' and ')} given).`);
  }
  const base: TrainingConfig = { ...args.config, input: { height: shape[0], width: shape[1], channels: shape[2] } };
  checkTrainingConfig(base, shape, dataset.classNames);
  // Each combination is checked before anything is stored, so a value that cannot work is reported up front.
  const planned = combinations(args.axes).map((values) => {
    const config = Object.entries(values).reduce((c, [param, v]) => withValue(c, param as SweepParam, v), base);
    try {
      checkTrainingConfig(trainingConfigSchema.parse(config), shape, dataset.classNames);
    } catch (err) {
      const why = err instanceof UserError ? err.message : (err as Error).message;
      throw new UserError('invalid_argument', `With ${describeValues(values)}: ${why}`);
    }
    return { values, config };
  });
  const name = args.name ?? `Sweep of ${params.map((p) => sweepParamNames[p]).join(' × ')} on ${dataset.name}`;
  const runIds: number[] = [];
  const sweepId = db.transaction(() => {
    const id = sweeps.insertSweep(db, {
      name,
      datasetId: dataset.id,
      baseConfig: JSON.stringify(base),
      axes: JSON.stringify(args.axes),
    });
    for (const { values, config } of planned) {
      runIds.push(
        runs.insertRun(db, {
          datasetId: dataset.id,
          name: `Sweep ${id}: ${describeValues(values)}`,
          config: JSON.stringify(config),
          sweepId: id,
          sweepValues: JSON.stringify(values),
          ...(labJob ? { labJob: labJob() } : {}),
        }),
      );
    }
    return id;
  })();
  return { sweepId, runIds };
}

export function getSweepSummary(db: Database, sweepId: number): SweepSummary {
  const sweep = sweeps.getSweep(db, sweepId);
  if (!sweep) throw new UserError('not_found', `There is no sweep with id ${sweepId}.`);
  const members = runs.listRunsOfSweep(db, sweepId);
  const statuses = members.map((r) => r.status);
  return {
    id: sweep.id,
    name: sweep.name,
    datasetId: sweep.datasetId,
    datasetName: getDataset(db, sweep.datasetId)?.name ?? '(deleted dataset)',
    axes: JSON.parse(sweep.axes) as SweepAxis[],
    status: statuses.some((s) => s === 'queued' || s === 'running')
      ? 'running'
      : statuses.every((s) => s === 'completed')
        ? 'completed'
        : 'incomplete',
    runs: members.map((run) => ({
      runId: run.id,
      values: JSON.parse(run.sweepValues ?? '{}') as Record<string, number>,
      status: run.status,
      epochsDone: run.epochsDone,
      epochs: (JSON.parse(run.config) as TrainingConfig).epochs,
      finalTestLoss: run.finalTestLoss,
      finalTrainLoss: run.finalTrainLoss,
    })),
    createdAt: sweep.createdAt,
  };
}

/** The open project's sweeps, newest first. */
export function listSweepSummaries(db: Database): SweepSummary[] {
  return sweeps
    .listSweeps(db)
    .filter(inOpenProject(db))
    .map((sweep) => getSweepSummary(db, sweep.id));
}

/** Resumes one sweep's unfinished runs (the API's sweeps:resume); a sweep that does not exist is an error. */
export function resumeSweep(db: Database, supervisor: TrainingSupervisor, sweepId: number): SweepSummary {
  getSweepSummary(db, sweepId);
  resumeUnfinished(db, supervisor, sweepId);
  return getSweepSummary(db, sweepId);
}

/**
 * After a restart: queued runs whose process is gone go back on the queue, and sweep runs that a crash or kill
 * interrupted resume from their last checkpoint, so a sweep carries on by itself. (A lone interrupted run waits for
 * the user's Resume.) Runs queued in another live window stay there.
 */
export function resumeUnfinished(db: Database, supervisor: TrainingSupervisor, sweepId?: number): number[] {
  const candidates = sweepId === undefined ? runs.listRuns(db).reverse() : runs.listRunsOfSweep(db, sweepId);
  const resumed: number[] = [];
  for (const run of candidates) {
    // A lab hub's runs are its workers' to train (lab/lab-hub.ts).
    if (run.labJob !== null) continue;
    if (run.status === 'interrupted' && run.sweepId !== null) {
      if (!runs.requeueRun(db, run.id)) continue;
    } else if (!runs.claimQueuedRun(db, run)) continue;
    supervisor.enqueue(run.id);
    resumed.push(run.id);
  }
  return resumed;
}

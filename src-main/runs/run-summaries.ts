import type { Database } from '../store/database';
import * as runs from '../store/runs';
import { getRunRow, listRunIds, listRunRows, type RunListRow } from '../store/run-list';
import { ChangeFeed } from '../store/change-feed';
import { checkpointInside, type CheckpointRow } from '../store/checkpoints';
import { getDataset, listDatasets } from '../store/datasets';
import { UserError } from '../api/errors';
import type { LabWorkerInfo, RunPenalty, RunSummary } from '../api/contract';
import { presetName } from '../models/presets';
import { penaltyTerm, trainingConfigSchema, type TrainingConfig } from '../models/training-config';
import type { TrainingSupervisor } from '../training/training-supervisor';

/** A stored run's training config, checked (for training and the run's own page; lists read it unchecked). */
export function parseConfig(run: runs.RunRow): TrainingConfig {
  return trainingConfigSchema.parse(JSON.parse(run.config));
}

export function requireRun(db: Database, runId: number): runs.RunRow {
  const run = runs.getRun(db, runId);
  if (!run) throw new UserError('not_found', `There is no run with id ${runId}.`);
  return run;
}

/**
 * The open project's runs as the runs table shows them, newest first. The table asks at every change, on the main
 * process, so the summaries are kept: the store's change log (store/change-feed.ts) says which runs to read again —
 * whichever process changed them — and those are read in one query (store/run-list.ts). What only this process knows,
 * paused and queued, is added as they are listed.
 */
export class RunSummaries {
  private readonly kept = new Map<number, RunSummary>();
  private readonly feed: ChangeFeed;

  constructor(
    private readonly db: Database,
    private readonly supervisor?: TrainingSupervisor,
  ) {
    this.feed = new ChangeFeed(db);
  }

  /** Every run of the open project, or only those of `ids` (the ones a change event names) that are in it. */
  list(ids?: readonly number[]): RunSummary[] {
    this.forgetChanged();
    const wanted = listRunIds(this.db, ids);
    const missing = wanted.filter((id) => !this.kept.has(id));
    if (missing.length > 0) {
      const names = datasetNames(this.db);
      for (const row of listRunRows(this.db, missing)) this.kept.set(row.id, toSummary(row, names.get(row.datasetId)));
    }
    return wanted.flatMap((id) => {
      const summary = this.kept.get(id);
      return summary ? [withLiveState(summary, this.supervisor)] : [];
    });
  }

  private forgetChanged(): void {
    const changes = this.feed.read();
    if (!changes) return;
    // A project opened, a dataset renamed or deleted (its name shows in each of its runs' rows): read them all again.
    if (changes.projects || changes.runs === null || changes.datasets === null || changes.datasets.length > 0) {
      this.kept.clear();
      return;
    }
    for (const id of changes.runs) this.kept.delete(id);
  }
}

/** One run's summary, read afresh. */
export function getRunSummary(db: Database, runId: number, supervisor?: TrainingSupervisor): RunSummary {
  const row = getRunRow(db, runId);
  if (!row) throw new UserError('not_found', `There is no run with id ${runId}.`);
  return withLiveState(toSummary(row, getDataset(db, row.datasetId)?.name), supervisor);
}

/** Every run of the open project read afresh, newest first (exports and reports; the app's list keeps them). */
export function listRunSummaries(db: Database, supervisor?: TrainingSupervisor): RunSummary[] {
  const names = datasetNames(db);
  return listRunRows(db).map((row) => withLiveState(toSummary(row, names.get(row.datasetId)), supervisor));
}

const datasetNames = (db: Database) => new Map(listDatasets(db).map((d) => [d.id, d.name]));

/** Pausing and the queue are live state of this process's worker, not stored: a paused run the app leaves stops. */
function withLiveState(summary: RunSummary, supervisor: TrainingSupervisor | undefined): RunSummary {
  if (!supervisor) return summary;
  return {
    ...summary,
    status: supervisor.isPaused(summary.id) ? 'paused' : summary.status,
    inQueue: supervisor.isQueuedOrActive(summary.id),
  };
}

function finalQuality(json: string | null): { finalTestPsnr: number | null; finalTestSsim: number | null } {
  const [psnr, ssim] = json ? (JSON.parse(json) as [number | null, number | null]) : [null, null];
  return { finalTestPsnr: psnr, finalTestSsim: ssim };
}

/** A run's summary as stored. */
function toSummary(row: RunListRow, datasetName: string | undefined): RunSummary {
  const config = JSON.parse(row.config) as TrainingConfig;
  const last = row.lastCheckpoint ? (JSON.parse(row.lastCheckpoint) as CheckpointRow) : undefined;
  return {
    id: row.id,
    name: row.name,
    datasetId: row.datasetId,
    datasetName: datasetName ?? '(deleted dataset)',
    status: row.status,
    inQueue: false,
    engine: row.engine,
    engineDetail: row.engineDetail,
    epochsDone: row.epochsDone,
    epochs: config.epochs,
    finalTrainLoss: row.finalTrainLoss,
    finalTestLoss: row.finalTestLoss,
    ...finalQuality(row.lastQuality),
    probe: row.lastProbe === null ? null : (JSON.parse(row.lastProbe) as RunSummary['probe']),
    penalty: runPenalty(config, row.lastPenalties),
    error: row.error,
    note: row.note,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    notes: row.notes,
    tags: JSON.parse(row.tags) as string[],
    sweepId: row.sweepId,
    sweepValues: row.sweepValues === null ? null : (JSON.parse(row.sweepValues) as Record<string, number>),
    worker: row.worker === null ? null : (JSON.parse(row.worker) as LabWorkerInfo),
    model: presetName(config.preset) ?? 'Custom',
    latent: config.model.latent,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    trainSubset: config.trainSubset ?? null,
    loss: config.loss,
    bestTestLoss: row.bestTestLoss,
    trainingMs: row.trainingMs,
    checkpointInside: checkpointInside(last),
    checkpointEpochs: row.checkpointEpochs ? row.checkpointEpochs.split(',').map(Number) : [],
    bestEpoch: row.bestEpoch,
  };
}

/** The penalty term of a sparse or variational run, from its last epoch's metrics (`[train, test]` as JSON). */
function runPenalty(config: TrainingConfig, lastPenalties: string | null): RunPenalty | null {
  const term = penaltyTerm(config);
  if (!term) return null;
  const [finalTrain, finalTest] = lastPenalties
    ? (JSON.parse(lastPenalties) as [number | null, number | null])
    : [null, null];
  return {
    term,
    finalTrain,
    finalTest,
    // Every epoch trained since the terms were kept apart records the penalty (migration 0010).
    includedInLoss: lastPenalties !== null && finalTrain === null,
  };
}

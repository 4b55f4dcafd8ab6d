import { rmSync } from 'node:fs';
import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as checkpoints from '../store/checkpoints';
import { dataLayout } from '../app/paths';
import { UserError } from '../api/errors';
import {
  defaultCheckpointPolicy,
  describeCheckpointPolicy,
  type CheckpointPolicy,
  type FreedSpace,
  type RunDiskUse,
  type RunLabels,
  type RunSummary,
  type StartTrainingArgs,
} from '../api/contract';
import { requireDataset } from '../datasets/dataset-catalog';
import { listPresets } from '../models/presets';
import type { ImageShape } from '../models/model-plan';
import { checkTrainingConfig, type TrainingConfig } from '../models/training-config';
import { minimalCheckpointPolicy, pruneCheckpoints, runDiskBytes } from '../training/checkpoint-retention';
import type { TrainingSupervisor } from '../training/training-supervisor';
import { getRunSummary, listRunSummaries, parseConfig, requireRun } from './run-summaries';

/** What can be done to a run: start, pause, stop and resume its training; label, delete or slim it. */

/** The process id of whoever holds a run, for messages. */
function ownerPid(run: runs.RunRow): string {
  return run.workerPid !== null ? String(run.workerPid) : (run.owner?.split(':')[0] ?? 'unknown');
}

/** Stores a new run with a checked config (its input shape filled in) and queues it. */
export function startTraining(db: Database, supervisor: TrainingSupervisor, args: StartTrainingArgs): RunSummary {
  const dataset = requireDataset(db, args.datasetId);
  const shape: ImageShape = [dataset.height, dataset.width, dataset.channels];
  const config: TrainingConfig = { ...args.config, input: { height: shape[0], width: shape[1], channels: shape[2] } };
  checkTrainingConfig(args.config, shape, dataset.classNames);
  const preset = listPresets(shape).find((p) => p.id === config.preset);
  const name = args.name ?? `${preset?.name ?? 'Custom model'} on ${dataset.name}`;
  const runId = runs.insertRun(db, { datasetId: dataset.id, name, config: JSON.stringify(config) });
  supervisor.enqueue(runId);
  return getRunSummary(db, runId, supervisor);
}

/** A run on a lab hub's queue is its workers' to train: pause, stop and resume go through the hub. */
function refuseLabRun(run: runs.RunRow): void {
  if (run.labJob !== null && (run.status === 'queued' || run.status === 'running')) {
    throw new UserError(
      'conflict',
      `Run ${run.id} is ${run.status === 'queued' ? 'queued' : 'training'} on a lab worker; cancel it through the hub (ae-studio cancel --hub URL --token T ${run.id}).`,
    );
  }
}

/** Pauses a training run between batches; resume continues it at once. */
export function pauseTraining(db: Database, supervisor: TrainingSupervisor, runId: number): RunSummary {
  const run = requireRun(db, runId);
  refuseLabRun(run);
  if (run.status !== 'running' || !supervisor.pause(runId)) {
    throw new UserError('conflict', `Run ${runId} is not training here (it is ${run.status}), so it cannot be paused.`);
  }
  return getRunSummary(db, runId, supervisor);
}

export function stopTraining(db: Database, supervisor: TrainingSupervisor, runId: number): RunSummary {
  const run = requireRun(db, runId);
  refuseLabRun(run);
  if (run.status !== 'queued' && run.status !== 'running') {
    throw new UserError('conflict', `Run ${runId} is not training (it is ${run.status}).`);
  }
  if (!supervisor.isQueuedOrActive(runId)) {
    // A queued run whose process is gone is nobody's: stopping it just settles it.
    if (runs.claimQueuedRun(db, run) && runs.finishRun(db, runId, 'stopped'))
      return getRunSummary(db, runId, supervisor);
    throw new UserError(
      'conflict',
      `Run ${runId} is ${run.status === 'queued' ? 'queued' : 'being trained'} by another Autoencoder Studio window or command (process ${ownerPid(run)}); stop it there.`,
    );
  }
  supervisor.stop(runId);
  return getRunSummary(db, runId, supervisor);
}

/** Resumes a paused, stopped or interrupted run from its last checkpoint; `onCpu` keeps it off the GPU engines. */
export function resumeTraining(
  db: Database,
  supervisor: TrainingSupervisor,
  runId: number,
  options: { onCpu?: boolean } = {},
): RunSummary {
  const run = requireRun(db, runId);
  refuseLabRun(run);
  if (supervisor.unpause(runId)) return getRunSummary(db, runId, supervisor);
  if (run.status === 'completed') {
    throw new UserError('conflict', `Run ${runId} already finished all ${parseConfig(run).epochs} epochs.`);
  }
  if (supervisor.isQueuedOrActive(runId)) throw new UserError('conflict', `Run ${runId} is already ${run.status}.`);
  if (run.status === 'queued' && runs.claimQueuedRun(db, run)) {
    // Left queued by a process that is gone (killed before its worker started): this process trains it.
    requireDataset(db, run.datasetId);
    supervisor.enqueue(runId, options);
    return getRunSummary(db, runId, supervisor);
  }
  if (run.status === 'queued' || run.status === 'running') {
    throw new UserError(
      'conflict',
      `Run ${runId} is already ${run.status} in another Autoencoder Studio window or command (process ${ownerPid(run)}).`,
    );
  }
  requireDataset(db, run.datasetId);
  // A lab run that came home finished resumes here, as this store's own run from now on.
  if (run.labJob !== null) runs.leaveLab(db, runId);
  if (!runs.requeueRun(db, runId)) throw new UserError('conflict', `Run ${runId} changed while resuming; try again.`);
  supervisor.enqueue(runId, options);
  return getRunSummary(db, runId, supervisor);
}

/** Renames a run, or sets its notes or tags (each tag once, in the order given). */
export function updateRun(db: Database, supervisor: TrainingSupervisor, labels: RunLabels): RunSummary {
  requireRun(db, labels.runId);
  runs.updateRunLabels(db, labels.runId, {
    name: labels.name,
    notes: labels.notes,
    tags: labels.tags ? [...new Set(labels.tags.map((t) => t.trim()))] : undefined,
  });
  return getRunSummary(db, labels.runId, supervisor);
}

/**
 * Deletes a run with everything it stored: metrics, checkpoints, galleries, codes and maps. Refused while it is queued
 * or training. The row goes first and the files after, so a crash in between leaves unreferenced files, never a run
 * whose files are gone.
 */
export function deleteRun(db: Database, dataDir: string, supervisor: TrainingSupervisor, runId: number): void {
  const run = requireRun(db, runId);
  if (run.status === 'queued' || run.status === 'running' || supervisor.isQueuedOrActive(runId)) {
    throw new UserError(
      'conflict',
      `Run ${runId} is ${run.status === 'queued' ? 'queued' : 'training'}; stop it first.`,
    );
  }
  runs.deleteRunRow(db, runId);
  rmSync(dataLayout(dataDir).runDir(runId), { recursive: true, force: true });
}

/** Disk use of the open project's runs, largest first. */
export function listRunDiskUse(db: Database, dataDir: string): RunDiskUse[] {
  return listRunSummaries(db)
    .map((run) => diskUseOf(db, dataDir, run.id))
    .sort((a, b) => b.bytes - a.bytes);
}

function diskUseOf(db: Database, dataDir: string, runId: number): RunDiskUse {
  const stored = runs.getRun(db, runId)?.config;
  const policy =
    (stored ? (JSON.parse(stored) as { checkpoints?: CheckpointPolicy }).checkpoints : undefined) ??
    defaultCheckpointPolicy;
  return {
    runId,
    bytes: runDiskBytes(dataDir, runId),
    checkpoints: checkpoints.listCheckpoints(db, runId).map((c) => c.epoch),
    keeps: describeCheckpointPolicy(policy),
  };
}

/** Gives back a finished run's space: only its last and best checkpoints stay (see checkpoint-retention.ts). */
export function freeRunSpace(db: Database, dataDir: string, supervisor: TrainingSupervisor, runId: number): FreedSpace {
  const run = requireRun(db, runId);
  if (run.status === 'queued' || run.status === 'running' || supervisor.isQueuedOrActive(runId)) {
    throw new UserError(
      'conflict',
      `Run ${runId} is ${run.status === 'queued' ? 'queued' : 'training'}; free its space once it has stopped.`,
    );
  }
  const { removed, freedBytes } = pruneCheckpoints(db, dataDir, runId, minimalCheckpointPolicy);
  return { ...diskUseOf(db, dataDir, runId), removed, freedBytes };
}

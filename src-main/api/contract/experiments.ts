/** Experiments: run labels, comparison, sweeps, run export and import, projects. */
import { lrScheduleTypes, type TrainingConfig } from './models';
import type { EpochMetric, LabWorkerInfo, RunRef, RunStatus, RunSummary } from './runs';
import type { CsvExport } from './latent';

export interface RunLabels {
  runId: number;
  name?: string;
  notes?: string;
  tags?: string[];
}

/** Several runs side by side: their curves, and only the settings that differ. */
export interface RunComparison {
  runs: RunSummary[];
  curves: Array<{ runId: number; epochs: EpochMetric[]; batchLoss: Array<{ step: number; loss: number }> }>;
  /** One row per setting that is not the same in every run, with each run's value as text. */
  /** `setting` is the config path ("model.latent"), `label` its name on screen ("Latent size"); values in words. */
  differences: Array<{ setting: string; label: string; values: string[] }>;
  /** Whether the runs share a dataset (then their reconstructions of the same images can be compared). */
  sameDataset: boolean;
}

/**
 * What a sweep can vary: the code size, batch size, learning rate, epochs, noise level (denoising), seed, the learning
 * rate's schedule or the weight decay.
 */
export const sweepParams = ['latent', 'batch', 'lr', 'epochs', 'noise', 'seed', 'lr_schedule', 'weight_decay'] as const;
export type SweepParam = (typeof sweepParams)[number];

/**
 * Parameters whose values are choices, not numbers: a sweep stores each as its position in this list (so every axis
 * stays a list of numbers) and shows and takes it by name.
 */
export const sweepChoices: Partial<Record<SweepParam, readonly string[]>> = { lr_schedule: lrScheduleTypes };

/** A sweep value as people read and type it: "cosine" for a schedule, the number otherwise. */
export function sweepValueText(param: SweepParam, value: number): string {
  return sweepChoices[param]?.[value] ?? String(value);
}

/** "cosine" or "0.01" as a sweep value (a choice's position), or NaN when it is neither. */
export function parseSweepValue(param: SweepParam, text: string): number {
  const choices = sweepChoices[param];
  if (choices) return choices.includes(text.trim()) ? choices.indexOf(text.trim()) : NaN;
  return text.trim() === '' ? NaN : Number(text.trim());
}

export interface SweepAxis {
  param: SweepParam;
  values: number[];
}

export interface StartSweepArgs {
  datasetId: number;
  config: TrainingConfig;
  /** One or two parameters; every combination of their values is one run. */
  axes: SweepAxis[];
  name?: string;
}

export interface SweepSummary {
  id: number;
  name: string;
  datasetId: number;
  datasetName: string;
  axes: SweepAxis[];
  /** running: some runs are queued or training; completed: all completed; incomplete: some stopped or failed. */
  status: 'running' | 'completed' | 'incomplete';
  runs: Array<{
    runId: number;
    values: Record<string, number>;
    status: RunStatus;
    epochsDone: number;
    epochs: number;
    finalTestLoss: number | null;
    finalTrainLoss: number | null;
  }>;
  createdAt: string;
}

/**
 * What an export writes: `studio` (the default) is the whole run, checkpoints included, for another copy of the app
 * (import-run); `pytorch` is the last checkpoint's model as PyTorch code and safetensors weights (plus Keras code
 * where every layer has a Keras equivalent), for use in Python.
 */
export const runExportFormats = ['studio', 'pytorch'] as const;
export type RunExportFormat = (typeof runExportFormats)[number];

export interface RunExportArgs {
  runId: number;
  /** A folder to create the export in (it gets a sub-folder named after the run). */
  dir: string;
  format?: RunExportFormat;
}

export interface RunExport {
  path: string;
  files: string[];
  /** What the user should know about this export (e.g. why no Keras code was written). */
  notes: string[];
}

/** What a run takes on disk, and the checkpoint epochs it keeps. */
export interface RunDiskUse {
  runId: number;
  bytes: number;
  checkpoints: number[];
  /** Which checkpoints the run keeps as it trains, in words ("the last 3, epochs 1, 2, 4, 8, … and the best"). */
  keeps: string;
}

/** What freeing a run's space did: the checkpoints removed and the bytes given back. */
export interface FreedSpace extends RunDiskUse {
  removed: number[];
  freedBytes: number;
}

export interface ProjectSummary {
  id: number;
  name: string;
  datasets: number;
  runs: number;
  sweeps: number;
  createdAt: string;
}

/** The projects and the open one: lists of datasets, runs and sweeps show the open project's. */
export interface ProjectList {
  current: number;
  projects: ProjectSummary[];
}

export const runsCsvRows = ['run', 'epoch'] as const;

/** The Runs table as CSV: one row per run, or one per run and epoch; either way with every setting as a column. */
export interface RunsCsvArgs {
  per: (typeof runsCsvRows)[number];
}

export interface ExperimentsMethods {
  'runs:update': { args: RunLabels; result: RunSummary };
  'runs:delete': { args: RunRef; result: null };
  /** Disk use of the open project's runs. */
  'runs:diskUse': { args: void; result: RunDiskUse[] };
  /** Keeps only a finished run's last and best checkpoints (and every gallery); it still resumes and shows results. */
  'runs:freeSpace': { args: RunRef; result: FreedSpace };
  'runs:compare': { args: { runIds: number[] }; result: RunComparison };
  'runs:export': { args: RunExportArgs; result: RunExport };
  /** Refused with 'conflict' when the same run is already in the store, unless `again` asks for a second copy. */
  'runs:import': { args: { dir: string; again?: boolean }; result: RunSummary };
  'runs:csv': { args: RunsCsvArgs; result: CsvExport };
  'sweeps:start': { args: StartSweepArgs; result: SweepSummary };
  'sweeps:list': { args: void; result: SweepSummary[] };
  /** Carries on a sweep a crash or a stop interrupted: queued runs start, interrupted ones resume. */
  'sweeps:resume': { args: { sweepId: number }; result: SweepSummary };
  /** The lab hub this data folder serves (a hub started on it), its workers and jobs; hub null when there is none. */
  'lab:status': { args: void; result: LabLink };
  /** A sweep trained by the lab hub's workers instead of this process (the same arguments as sweeps:start). */
  'lab:sweep': { args: StartSweepArgs; result: SweepSummary };
  'projects:list': { args: void; result: ProjectList };
  'projects:create': { args: { name: string }; result: ProjectList };
  'projects:open': { args: { projectId: number }; result: ProjectList };
  'projects:rename': { args: { projectId: number; name: string }; result: ProjectList };
}

/** Every channel above, once: `satisfies` fails the build when one is missing or unknown. */
export const experimentsChannels = {
  'runs:update': true,
  'runs:delete': true,
  'runs:diskUse': true,
  'runs:freeSpace': true,
  'runs:compare': true,
  'runs:export': true,
  'runs:import': true,
  'runs:csv': true,
  'sweeps:start': true,
  'sweeps:list': true,
  'sweeps:resume': true,
  'lab:status': true,
  'lab:sweep': true,
  'projects:list': true,
  'projects:create': true,
  'projects:open': true,
  'projects:rename': true,
} as const satisfies Record<keyof ExperimentsMethods, true>;

/** A worker's health as it reports it: one that fails the same way again and again stops taking work. */
export interface WorkerHealth {
  healthy: boolean;
  problem: string | null;
}

/** One lab run as the hub lists it. */
export interface LabJobRow {
  runId: number;
  name: string;
  /** The queue's state: created, retry, active, completed, cancelled, failed (or gone, once pg-boss deleted it). */
  state: string;
  runStatus: string;
  epochsDone: number;
  epochs: number;
  worker: LabWorkerInfo | null;
  retryCount: number;
}

/** A worker as the hub last heard from it. */
export interface LabWorkerRow extends LabWorkerInfo {
  health: WorkerHealth;
  runId: number | null;
  lastSeen: string;
}

export interface LabStatus {
  version: string;
  jobs: LabJobRow[];
  workers: LabWorkerRow[];
}

/** The lab hub of this data folder, as the app sees it. */
export interface LabLink {
  /** The hub's address, or null when no hub was ever started on this data folder. */
  hub: string | null;
  status: LabStatus | null;
  /** Why the status could not be read (the hub is not running, …). */
  problem: string | null;
}

import { UserError } from '../api/errors';

export interface SlurmScriptOptions {
  hub: string;
  token: string;
  tasks: number;
  partition?: string;
  /** Slurm's time limit per task, e.g. "04:00:00". */
  time?: string;
  /** GPUs per task (0: a CPU task). */
  gpus: number;
}

/** Single-quotes a value for sh. */
const quoted = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * An sbatch job-array script: each task is one lab worker that takes one job from the hub (`--once`) and ends. Slurm
 * only places workers; which run each trains, retries and cancelling stay the hub's queue's. The script holds the hub's
 * token: keep it where only you can read it.
 */
export function slurmScript(options: SlurmScriptOptions): string {
  if (!Number.isInteger(options.tasks) || options.tasks < 1 || options.tasks > 100_000) {
    throw new UserError('invalid_argument', `--tasks must be a whole number from 1 to 100000, not ${options.tasks}.`);
  }
  if (options.time !== undefined && !/^(\d+-)?\d{1,2}(:\d{2}){0,2}$/.test(options.time)) {
    throw new UserError(
      'invalid_argument',
      `--time must be a Slurm time like 04:00:00 or 1-00:00:00, not "${options.time}".`,
    );
  }
  if (options.partition !== undefined && !/^[\w.-]+$/.test(options.partition)) {
    throw new UserError('invalid_argument', `--partition must be a partition name, not "${options.partition}".`);
  }
  const gpuFlags = options.gpus > 0 ? `--gpus ${Array.from({ length: options.gpus }, (_, i) => i).join(',')}` : '';
  return [
    '#!/bin/bash',
    '#SBATCH --job-name=ae-studio-worker',
    `#SBATCH --array=1-${options.tasks}`,
    ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
    ...(options.time ? [`#SBATCH --time=${options.time}`] : []),
    ...(options.gpus > 0 ? [`#SBATCH --gres=gpu:${options.gpus}`] : []),
    '#SBATCH --output=ae-studio-worker-%A_%a.log',
    '# Each task is one Autoencoder Studio lab worker: it takes one run from the hub, trains it, uploads it and ends.',
    '# The hub keeps the queue (retries, cancelling); Slurm only places the workers.',
    'set -euo pipefail',
    `export AE_STUDIO_DATA_DIR="\${TMPDIR:-/tmp}/ae-studio-worker-\${SLURM_ARRAY_JOB_ID}-\${SLURM_ARRAY_TASK_ID}"`,
    `exec ae-studio worker --hub ${quoted(options.hub)} --token ${quoted(options.token)} --once ${gpuFlags}`.trimEnd(),
    '',
  ].join('\n');
}

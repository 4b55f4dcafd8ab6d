import type { ImportProgress, LatentJobArgs, LatentProgress, RunSummary } from '../api/contract';
import { UserError } from '../api/errors';
import type { CliContext } from './command';
import { formatDuration, formatProgress, formatSweep } from './format';

/**
 * Following long work to its end through the API's events, printing progress on stderr. Ctrl+C asks the API to stop
 * or cancel it, as the app's buttons do, so nothing is left half-done.
 */

/**
 * Runs `work` with the first Ctrl+C doing `onInterrupt` instead of killing the process; a second one quits at once
 * (the work keeps what it had saved).
 */
async function interruptible<T>(onInterrupt: () => void, work: () => Promise<T>): Promise<T> {
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) {
      process.stderr.write('Quitting without waiting.\n');
      process.exit(130);
    }
    onInterrupt();
  };
  process.on('SIGINT', onSignal);
  try {
    return await work();
  } finally {
    process.off('SIGINT', onSignal);
  }
}

const finishedStatuses = new Set(['completed', 'stopped', 'failed', 'interrupted']);

/** Follows a run to its end, printing progress; Ctrl+C stops it after the current batch (its checkpoint stays). */
export async function followRun({ api, out }: CliContext, runId: number): Promise<RunSummary> {
  let lastPrinted = 0;
  let ended: () => void = () => {};
  const finished = new Promise<void>((resolve) => (ended = resolve));
  const unsubscribe = api.on('training:progress', (p) => {
    if (p.runId !== runId) return;
    if (p.phase === 'finished') ended();
    else if (p.phase === 'evaluating' || Date.now() - lastPrinted > 2000) {
      lastPrinted = Date.now();
      out.progress(formatProgress(p));
    }
  });
  try {
    // It may have ended before we listened.
    if (!finishedStatuses.has((await api.runs.get({ runId })).run.status)) {
      await interruptible(
        () => {
          out.progress('Stopping after the current batch…');
          void api.training.stop({ runId }).catch(() => {});
        },
        () => finished,
      );
    }
  } finally {
    unsubscribe();
  }
  return (await api.runs.get({ runId })).run;
}

/** Follows an import to its end; Ctrl+C cancels it and nothing is saved. */
export async function followImport({ api, out }: CliContext, jobId: number): Promise<ImportProgress> {
  let lastPrinted = 0;
  let ended: (p: ImportProgress) => void = () => {};
  const finished = new Promise<ImportProgress>((resolve) => (ended = resolve));
  const unsubscribe = api.on('import:progress', (p) => {
    if (p.jobId !== jobId) return;
    if (p.status !== 'running') return ended(p);
    if (Date.now() - lastPrinted < 1000) return;
    lastPrinted = Date.now();
    const eta = p.etaMs === null ? '' : `, ETA ${formatDuration(p.etaMs)}`;
    out.progress(`${p.phase} ${p.done}/${p.total}${p.skipped ? `, ${p.skipped} skipped` : ''}${eta}`);
  });
  try {
    return await interruptible(
      () => {
        out.progress('Cancelling the import…');
        void api.datasets.cancelImport({ jobId }).catch(() => {});
      },
      () => finished,
    );
  } finally {
    unsubscribe();
  }
}

/** Starts a latent-space job and follows it to its end; Ctrl+C cancels it and nothing is saved. */
export async function finishLatentJob({ api, out }: CliContext, args: LatentJobArgs): Promise<LatentProgress> {
  let lastPrinted = 0;
  const seen: LatentProgress[] = [];
  let jobId: number | undefined;
  let ended: (p: LatentProgress) => void = () => {};
  const finished = new Promise<LatentProgress>((resolve) => (ended = resolve));
  const onProgress = (p: LatentProgress) => {
    if (p.status !== 'running') return ended(p);
    if (Date.now() - lastPrinted < 1000) return;
    lastPrinted = Date.now();
    const eta = p.etaMs === null ? '' : `, ETA ${formatDuration(p.etaMs)}`;
    out.progress(`${p.phase}${p.total ? ` ${p.done}/${p.total}` : ''}${eta}`);
  };
  // Listen before starting: events that arrive before the job id is known are kept and replayed.
  const unsubscribe = api.on('latent:progress', (p) => {
    if (jobId === undefined) seen.push(p);
    else if (p.jobId === jobId) onProgress(p);
  });
  try {
    jobId = (await api.latent.start(args)).jobId;
    seen.filter((p) => p.jobId === jobId).forEach(onProgress);
    const progress = await interruptible(
      () => {
        out.progress('Cancelling…');
        void api.latent.cancel({ jobId: jobId! }).catch(() => {});
      },
      () => finished,
    );
    if (progress.status !== 'completed') {
      throw new UserError(progress.status === 'cancelled' ? 'cancelled' : 'internal', progress.error ?? 'It failed.');
    }
    return progress;
  } finally {
    unsubscribe();
  }
}

/** Follows a sweep's runs one after another; Ctrl+C stops the current run and leaves the rest queued. */
export async function followSweep(ctx: CliContext, sweepId: number): Promise<number> {
  const { api, out } = ctx;
  const summary = async () => (await api.sweeps.list()).find((s) => s.id === sweepId)!;
  for (const run of (await summary()).runs) {
    if (run.status !== 'queued' && run.status !== 'running') continue;
    if (!(await api.runs.get({ runId: run.runId })).run.inQueue) {
      out.progress(`Run ${run.runId} is being trained by another Autoencoder Studio process; not waiting for it.`);
      continue;
    }
    out.progress(
      `Run ${run.runId}: ${Object.entries(run.values)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
    const done = await followRun(ctx, run.runId);
    if (done.status === 'stopped') {
      out.progress(`Stopped. Continue later with: ae-studio resume-sweep ${sweepId}`);
      break;
    }
  }
  const sweep = await summary();
  out.result(sweep, formatSweep(sweep));
  return sweep.status === 'completed' ? 0 : 1;
}

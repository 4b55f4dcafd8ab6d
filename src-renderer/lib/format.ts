import { engineLabels, type EngineName } from '../../src-main/api/contract';

/** "1m 05s", "2h 03m", "12s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export function formatLoss(loss: number | null | undefined): string {
  if (loss === null || loss === undefined || !Number.isFinite(loss)) return '—';
  return loss < 0.001 ? loss.toExponential(2) : loss.toFixed(4);
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatRate(imagesPerSec: number | null | undefined): string {
  if (imagesPerSec === null || imagesPerSec === undefined) return '—';
  return `${formatCount(Math.round(imagesPerSec))} img/s`;
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** An engine's name as the app shows it ("Native CPU", "GPU (WebGPU)"); runs stored before it had names show as is. */
export function engineName(name: string | null | undefined): string {
  if (!name) return '—';
  return name in engineLabels ? engineLabels[name as EngineName] : name;
}

/** Whether a run has any checkpoint to open in Results or on the map (one inside an unfinished epoch counts). */
export function hasCheckpoint(run: { epochsDone: number; checkpointInside: unknown }): boolean {
  return run.epochsDone > 0 || run.checkpointInside !== null;
}

/** How much of the whole run a progress report has trained, 0 to 1: the Train screen and the status bar agree. */
export function trainedFraction(progress: { epoch: number; epochs: number; batch: number; batches: number }): number {
  return (progress.epoch - 1 + progress.batch / Math.max(1, progress.batches)) / Math.max(1, progress.epochs);
}

/** An accuracy or share as a percentage with one decimal: "78.2%". */
export function formatPercent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

import type {
  DatasetSummary,
  ImportReport,
  ProjectionSummary,
  RunComparison,
  RunSummary,
  SweepSummary,
  TrainingProgress,
} from '../api/contract';
import { describeImagesOf, penaltyNames, sweepValueText, type SweepParam } from '../api/contract';
import { countOf } from '../api/units';

/** How the CLI writes what it knows as text; --json prints the same values as data instead. */

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function formatProgress(p: TrainingProgress): string {
  const loss = p.trainLoss === null ? '' : ` loss ${p.trainLoss.toFixed(5)}`;
  const test = p.testLoss === null ? '' : ` test ${p.testLoss.toFixed(5)}`;
  const rate = p.imagesPerSec === null ? '' : ` ${Math.round(p.imagesPerSec)} img/s`;
  const eta = p.etaMs === null ? '' : ` ETA ${formatDuration(p.etaMs)}`;
  return `run ${p.runId} epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches}${loss}${test}${rate}${eta}`;
}

export function formatRun(run: RunSummary): string {
  const { penalty } = run;
  const kind = penalty?.includedInLoss ? ` (includes ${penaltyNames[penalty.term]})` : '';
  const extra =
    penalty && !penalty.includedInLoss && penalty.finalTest !== null
      ? `, ${penaltyNames[penalty.term]} ${penalty.finalTest.toFixed(5)}`
      : '';
  const loss = run.finalTestLoss === null ? '' : `  test loss ${run.finalTestLoss.toFixed(5)}${kind}${extra}`;
  const error = run.error ? `\n      ${run.error}` : run.note ? `\n      ${run.note}` : '';
  return `#${run.id}  ${run.status.padEnd(11)} ${run.epochsDone}/${run.epochs} epochs  ${run.name}${loss}${error}`;
}

export function formatDatasetLine(d: DatasetSummary): string {
  return `#${d.id}  ${d.name}  ${d.width}x${d.height}x${d.channels}  ${d.trainCount} train / ${d.testCount} test  ${countOf(d.classNames.length, 'class', 'classes')}`;
}

export function formatDataset(dataset: DatasetSummary, report: ImportReport | null | undefined): string {
  const classes = dataset.classNames
    .map((name, i) => `  ${name}: ${dataset.classCounts.train[i]} train, ${dataset.classCounts.test[i]} test`)
    .join('\n');
  const skipped = report?.skipped.length
    ? `\nSkipped ${report.skipped.length} files:\n${report.skipped.map((s) => `  ${s.path}: ${s.reason}`).join('\n')}`
    : '';
  const notes = report?.notes?.length ? `\n${report.notes.map((note) => `Note: ${note}`).join('\n')}` : '';
  return `#${dataset.id} ${dataset.name}  ${dataset.width}x${dataset.height}x${dataset.channels}  ${dataset.trainCount} train / ${dataset.testCount} test\n${classes}${notes}${skipped}`;
}

export function formatSweep(sweep: SweepSummary): string {
  const rows = sweep.runs.map((r) => {
    const values = Object.entries(r.values)
      .map(([k, v]) => `${k}=${sweepValueText(k as SweepParam, v)}`)
      .join(', ');
    const loss = r.finalTestLoss === null ? '—' : r.finalTestLoss.toFixed(5);
    return `  #${r.runId}  ${values.padEnd(22)} ${r.status.padEnd(11)} ${r.epochsDone}/${r.epochs} epochs  test loss ${loss}`;
  });
  return [`Sweep ${sweep.id} (${sweep.status}): ${sweep.name}`, ...rows].join('\n');
}

export function formatComparison(c: RunComparison): string {
  const head = c.runs.map(
    (r) =>
      `#${r.id}  ${r.name}\n      final test loss ${r.finalTestLoss?.toFixed(5) ?? '—'}, best ${r.bestTestLoss?.toFixed(5) ?? '—'}, ` +
      `${r.finalTestPsnr === null ? '' : `PSNR ${r.finalTestPsnr.toFixed(2)} dB, `}` +
      `${r.finalTestSsim === null ? '' : `SSIM ${r.finalTestSsim.toFixed(4)}, `}` +
      `${r.epochsDone}/${r.epochs} epochs, ${r.status}` +
      (r.probe
        ? `\n      codes at epoch ${r.probe.epoch}: k-NN ${(r.probe.knnAccuracy * 100).toFixed(1)}%, ` +
          `linear probe ${(r.probe.linearAccuracy * 100).toFixed(1)}% (chance ${(r.probe.chance * 100).toFixed(1)}%)`
        : ''),
  );
  const diff = c.differences.length
    ? ['Settings that differ:', ...c.differences.map((d) => `  ${d.label}: ${d.values.join(' | ')}`)]
    : ['Their settings are the same.'];
  const losses = new Set(c.runs.map((r) => r.loss));
  const warning =
    losses.size > 1 ? ['', 'Their losses differ (MSE and cross-entropy): the loss values are not comparable.'] : [];
  return [...head, '', ...diff, ...warning].join('\n');
}

export function formatProjection(p: ProjectionSummary): string {
  const settings =
    p.settings.method === 'tsne'
      ? `t-SNE perplexity ${p.settings.perplexity}, ${p.settings.iterations} iterations, seed ${p.settings.seed}`
      : p.settings.method === 'umap'
        ? `UMAP ${p.settings.nNeighbors} neighbours, min dist ${p.settings.minDist}, seed ${p.settings.seed}`
        : `PCA, explained variance ${(p.explainedVariance ?? []).map((v) => `${(v * 100).toFixed(1)}%`).join(' + ')}`;
  return `Map #${p.id}: ${describeImagesOf(p.split, p.sample)} (${p.count}) at epoch ${p.epoch}, ${settings} (${formatDuration(p.elapsedMs)})`;
}

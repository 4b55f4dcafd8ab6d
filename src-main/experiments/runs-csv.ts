import type { CsvExport, RunsCsvArgs, RunSummary, TrainingConfig } from '../api/contract';
import { toCsv } from '../app/csv';
import type { Database } from '../store/database';
import { listMetrics } from '../store/metrics';
import * as runs from '../store/runs';
import { listRunSummaries, parseConfig } from '../runs/run-summaries';
import { settingLeaves } from '../runs/run-compare';

type Cell = string | number | null;

/** What the Runs table shows, as columns: the same names in both files so they join on run_id. */
const runColumns: Array<[string, (run: RunSummary) => Cell]> = [
  ['run_id', (r) => r.id],
  ['name', (r) => r.name],
  ['status', (r) => r.status],
  ['dataset_id', (r) => r.datasetId],
  ['dataset', (r) => r.datasetName],
  ['model', (r) => r.model],
  ['tags', (r) => r.tags.join('; ')],
  ['sweep_id', (r) => r.sweepId],
  ['engine', (r) => r.engine],
  ['epochs_done', (r) => r.epochsDone],
  ['final_train_loss', (r) => r.finalTrainLoss],
  ['final_test_loss', (r) => r.finalTestLoss],
  ['final_test_psnr', (r) => r.finalTestPsnr],
  ['final_test_ssim', (r) => r.finalTestSsim],
  ['probe_epoch', (r) => r.probe?.epoch ?? null],
  ['knn_accuracy', (r) => r.probe?.knnAccuracy ?? null],
  ['linear_probe_accuracy', (r) => r.probe?.linearAccuracy ?? null],
  ['chance_accuracy', (r) => r.probe?.chance ?? null],
  ['best_test_loss', (r) => r.bestTestLoss],
  // A sparse or variational run's penalty term, apart from the losses (which compare across runs without it).
  ['penalty_term', (r) => r.penalty?.term ?? null],
  ['final_train_penalty', (r) => r.penalty?.finalTrain ?? null],
  ['final_test_penalty', (r) => r.penalty?.finalTest ?? null],
  ['training_seconds', (r) => (r.trainingMs === null ? null : Math.round(r.trainingMs / 100) / 10)],
  ['created_at', (r) => r.createdAt],
  ['finished_at', (r) => r.finishedAt],
];

/**
 * The open project's runs for pandas or Tableau: one row per run (the Runs table) or one per run and epoch (every
 * epoch's losses), each with the run's whole config as columns (`config.learningRate`, `config.model.latent`,
 * layer lists as JSON), so runs can be grouped and coloured by any setting without the app.
 */
export function runsCsv(db: Database, { per }: RunsCsvArgs): CsvExport {
  const summaries = listRunSummaries(db);
  const stored = new Map(runs.listRuns(db).map((row) => [row.id, row]));
  const configs = new Map(summaries.map((run) => [run.id, configCells(parseConfig(stored.get(run.id)!))]));
  // Every setting any run has, in the order they first appear: older runs lack newer settings (empty cells).
  const settings = [...new Set([...configs.values()].flatMap((config) => [...config.keys()]))];
  const settingCells = (run: RunSummary) => settings.map((key) => configs.get(run.id)!.get(key) ?? null);
  const base = (run: RunSummary) => runColumns.map(([, cell]) => cell(run));
  const date = new Date().toISOString().slice(0, 10);
  if (per === 'run') {
    const rows = summaries.map((run) => [...base(run), ...settingCells(run)]);
    return {
      csv: toCsv([...runColumns.map(([name]) => name), ...settings], rows),
      fileName: `runs-${date}.csv`,
      rows: rows.length,
    };
  }
  const epochColumns = [
    'epoch',
    'train_loss',
    'test_loss',
    'train_penalty',
    'test_penalty',
    'learning_rate',
    'test_psnr',
    'test_ssim',
    'images_per_sec',
    'epoch_seconds',
  ];
  const rows = summaries.flatMap((run) =>
    listMetrics(db, run.id, 'epoch').map((metric) => [
      ...base(run).slice(0, 2),
      metric.epoch,
      metric.trainLoss,
      metric.testLoss,
      metric.trainPenalty ?? null,
      metric.testPenalty ?? null,
      metric.learningRate ?? null,
      metric.testPsnr ?? null,
      metric.testSsim ?? null,
      metric.imagesPerSec === null ? null : Math.round(metric.imagesPerSec),
      Math.round(metric.elapsedMs / 100) / 10,
      ...settingCells(run),
    ]),
  );
  return {
    csv: toCsv(['run_id', 'name', ...epochColumns, ...settings], rows),
    fileName: `run-epochs-${date}.csv`,
    rows: rows.length,
  };
}

/** `config.` + each setting's path; lists (the layers) stay whole, as JSON. */
function configCells(config: TrainingConfig): Map<string, Cell> {
  const cell = (leaf: unknown): Cell =>
    leaf === null || leaf === undefined
      ? null
      : Array.isArray(leaf)
        ? JSON.stringify(leaf)
        : typeof leaf === 'number'
          ? leaf
          : String(leaf);
  return new Map([...settingLeaves(config, 'config')].map(([path, leaf]) => [path, cell(leaf)]));
}

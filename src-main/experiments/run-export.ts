import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as metrics from '../store/metrics';
import * as checkpoints from '../store/checkpoints';
import { insertArtifact, listArtifacts } from '../store/artifacts';
import { getDataset, listDatasets } from '../store/datasets';
import { countImages } from '../store/images';
import { openPixelCache } from '../datasets/dataset-store';
import { dataLayout } from '../app/paths';
import { copyFollowingLinks, temporarySibling } from '../app/files';
import { rememberOutsideTemporary } from '../app/outside-temporaries';
import { readUserFile, writeFailure } from '../app/user-file';
import { requireFreeSpace } from '../app/storage-errors';
import { UserError } from '../api/errors';
import { countOf } from '../api/units';
import type { RunExport, RunExportArgs, RunSummary } from '../api/contract';
import { trainingConfigSchema } from '../models/training-config';
import { getRunSummary } from '../runs/run-summaries';
import type { TrainingSupervisor } from '../training/training-supervisor';
import { toCsv } from '../app/csv';
import {
  checkPlainFiles,
  listedStoreFiles,
  describeManifestProblem,
  runFormat,
  runFormatVersion,
  runManifestSchema,
  runMetricsSchema,
  type RunManifest,
  type RunMetrics,
} from './run-manifest';
import { imageGridPng, crispScale } from '../evaluation/figure-png';

const slug = (name: string) =>
  name
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'run';

/**
 * Writes a run as a self-contained folder: run.json (config, labels, dataset identity), metrics.json and
 * Tableau-friendly CSVs, every checkpoint (tfjs layers format, optimizer state included, so the run can be resumed
 * elsewhere), model/ (the last checkpoint's model alone, for use with tfjs), and each epoch's gallery as PNG. The
 * folder is assembled under a temporary name and renamed into place, so it exists whole or not at all.
 */
export async function exportRun(db: Database, dataDir: string, args: RunExportArgs): Promise<RunExport> {
  const { run, dataset, target } = exportTarget(db, args, '');
  const runDir = dataLayout(dataDir).runDir(run.id);
  await writeFolderWhole(dataDir, target, async (tmp) => {
    mkdirSync(join(tmp, 'store'));
    const saved = checkpoints.listCheckpoints(db, run.id);
    const galleries = listArtifacts(db, run.id, 'reconstructions');
    // The store's own files, under the same relative paths they have in the run's folder.
    const copy = (path: string) => {
      const from = join(dataDir, path);
      const rel = relative(runDir, from);
      copyFollowingLinks(from, join(tmp, 'store', rel));
      // Forward slashes whatever the OS, so an export made on Windows imports anywhere.
      return rel.split(sep).join('/');
    };
    const manifest: RunManifest = {
      format: runFormat,
      version: runFormatVersion,
      name: run.name,
      notes: run.notes,
      tags: JSON.parse(run.tags) as string[],
      status: run.status,
      engine: run.engine,
      epochsDone: run.epochsDone,
      finalTrainLoss: run.finalTrainLoss,
      finalTestLoss: run.finalTestLoss,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      dataset: {
        name: dataset.name,
        width: dataset.width,
        height: dataset.height,
        channels: dataset.channels,
        classNames: dataset.classNames,
        images: countImages(db, dataset.id),
      },
      config: JSON.parse(run.config),
      checkpoints: saved.map((c) => ({
        epoch: c.epoch,
        path: copy(c.path),
        ...(c.batchesDone === null ? {} : { inside: { done: c.batchesDone, total: c.batchesTotal ?? 1 } }),
      })),
      galleries: galleries.map((g) => ({ epoch: g.epoch, path: copy(g.path), meta: JSON.parse(g.meta) })),
    };
    writeFileSync(join(tmp, 'run.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(manifest.config, null, 2));

    const epochRows = metrics.listMetrics(db, run.id, 'epoch');
    const batchRows = metrics.listMetrics(db, run.id, 'batch');
    writeFileSync(join(tmp, 'metrics.json'), JSON.stringify({ epochs: epochRows, batches: batchRows }));
    writeFileSync(
      join(tmp, 'metrics-epochs.csv'),
      toCsv(
        ['run_id', 'run_name', 'epoch', 'train_loss', 'test_loss', 'train_penalty', 'test_penalty'].concat([
          'learning_rate',
          'test_psnr',
          'test_ssim',
          'images_per_sec',
          'elapsed_s',
        ]),
        epochRows.map((m) => [
          run.id,
          run.name,
          m.epoch,
          m.trainLoss,
          m.testLoss,
          m.trainPenalty ?? null,
          m.testPenalty ?? null,
          m.learningRate ?? null,
          m.testPsnr ?? null,
          m.testSsim ?? null,
          m.imagesPerSec,
          m.elapsedMs / 1000,
        ]),
      ),
    );
    writeFileSync(
      join(tmp, 'metrics-batches.csv'),
      toCsv(
        ['run_id', 'run_name', 'step', 'epoch', 'train_loss', 'elapsed_s'],
        batchRows.map((m) => [run.id, run.name, m.step, m.epoch, m.trainLoss, m.elapsedMs / 1000]),
      ),
    );
    const last = saved.at(-1);
    if (last) {
      mkdirSync(join(tmp, 'model'));
      for (const file of ['model.json', 'weights.bin'])
        copyFileSync(join(dataDir, last.path, file), join(tmp, 'model', file));
    }
    const cache = openPixelCache(dataDir, dataset);
    try {
      for (const gallery of galleries) {
        const { cacheIndices } = JSON.parse(gallery.meta) as { cacheIndices: number[] };
        const png = await imageGridPng({
          rows: [cache.read(cacheIndices), readFileSync(join(dataDir, gallery.path))],
          width: dataset.width,
          height: dataset.height,
          channels: dataset.channels,
          scale: crispScale(dataset.width),
        });
        writeFileSync(join(tmp, `reconstructions-epoch-${String(gallery.epoch).padStart(4, '0')}.png`), png);
      }
    } finally {
      cache.close();
    }
  });
  return { path: target, files: listFiles(target), notes: [] };
}

/** The run an export is of and the folder it will be (named after the run, plus `suffix`), or why it cannot be. */
export function exportTarget(db: Database, args: RunExportArgs, suffix: string) {
  const run = runs.getRun(db, args.runId);
  if (!run) throw new UserError('not_found', `There is no run with id ${args.runId}.`);
  if (run.status === 'running' || run.status === 'queued') {
    throw new UserError('conflict', `Run ${run.id} is ${run.status}; export it once it has stopped or finished.`);
  }
  const parent = resolve(args.dir);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new UserError('not_found', `The folder ${parent} does not exist.`);
  }
  const dataset = getDataset(db, run.datasetId);
  if (!dataset) throw new UserError('not_found', `The dataset of run ${run.id} no longer exists.`);
  const target = join(parent, `run-${run.id}-${slug(run.name)}${suffix}`);
  // Never into or over something the user has.
  if (existsSync(target)) throw new UserError('conflict', `${target} already exists; choose another folder.`);
  return { run, dataset, target };
}

/**
 * Fills a new folder and puts it at `target` whole or not at all: it is assembled under a temporary name beside its
 * final place (the rename must not cross disks), recorded so a kill's leftover is removed at the next start, and
 * renamed into place only once complete.
 */
export async function writeFolderWhole(
  dataDir: string,
  target: string,
  fill: (dir: string) => Promise<void>,
): Promise<void> {
  const tmp = temporarySibling(target);
  const forget = rememberOutsideTemporary(dataDir, tmp);
  try {
    mkdirSync(tmp, { recursive: true });
    await fill(tmp);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    // A full disk, a failing one, a folder not ours to write: named for the folder written to, in words.
    throw writeFailure(err, 'The export', dirname(target));
  } finally {
    forget();
  }
}

export function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory() ? listFiles(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
    )
    .sort();
}

function readManifest(dir: string): RunManifest {
  const file = join(dir, 'run.json');
  if (!existsSync(file)) throw new UserError('invalid_argument', `${dir} is not an exported run: it has no run.json.`);
  const parsed = runManifestSchema.safeParse(readJson(file, 10e6, 'The run description'));
  if (!parsed.success) {
    const fields = parsed.error.issues[0]?.path ?? [];
    if (fields[0] === 'format') throw new UserError('invalid_argument', `${file} is not an Autoencoder Studio run.`);
    if (fields[0] === 'version') {
      throw new UserError(
        'invalid_argument',
        `${file} was written by a newer Autoencoder Studio; update the app first.`,
      );
    }
    throw describeManifestProblem(file, parsed.error);
  }
  return parsed.data;
}

function readJson(file: string, maxBytes: number, what: string): unknown {
  try {
    return JSON.parse(readUserFile(file, maxBytes, what).toString('utf8'));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      'invalid_argument',
      `${file} cannot be read as an exported run (${(err as Error).message.split('\n')[0]}).`,
    );
  }
}

/**
 * Adds an exported run to this store as a new run. It needs the same dataset (matched by name, image size, classes
 * and image count, or failing the name, by the rest): the app stores images once per dataset, so import the dataset
 * first. Files are copied before the rows are written in one transaction; a failure leaves nothing behind.
 */
export function importRun(
  db: Database,
  dataDir: string,
  supervisor: TrainingSupervisor | undefined,
  dir: string,
  options: { again?: boolean } = {},
): RunSummary {
  const exported = readExportedRun(dir, dataDir);
  const { manifest, config } = exported;
  const wanted = manifest.dataset;
  const fits = (d: ReturnType<typeof listDatasets>[number]) =>
    d.width === wanted.width &&
    d.height === wanted.height &&
    d.channels === wanted.channels &&
    JSON.stringify(d.classNames) === JSON.stringify(wanted.classNames) &&
    countImages(db, d.id) === wanted.images;
  const candidates = listDatasets(db).filter(fits);
  const dataset = candidates.find((d) => d.name === wanted.name) ?? candidates[0];
  if (!dataset) {
    throw new UserError(
      'not_found',
      `This run was trained on "${wanted.name}" (${wanted.images} images of ${wanted.width}x${wanted.height}, ` +
        `${countOf(wanted.classNames.length, 'class', 'classes')}), which is not in this store. Import that dataset first.`,
    );
  }
  // The same run (created at the same moment, same settings, as far trained) imported before, or never exported
  // from here: a second copy is almost always a mistake, so it is refused unless asked for.
  const existing = runs
    .listRuns(db)
    .find(
      (run) =>
        run.createdAt === manifest.createdAt &&
        run.epochsDone === manifest.epochsDone &&
        JSON.stringify(trainingConfigSchema.safeParse(JSON.parse(run.config)).data) === config,
    );
  if (existing && !options.again) {
    throw new UserError(
      'conflict',
      `This run is already here: run ${existing.id}, "${existing.name}", with the same settings and ` +
        `${countOf(existing.epochsDone, 'epoch')} trained. Import it again only to keep a second copy.`,
    );
  }
  const runId = storeExportedRun(db, dataDir, exported, () => {
    const id = runs.insertRun(db, {
      datasetId: dataset.id,
      name: existing ? `${manifest.name} (copy)` : manifest.name,
      config,
    });
    runs.updateRunLabels(db, id, { notes: manifest.notes, tags: manifest.tags });
    return id;
  });
  return getRunSummary(db, runId, supervisor);
}

/** An exported run's folder, read and checked: nothing in it is trusted until this has passed. */
export interface ExportedRun {
  source: string;
  manifest: RunManifest;
  /** The run's config as this version stores it. */
  config: string;
  epochs: RunMetrics['epochs'];
  batches: RunMetrics['batches'];
  files: Array<{ path: string; bytes: number }>;
}

/** Reads and checks an exported run's folder, and that its files fit in `dataDir`'s disk. */
export function readExportedRun(dir: string, dataDir: string): ExportedRun {
  const source = resolve(dir);
  const manifest = readManifest(source);
  const parsed = trainingConfigSchema.safeParse(manifest.config);
  if (!parsed.success)
    throw new UserError('invalid_argument', `The run's config.json is not valid: ${parsed.error.issues[0]?.message}`);
  const metricsFile = join(source, 'metrics.json');
  const parsedMetrics = runMetricsSchema.safeParse(readJson(metricsFile, 500e6, "The run's metrics"));
  if (!parsedMetrics.success) throw describeManifestProblem(metricsFile, parsedMetrics.error);
  checkPlainFiles(join(source, 'store'));
  // Only what the manifest lists, each file the size it must be, and only if it fits on the disk.
  const files = listedStoreFiles(source, manifest);
  requireFreeSpace(
    dataDir,
    files.reduce((sum, file) => sum + file.bytes, 0),
    'Importing this run',
  );
  return { source, manifest, config: JSON.stringify(parsed.data), ...parsedMetrics.data, files };
}

/**
 * Stores an exported run's files and rows under the run `rowFor` makes or names (called inside the transaction). Files
 * first, under a temporary name beside the runs; then, in one transaction, every row and, last, the rename to the run's
 * folder. A kill before the commit leaves a temporary (removed at the next start) or a run folder with no row (removed
 * at the next start: training/checkpoint-retention.ts); after it, the whole run. Never rows without their files.
 */
export function storeExportedRun(
  db: Database,
  dataDir: string,
  run: ExportedRun,
  rowFor: () => number,
  options: { keepCreatedAt?: boolean } = {},
): number {
  const { source, manifest, epochs, batches, files } = run;
  // A run exported mid-training comes back as interrupted: it can be resumed from its last checkpoint.
  const status = manifest.status === 'running' || manifest.status === 'queued' ? 'interrupted' : manifest.status;
  const runsDir = join(dataDir, 'runs');
  mkdirSync(runsDir, { recursive: true });
  const staging = temporarySibling(join(runsDir, 'import'));
  for (const file of files) {
    mkdirSync(dirname(join(staging, file.path)), { recursive: true });
    copyFileSync(join(source, 'store', file.path), join(staging, file.path));
  }
  try {
    return db.transaction(() => {
      const id = rowFor();
      db.prepare(
        `UPDATE runs SET status = ?, engine = ?, epochs_done = ?, final_train_loss = ?, final_test_loss = ?,
           created_at = coalesce(?, created_at), started_at = ?, finished_at = ? WHERE id = ?`,
      ).run(
        status,
        manifest.engine,
        manifest.epochsDone,
        manifest.finalTrainLoss,
        manifest.finalTestLoss,
        options.keepCreatedAt ? null : manifest.createdAt,
        manifest.startedAt,
        manifest.finishedAt,
        id,
      );
      const inRun = (path: string) => relative(dataDir, join(dataLayout(dataDir).runDir(id), path));
      // A run that had rows before (a lab run's streamed epochs) gets exactly the export's.
      metrics.deleteMetrics(db, id);
      for (const m of [...epochs, ...batches]) metrics.insertMetric(db, id, m);
      for (const c of manifest.checkpoints) {
        checkpoints.insertCheckpoint(db, id, c.epoch, inRun(c.path), c.inside ?? null);
      }
      for (const g of manifest.galleries) {
        insertArtifact(db, { runId: id, kind: 'reconstructions', epoch: g.epoch, path: inRun(g.path), meta: g.meta });
      }
      renameSync(staging, dataLayout(dataDir).runDir(id));
      return id;
    })();
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { UserError } from '../api/errors';
import { openReadOnlyShadow } from '../store/read-only-copy';
import { openDatabase, type Database } from '../store/database';
import { dataLayout } from '../app/paths';
import { removeStaleTemporaries } from '../app/files';
import { explainStorageError } from '../app/storage-errors';
import { removeOrphanedRunFiles } from '../training/checkpoint-retention';
import { removeAbandonedOutsideTemporaries } from '../app/outside-temporaries';
import { removeAbandonedImports } from '../datasets/dataset-store';
import { ensureSampleDataset } from '../datasets/sample-dataset';
import { ImportJobs } from '../datasets/import-jobs';
import { LatentJobs } from '../latent/latent-jobs';
import { EvaluationClient } from '../evaluation/evaluation-client';
import { resumeUnfinished } from '../experiments/sweeps';
import { reconcileStaleRuns, TrainingSupervisor } from '../training/training-supervisor';
import type { SpawnWorker } from '../worker/protocol';
import { ChangeFeed, pruneChanges, type StoreChanges } from '../store/change-feed';
import { Listeners } from '../app/job-registry';
import { RunSummaries } from '../runs/run-summaries';

/**
 * Makes sure the data folder exists and is a folder; false when it exists but cannot be written (read-only disk or
 * folder). A file in the way is the user's to fix, and said in words.
 */
function prepareDataDir(dataDir: string): boolean {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new UserError(
        'store_unavailable',
        `The data folder ${dataDir} is a file, not a folder. Choose a folder (--data-dir).`,
      );
    }
    if (code === 'ENOTDIR') {
      throw new UserError(
        'store_unavailable',
        `The data folder ${dataDir} cannot be made: a part of that path is a file, not a folder. Choose another folder (--data-dir).`,
      );
    }
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') throw err;
    if (!existsSync(dataDir)) {
      throw new UserError(
        'store_unavailable',
        `The data folder ${dataDir} cannot be made (${code === 'EROFS' ? 'read-only disk' : 'permission denied'}). Choose another folder (--data-dir).`,
      );
    }
  }
  try {
    accessSync(dataDir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Everything the API works on, opened once per app launch (desktop, browser mode, CLI or test). */
export interface Services {
  /** Where the services read and write: the data folder, or for a read-only one its shadow (read-only-copy.ts). */
  readonly dataDir: string;
  /** The data folder the user opened, as the app names it. */
  readonly shownDataDir: string;
  /** The data folder cannot be written (a read-only disk or share): everything can be looked at, nothing changed. */
  readonly readOnly: boolean;
  readonly db: Database;
  readonly supervisor: TrainingSupervisor;
  readonly imports: ImportJobs;
  /** Encoding runs' images and laying the codes out in 2-D. */
  readonly latent: LatentJobs;
  /** The results views: reconstructions, PCA baseline, filters, decoding codes, from any checkpoint. */
  readonly evaluation: EvaluationClient;
  /** The runs table's rows, kept and read again as they change. */
  readonly runSummaries: RunSummaries;
  /**
   * Tells `listener` what changed in the store — runs, datasets, sweeps, maps, projects — whoever changed it (this
   * process, a worker, a CLI command, another window), within `storeWatchMs`.
   */
  onStoreChange(listener: (changes: StoreChanges) => void): () => void;
  /** Stops training (its last checkpoint is kept), cancels imports and closes the store. */
  close(): Promise<void>;
}

/** How often the store's change log is read; the windows hear of a change within this long. */
const storeWatchMs = 1500;
/** How often the change log drops what no reader still needs. */
const pruneEveryMs = 60_000;

export interface ServiceOptions {
  dataDir: string;
  /** How a training process is started: a Node child process, or Electron's utilityProcess. */
  spawnWorker: SpawnWorker;
  /** Register the bundled sample dataset on first launch (on by default). */
  sampleDataset?: boolean;
  /**
   * Put runs left queued back on the queue and resume sweeps a crash interrupted (the app and browser mode; a CLI
   * command that only lists or exports must not start training).
   */
  resumeQueue?: boolean;
}

export function openServices(options: ServiceOptions): Services {
  const { dataDir } = options;
  if (!prepareDataDir(dataDir)) {
    // Nothing is cleaned up or added in a folder that cannot be written: it is shown as it is, with the runs a killed
    // process left running shown as interrupted, and what is computed to look at goes into a temporary shadow.
    const shadow = openReadOnlyShadow(dataDir, (writable) => reconcileStaleRuns(writable));
    return assemble({ ...options, dataDir: shadow.dataDir }, shadow.db, true, shadow.dispose, dataDir);
  }
  const db = openDatabase(dataLayout(dataDir).database);
  try {
    // Leftovers of processes that are gone (crash, kill): half-written files (also a half-written export in the
    // user's folder) and half-imported datasets go, runs whose worker died become resumable.
    // (runs/<id>/checkpoints/<epoch> is the deepest place a temporary is written.)
    removeStaleTemporaries(dataDir, 3);
    removeAbandonedOutsideTemporaries(dataDir);
    removeAbandonedImports(db, dataDir);
    reconcileStaleRuns(db);
    // Run folders and checkpoints a kill left without their rows (deleting, freeing space, importing a run).
    removeOrphanedRunFiles(db, dataDir);
    if (options.sampleDataset ?? true) ensureSampleDataset(db, dataDir);
  } catch (err) {
    db.close();
    // A damaged store or a full disk met during start-up's clean-up is said in words, as any later call's would be.
    throw explainStorageError(err, dataDir, 'The experiment store cannot be opened');
  }
  const services = assemble(options, db, false, () => {});
  if (options.resumeQueue) resumeUnfinished(db, services.supervisor);
  return services;
}

function assemble(
  options: ServiceOptions,
  db: Database,
  readOnly: boolean,
  disposeStore: () => void,
  shownDataDir = options.dataDir,
): Services {
  const { dataDir } = options;
  const supervisor = new TrainingSupervisor(db, dataDir, options.spawnWorker);
  const imports = new ImportJobs(db, dataDir);
  const latent = new LatentJobs(db, dataDir, options.spawnWorker);
  const evaluation = new EvaluationClient(dataDir, options.spawnWorker);
  const storeChanges = new Listeners<StoreChanges>();
  const stopWatching = watchChanges(db, readOnly, (changes) => storeChanges.emit(changes));
  let closing: Promise<void> | undefined;
  return {
    dataDir,
    shownDataDir,
    readOnly,
    db,
    supervisor,
    imports,
    latent,
    evaluation,
    runSummaries: new RunSummaries(db, supervisor),
    onStoreChange: (listener) => storeChanges.add(listener),
    close() {
      stopWatching();
      evaluation.close();
      closing ??= Promise.all([supervisor.close(), imports.close(), latent.close()]).then(() => {
        db.close();
        disposeStore();
      });
      return closing;
    },
  };
}

/** Reads the change log every `storeWatchMs` and passes on what changed; a writable store's log is pruned now and then. */
function watchChanges(db: Database, readOnly: boolean, onChange: (changes: StoreChanges) => void): () => void {
  const feed = new ChangeFeed(db);
  let lastPrune = 0;
  const timer = setInterval(() => {
    let changes: StoreChanges | null;
    try {
      changes = feed.read();
      if (!readOnly && Date.now() - lastPrune > pruneEveryMs) {
        lastPrune = Date.now();
        pruneChanges(db);
      }
    } catch {
      return; // Closing, or the disk is full: the next look (or the next start) reads the store afresh anyway.
    }
    if (changes) onChange(changes);
  }, storeWatchMs);
  timer.unref();
  return () => clearInterval(timer);
}

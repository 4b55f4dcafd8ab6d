import { mkdirSync } from 'node:fs';
import { openDatabase, type Database } from '../store/database';
import { dataLayout } from '../app/paths';
import { removeStaleTemporaries } from '../app/files';
import { removeAbandonedOutsideTemporaries } from '../app/outside-temporaries';
import { removeAbandonedImports } from '../datasets/dataset-store';
import { ensureSampleDataset } from '../datasets/sample-dataset';
import { ImportJobs } from '../datasets/import-jobs';
import { LatentJobs } from '../latent/latent-jobs';
import { EvaluationClient } from '../evaluation/evaluation-client';
import { resumeUnfinished } from '../experiments/sweeps';
import { reconcileStaleRuns, TrainingSupervisor } from '../training/training-supervisor';
import type { SpawnWorker } from '../worker/protocol';

/** Everything the API works on, opened once per app launch (desktop, browser mode, CLI or test). */
export interface Services {
  readonly dataDir: string;
  readonly db: Database;
  readonly supervisor: TrainingSupervisor;
  readonly imports: ImportJobs;
  /** Encoding runs' images and laying the codes out in 2-D. */
  readonly latent: LatentJobs;
  /** The results views: reconstructions, PCA baseline, filters, decoding codes, from any checkpoint. */
  readonly evaluation: EvaluationClient;
  /** Stops training (its last checkpoint is kept), cancels imports and closes the store. */
  close(): Promise<void>;
}

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
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(dataLayout(dataDir).database);
  try {
    // Leftovers of processes that are gone (crash, kill): half-written files (also a half-written export in the
    // user's folder) and half-imported datasets go, runs whose worker died become resumable. (runs/<id>/checkpoints/<epoch> is the deepest place a temporary is written.)
    removeStaleTemporaries(dataDir, 3);
    removeAbandonedOutsideTemporaries(dataDir);
    removeAbandonedImports(db, dataDir);
    reconcileStaleRuns(db);
    if (options.sampleDataset ?? true) ensureSampleDataset(db, dataDir);
  } catch (err) {
    db.close();
    throw err;
  }
  const supervisor = new TrainingSupervisor(db, dataDir, options.spawnWorker);
  if (options.resumeQueue) resumeUnfinished(db, supervisor);
  const imports = new ImportJobs(db, dataDir);
  const latent = new LatentJobs(db, dataDir, options.spawnWorker);
  const evaluation = new EvaluationClient(dataDir, options.spawnWorker);
  let closing: Promise<void> | undefined;
  return {
    dataDir,
    db,
    supervisor,
    imports,
    latent,
    evaluation,
    close() {
      evaluation.close();
      closing ??= Promise.all([supervisor.close(), imports.close(), latent.close()]).then(() => {
        db.close();
      });
      return closing;
    },
  };
}

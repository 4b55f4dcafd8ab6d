import { statement, type Database } from './database';
import { currentProjectSql } from './projects';
import { runColumns, type RunRow } from './runs';

/** A run as the runs table lists it: its row, and what the list shows from its metrics and checkpoints. */
export interface RunListRow extends RunRow {
  /** Lowest per-epoch test loss, and the training time so far (the last epoch's elapsed time). */
  bestTestLoss: number | null;
  trainingMs: number | null;
  /** The last epoch's metrics row's penalties as JSON `[train, test]`; null before the first epoch. */
  lastPenalties: string | null;
  /** The last epoch's row's test image quality as JSON `[psnr, ssim]`; null before the first epoch. */
  lastQuality: string | null;
  /** The latest epoch's code probe as a JSON object; null when none was kept. */
  lastProbe: string | null;
  /** The epochs with a checkpoint, comma-separated in order; null when there is none. */
  checkpointEpochs: string | null;
  /** The last checkpoint as a JSON CheckpointRow (store/checkpoints.ts); null when there is none. */
  lastCheckpoint: string | null;
  /** Of the epochs with a checkpoint, the one with the lowest (test, else training) loss. */
  bestEpoch: number | null;
}

/**
 * What each row adds, computed by SQLite beside the row: a list of 500 runs is one statement, with no per-run
 * round trip and no metrics rows copied into JavaScript. (An epoch's metrics row has step = epoch.)
 */
const listingColumns = `
  (SELECT min(test_loss) FROM metrics WHERE run_id = r.id AND scope = 'epoch') AS bestTestLoss,
  (SELECT max(elapsed_ms) FROM metrics WHERE run_id = r.id AND scope = 'epoch') AS trainingMs,
  (SELECT json_array(train_penalty, test_penalty) FROM metrics WHERE run_id = r.id AND scope = 'epoch'
     ORDER BY step DESC LIMIT 1) AS lastPenalties,
  (SELECT json_array(test_psnr, test_ssim) FROM metrics WHERE run_id = r.id AND scope = 'epoch'
     ORDER BY step DESC LIMIT 1) AS lastQuality,
  (SELECT json_object('epoch', epoch, 'knnAccuracy', knn_accuracy, 'linearAccuracy', linear_accuracy,
       'chance', chance) FROM code_probes WHERE run_id = r.id ORDER BY epoch DESC LIMIT 1) AS lastProbe,
  (SELECT group_concat(epoch) FROM (SELECT epoch FROM checkpoints WHERE run_id = r.id ORDER BY epoch))
     AS checkpointEpochs,
  (SELECT json_object('id', id, 'epoch', epoch, 'path', path, 'batchesDone', batches_done,
       'batchesTotal', batches_total) FROM checkpoints WHERE run_id = r.id ORDER BY epoch DESC LIMIT 1)
     AS lastCheckpoint,
  (SELECT c.epoch FROM checkpoints c JOIN metrics m ON m.run_id = c.run_id AND m.scope = 'epoch' AND m.step = c.epoch
     WHERE c.run_id = r.id AND coalesce(m.test_loss, m.train_loss) IS NOT NULL
     ORDER BY coalesce(m.test_loss, m.train_loss), c.epoch LIMIT 1) AS bestEpoch`;

const selected = `SELECT ${runColumns}, ${listingColumns} FROM runs r`;

/** The open project's runs, newest first, as the runs table lists them; `ids` narrows them to those. */
export function listRunRows(db: Database, ids?: readonly number[]): RunListRow[] {
  if (ids === undefined) {
    return statement(db, `${selected} WHERE project_id = ${currentProjectSql} ORDER BY id DESC`).all() as RunListRow[];
  }
  return statement(
    db,
    `${selected} WHERE project_id = ${currentProjectSql} AND id IN (SELECT value FROM json_each(?)) ORDER BY id DESC`,
  ).all(JSON.stringify(ids)) as RunListRow[];
}

/** One run as the runs table lists it, whichever project it is in. */
export function getRunRow(db: Database, id: number): RunListRow | undefined {
  return statement(db, `${selected} WHERE id = ?`).get(id) as RunListRow | undefined;
}

/** The open project's run ids, newest first; `ids` narrows them to those. */
export function listRunIds(db: Database, ids?: readonly number[]): number[] {
  if (ids === undefined) {
    return statement(db, `SELECT id FROM runs WHERE project_id = ${currentProjectSql} ORDER BY id DESC`)
      .pluck()
      .all() as number[];
  }
  return statement(
    db,
    `SELECT id FROM runs WHERE project_id = ${currentProjectSql} AND id IN (SELECT value FROM json_each(?))
       ORDER BY id DESC`,
  )
    .pluck()
    .all(JSON.stringify(ids)) as number[];
}

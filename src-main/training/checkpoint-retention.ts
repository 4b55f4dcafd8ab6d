import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../store/database';
import * as checkpoints from '../store/checkpoints';
import * as metrics from '../store/metrics';
import * as runs from '../store/runs';
import { dataLayout } from '../app/paths';
import { folderBytes } from '../app/files';
import { defaultCheckpointPolicy, type CheckpointPolicy } from '../api/contract';

/**
 * Which checkpoints a run keeps, so a long run does not fill the disk (each is the whole model plus the optimizer's
 * state: ~5 MB for the small dense preset, every epoch). Kept: the last `keepLast` (a resume needs the last one),
 * every `keepEvery`-th epoch, with `lookBack` the epochs 1, 2, 4, 8, … (to look back along the run at a logarithmic
 * cost), and the best epoch (lowest test loss, or training loss without a test split). Galleries are small and every
 * epoch's is kept. A config without a policy keeps defaultCheckpointPolicy (api/contract/models.ts).
 */

/** The lightest a finished run can be and still resume and show its results: its last and its best checkpoint. */
export const minimalCheckpointPolicy: CheckpointPolicy = { keepLast: 1, keepEvery: 0, lookBack: false };

/** 1, 2, 4, 8, …: a power of two. */
const isDoubling = (epoch: number) => epoch > 0 && (epoch & (epoch - 1)) === 0;

export function checkpointsToKeep(epochs: readonly number[], best: number | undefined, policy: CheckpointPolicy) {
  const sorted = [...epochs].sort((a, b) => a - b);
  const keep = new Set(sorted.slice(-Math.max(1, policy.keepLast)));
  if (policy.keepEvery > 0) for (const epoch of sorted) if (epoch % policy.keepEvery === 0) keep.add(epoch);
  if (policy.lookBack) for (const epoch of sorted) if (isDoubling(epoch)) keep.add(epoch);
  if (best !== undefined && sorted.includes(best)) keep.add(best);
  return keep;
}

/** The epoch with the lowest test loss (training loss when there is no test split). */
function bestEpoch(db: Database, runId: number): number | undefined {
  let best: { epoch: number; loss: number } | undefined;
  for (const m of metrics.listMetrics(db, runId, 'epoch')) {
    const loss = m.testLoss ?? m.trainLoss;
    if (loss !== null && (best === undefined || loss < best.loss)) best = { epoch: m.epoch, loss };
  }
  return best?.epoch;
}

/**
 * Removes the checkpoints the policy does not keep: rows first, then folders, so a crash in between leaves only a
 * folder no row points to (removed by the next prune), never a row without its files.
 */
export function pruneCheckpoints(
  db: Database,
  dataDir: string,
  runId: number,
  policy: CheckpointPolicy = defaultCheckpointPolicy,
): { removed: number[]; freedBytes: number } {
  const all = checkpoints.listCheckpoints(db, runId);
  const keep = checkpointsToKeep(
    all.map((c) => c.epoch),
    bestEpoch(db, runId),
    policy,
  );
  const drop = all.filter((c) => !keep.has(c.epoch));
  db.transaction(() => {
    for (const c of drop) checkpoints.deleteCheckpoint(db, runId, c.epoch);
  })();
  let freedBytes = 0;
  for (const c of drop) {
    freedBytes += folderBytes(join(dataDir, c.path));
    rmSync(join(dataDir, c.path), { recursive: true, force: true });
  }
  freedBytes += removeUnreferencedCheckpoints(db, dataDir, runId);
  return { removed: drop.map((c) => c.epoch), freedBytes };
}

/**
 * Removes the run's checkpoint folders no row points to: one a newer checkpoint of the same epoch replaced (the end
 * of an epoch replaces the checkpoint inside it), or one a crash left between removing a row and its folder.
 * Returns the bytes freed.
 */
export function removeUnreferencedCheckpoints(db: Database, dataDir: string, runId: number): number {
  const referenced = new Set(checkpoints.listCheckpoints(db, runId).map((c) => join(dataDir, c.path)));
  const dir = join(dataLayout(dataDir).runDir(runId), 'checkpoints');
  let freedBytes = 0;
  for (const name of safeList(dir)) {
    const path = join(dir, name);
    if (/^epoch-\d+(-batch-\d+)?$/.test(name) && !referenced.has(path)) {
      freedBytes += folderBytes(path);
      rmSync(path, { recursive: true, force: true });
    }
  }
  return freedBytes;
}

/**
 * Removes what a kill between a row and its files can leave: a run folder whose run has no row (a deleted run whose
 * folder was not yet removed; an imported run whose rows never committed) and, in finished runs, checkpoint folders no
 * row names (Free space, pruning). Runs at start-up, under the store's write lock: an import in another process
 * renames its folder inside its own write transaction, so it is waited for, never taken for a leftover. A run that
 * may be training elsewhere (queued, running, paused) is left alone. Returns the bytes freed.
 */
export function removeOrphanedRunFiles(db: Database, dataDir: string): number {
  return db
    .transaction(() => {
      const known = new Map(runs.listRuns(db).map((run) => [run.id, run]));
      const runsDir = join(dataDir, 'runs');
      let freedBytes = 0;
      for (const name of safeList(runsDir)) {
        if (/^\d+$/.test(name) && !known.has(Number(name))) {
          freedBytes += folderBytes(join(runsDir, name));
          rmSync(join(runsDir, name), { recursive: true, force: true });
        }
      }
      for (const run of known.values()) {
        if (runs.finishedStatuses.includes(run.status))
          freedBytes += removeUnreferencedCheckpoints(db, dataDir, run.id);
      }
      return freedBytes;
    })
    .immediate();
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A run's disk use: its folder (checkpoints, galleries, codes and maps). */
export function runDiskBytes(dataDir: string, runId: number): number {
  return folderBytes(dataLayout(dataDir).runDir(runId));
}

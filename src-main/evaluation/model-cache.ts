import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import { listCheckpoints } from '../store/checkpoints';
import type { CheckpointRef } from '../api/contract';
import { disposeRunModel, loadRunModel, type RunModel } from './run-model';

/** Models kept loaded: the run being looked at and one more (comparing epochs). */
const modelsKept = 2;

/**
 * The last models the results views used, loaded once each: a view that moves a slider must not reload a checkpoint.
 * "Latest" follows a run that is still training.
 */
export class ModelCache {
  private readonly models = new Map<string, Promise<RunModel>>();

  constructor(
    private readonly tf: typeof tfType,
    private readonly db: Database,
    private readonly dataDir: string,
  ) {}

  async load(ref: CheckpointRef): Promise<RunModel> {
    const key = `${ref.runId}@${ref.epoch ?? 'latest'}`;
    let loading = this.models.get(key);
    if (!loading) {
      loading = loadRunModel(this.tf, this.db, this.dataDir, ref.runId, ref.epoch);
      loading.catch(() => this.models.delete(key));
      this.models.set(key, loading);
    } else {
      // Most recently used last.
      this.models.delete(key);
      this.models.set(key, loading);
    }
    const parts = await loading;
    // "latest" may have moved on while training continues: reload when a newer checkpoint exists.
    if (ref.epoch === undefined && parts.epochs.length > 0) {
      const latest = listCheckpoints(this.db, ref.runId).at(-1)?.epoch;
      if (latest !== undefined && latest !== parts.epoch) {
        this.models.delete(key);
        disposeRunModel(parts);
        return this.load(ref);
      }
    }
    while (this.models.size > modelsKept) {
      const [oldest, old] = this.models.entries().next().value!;
      this.models.delete(oldest);
      void old.then(disposeRunModel, () => undefined);
    }
    return parts;
  }

  dispose(): void {
    for (const loading of this.models.values()) void loading.then(disposeRunModel, () => undefined);
    this.models.clear();
  }
}

/** A checkpoint's key in the caches of what is computed from it. */
export const checkpointKey = (parts: RunModel) => `${parts.runId}:${parts.epoch}`;

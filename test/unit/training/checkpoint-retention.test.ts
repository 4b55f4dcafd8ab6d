import { describe, expect, it } from 'vitest';
import { defaultCheckpointPolicy, describeCheckpointPolicy, maxCheckpointsKept } from '../../../src-main/api/contract';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openServices } from '../../../src-main/host/services';
import { createApiHandlers } from '../../../src-main/host/handlers';
import { spawnNodeWorker } from '../../../src-main/worker/node-worker';
import { presetConfig } from '../../../src-main/models/presets';
import { checkpointsToKeep } from '../../../src-main/training/checkpoint-retention';
import type { TrainingConfig } from '../../../src-main/models/training-config';
import { listCheckpoints } from '../../../src-main/store/checkpoints';
import { listArtifacts } from '../../../src-main/store/artifacts';
import { dataLayout } from '../../../src-main/app/paths';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';

describe('which checkpoints a run keeps', () => {
  it('keeps the last N, every k-th and the best', () => {
    const epochs = Array.from({ length: 25 }, (_, i) => i + 1);
    expect([...checkpointsToKeep(epochs, 7, { keepLast: 3, keepEvery: 10 })].sort((a, b) => a - b)).toEqual([
      7, 10, 20, 23, 24, 25,
    ]);
    expect([...checkpointsToKeep(epochs, 25, { keepLast: 1, keepEvery: 0 })]).toEqual([25]);
    // The last is always kept, whatever the setting: a run resumes from it.
    expect([...checkpointsToKeep([1, 2], undefined, { keepLast: 0, keepEvery: 0 })]).toEqual([2]);
  });

  it('by default keeps a look-back set spaced by doubling: a 437-epoch run keeps 13, where every 10th kept 46', () => {
    const epochs = Array.from({ length: 437 }, (_, i) => i + 1);
    const kept = [...checkpointsToKeep(epochs, 300, defaultCheckpointPolicy)].sort((a, b) => a - b);
    expect(kept).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 435, 436, 437]);
    expect(kept.length).toBe(maxCheckpointsKept(defaultCheckpointPolicy, 437));
    expect(checkpointsToKeep(epochs, 300, { keepLast: 3, keepEvery: 10 }).size).toBe(46);
    // Pruned after every epoch, as training does, the count never grows past the bound.
    let onDisk: number[] = [];
    for (const epoch of epochs) {
      onDisk = [...checkpointsToKeep([...onDisk, epoch], Math.min(epoch, 300), defaultCheckpointPolicy)];
      expect(onDisk.length).toBeLessThanOrEqual(maxCheckpointsKept(defaultCheckpointPolicy, epoch));
    }
    expect(describeCheckpointPolicy(defaultCheckpointPolicy)).toBe('the last 3, epochs 1, 2, 4, 8, … and the best');
  });
});

describe('checkpoint retention in a real run', () => {
  const tempDir = useTempDirs();

  it('prunes while training, keeps every gallery, reports disk use, and frees space to the last and best', async () => {
    const dataDir = tempDir();
    const services = openServices({ dataDir, spawnWorker: spawnNodeWorker, sampleDataset: false });
    const api = createApiHandlers(services, { name: 'test', version: 'test', transport: 'browser' });
    const call = async <T>(channel: string, arg?: unknown): Promise<T> => {
      const result = await api.invoke(channel as never, arg as never);
      if (!result.ok) throw new Error(result.error.message);
      return result.value as T;
    };
    const datasetId = createFashionSubset(services.db, dataDir, 256, 64);
    const config: TrainingConfig = {
      ...presetConfig('small-dense', [28, 28, 1])!,
      batchSize: 64,
      epochs: 12,
      checkpoints: { keepLast: 2, keepEvery: 5 },
    };
    const { id: runId } = await call<{ id: number }>('training:start', { datasetId, config });
    // A run that is training, or one that does not exist, is refused in words, and nothing is removed.
    const busy = await api.invoke('runs:freeSpace', { runId });
    expect(busy).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/free its space once it has stopped/) },
    });
    expect(await api.invoke('runs:freeSpace', { runId: 999 })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await api.invoke('runs:freeSpace', { runId: -1 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    expect(await services.supervisor.waitForRun(runId)).toBe('completed');

    const epochLosses = services.db
      .prepare(`SELECT epoch, test_loss AS loss FROM metrics WHERE run_id = ? AND scope = 'epoch' ORDER BY epoch`)
      .all(runId) as Array<{ epoch: number; loss: number }>;
    const best = epochLosses.reduce((a, b) => (b.loss < a.loss ? b : a)).epoch;
    const kept = [...new Set([5, 10, 11, 12, best])].sort((a, b) => a - b);
    expect(listCheckpoints(services.db, runId).map((c) => c.epoch)).toEqual(kept);
    // Folders on disk are exactly the rows: nothing left behind, nothing missing.
    const folders = readdirSync(join(dataLayout(dataDir).runDir(runId), 'checkpoints')).sort();
    expect(folders).toEqual(kept.map((e) => `epoch-${String(e).padStart(4, '0')}`));
    // Every epoch's gallery stays, so the run monitor's epoch slider still shows all twelve.
    expect(listArtifacts(services.db, runId, 'reconstructions').map((a) => a.epoch)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    // The Results slider offers exactly the kept checkpoints.
    const model = await call<{ epochs: number[] }>('results:model', { runId });
    expect(model.epochs).toEqual(kept);

    const [use] = await call<Array<{ runId: number; bytes: number; checkpoints: number[] }>>('runs:diskUse');
    expect(use).toMatchObject({ runId, checkpoints: kept });
    const freed = await call<{ removed: number[]; freedBytes: number; bytes: number; checkpoints: number[] }>(
      'runs:freeSpace',
      { runId },
    );
    expect(freed.checkpoints).toEqual([...new Set([best, 12])].sort((a, b) => a - b));
    expect(freed.removed).toEqual(kept.filter((e) => !freed.checkpoints.includes(e)));
    expect(freed.freedBytes).toBeGreaterThan(0);
    expect(freed.bytes + freed.freedBytes).toBe(use.bytes);
    // What is left still works: results open on the last checkpoint.
    expect((await call<{ epoch: number }>('results:model', { runId })).epoch).toBe(12);
    await services.close();
  });
});

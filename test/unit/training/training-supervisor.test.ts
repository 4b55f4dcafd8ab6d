import { describe, expect, it } from 'vitest';
import { openServices } from '../../../src-main/host/services';
import { spawnNodeWorker } from '../../../src-main/worker/node-worker';
import { getRun, insertRun } from '../../../src-main/store/runs';
import { openDatabase } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { listMetrics } from '../../../src-main/store/metrics';
import { presetConfig } from '../../../src-main/models/presets';
import { resumeTraining } from '../../../src-main/runs/run-commands';
import type { FromWorker, ToWorker } from '../../../src-main/worker/protocol';
import type { TrainingProgress } from '../../../src-main/api/contract';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';

const base = presetConfig('small-dense', [28, 28, 1])!;
// Dropout is one of our own layers: a fresh worker must be able to load it back from the checkpoint.
const config = {
  ...base,
  batchSize: 32,
  epochs: 3,
  model: { ...base.model, decoder: [{ type: 'dropout', rate: 0.1 } as const, ...base.model.decoder] },
};

describe('training in a separate process', () => {
  const tempDir = useTempDirs();

  it('survives the worker being killed: the run becomes interrupted, then resumes from its checkpoint', async () => {
    const dataDir = tempDir();
    const workers: Array<{ readonly pid: number | undefined }> = [];
    const services = openServices({
      dataDir,
      sampleDataset: false,
      spawnWorker: <In extends ToWorker, Out extends FromWorker>() => {
        const worker = spawnNodeWorker<In, Out>();
        workers.push(worker);
        return worker;
      },
    });
    const datasetId = createFashionSubset(services.db, dataDir, 512, 64);
    const runId = insertRun(services.db, { datasetId, name: 'killed', config: JSON.stringify(config) });
    const seen: TrainingProgress[] = [];
    services.supervisor.onProgress((p) => seen.push(p));

    // Kill the worker outright (like a crash or the OOM killer) once epoch 2 is under way.
    const killed = new Promise<void>((resolve) => {
      services.supervisor.onProgress((p) => {
        if (p.epoch === 2 && p.phase === 'training' && workers.length === 1) {
          process.kill(workers[0].pid!, 'SIGKILL');
          resolve();
        }
      });
    });
    services.supervisor.enqueue(runId);
    await killed;
    expect(await services.supervisor.waitForRun(runId)).toBe('interrupted');
    expect(getRun(services.db, runId)).toMatchObject({ status: 'interrupted', epochsDone: 1, workerPid: null });
    expect(getRun(services.db, runId)!.error).toMatch(/stopped unexpectedly: it was killed \(SIGKILL\)/);
    expect(seen.at(-1)).toMatchObject({ runId, status: 'interrupted', phase: 'finished' });

    // The store is intact and readable by another connection while the app holds it.
    const reader = openDatabase(dataLayout(dataDir).database);
    expect(reader.pragma('integrity_check', { simple: true })).toBe('ok');
    reader.close();

    resumeTraining(services.db, services.supervisor, runId);
    expect(await services.supervisor.waitForRun(runId)).toBe('completed');
    expect(getRun(services.db, runId)).toMatchObject({ status: 'completed', epochsDone: 3, error: null });
    expect(listMetrics(services.db, runId, 'epoch').map((m) => m.epoch)).toEqual([1, 2, 3]);
    expect(workers).toHaveLength(2);
    await services.close();
  });

  it('stops a running run on request and keeps what it learned', async () => {
    const dataDir = tempDir();
    const services = openServices({ dataDir, sampleDataset: false, spawnWorker: spawnNodeWorker });
    const datasetId = createFashionSubset(services.db, dataDir, 512, 64);
    // Small batches make epoch 2 long enough (~60 batches) that the stop arrives while it is under way.
    const smallBatches = { ...config, batchSize: 8 };
    const runId = insertRun(services.db, { datasetId, name: 'stopped', config: JSON.stringify(smallBatches) });
    services.supervisor.onProgress((p) => {
      if (p.epoch === 2 && p.phase === 'training') services.supervisor.stop(runId);
    });
    services.supervisor.enqueue(runId);
    expect(await services.supervisor.waitForRun(runId)).toBe('stopped');
    expect(getRun(services.db, runId)).toMatchObject({ status: 'stopped', epochsDone: 1 });
    await services.close();
  });

  it('marks a run left "running" by a dead process as interrupted on the next start', async () => {
    const dataDir = tempDir();
    const first = openServices({ dataDir, sampleDataset: false, spawnWorker: spawnNodeWorker });
    const datasetId = createFashionSubset(first.db, dataDir, 64, 16);
    const runId = insertRun(first.db, { datasetId, name: 'orphan', config: JSON.stringify(config) });
    // A pid that cannot be alive: the worker that owned the run is gone.
    first.db.prepare(`UPDATE runs SET status = 'running', worker_pid = 2147483646 WHERE id = ?`).run(runId);
    await first.close();
    const second = openServices({ dataDir, sampleDataset: false, spawnWorker: spawnNodeWorker });
    expect(getRun(second.db, runId)).toMatchObject({ status: 'interrupted' });
    await second.close();
  });

  it('reports the engine it trains with, and why not a faster one', async () => {
    const services = openServices({ dataDir: tempDir(), sampleDataset: false, spawnWorker: spawnNodeWorker });
    const engine = await services.supervisor.engine();
    // The native CPU kernels are built wherever the tests run (CI builds them with --strict): an engine below them
    // (wasm, cpu) would mean they failed to load and the app quietly fell back.
    expect(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'native']).toContain(engine.name);
    if (engine.name !== 'tfjs-node-gpu') expect(engine.unavailable[0]).toMatchObject({ name: 'tfjs-node-gpu' });
    expect(engine.unavailable.every((u) => u.reason.length > 10)).toBe(true);
    await services.close();
  });
});

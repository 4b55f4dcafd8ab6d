import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { selectEngine, type EngineStatus } from '../../../src-main/engine/select-engine';
import { insertRun, updateRunLabels } from '../../../src-main/store/runs';
import { listMetrics } from '../../../src-main/store/metrics';
import { presetConfig } from '../../../src-main/models/presets';
import { runsCsv } from '../../../src-main/experiments/runs-csv';
import { trainInProcess } from '../../helpers/train-in-process';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';
import { readCsvWithPython } from '../../helpers/python-export';

let tf: typeof tfType;
let engine: EngineStatus;

beforeAll(async () => {
  ({ tf, status: engine } = await selectEngine());
}, 60_000);

describe('runs as CSV', () => {
  const tempDir = useTempDirs();

  it('writes one row per run and one per run and epoch, with every setting as a column', async () => {
    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    const datasetId = createFashionSubset(db, dataDir, 64, 32);
    const dense = { ...presetConfig('small-dense', [28, 28, 1])!, batchSize: 32 };
    const first = insertRun(db, {
      datasetId,
      // A name with every character CSV must quote.
      name: 'lr "high", then\nlow',
      config: JSON.stringify({ ...dense, epochs: 2, learningRate: 3e-3, checkpoints: { keepLast: 2, keepEvery: 0 } }),
    });
    const second = insertRun(db, {
      datasetId,
      name: 'cross-entropy',
      config: JSON.stringify({ ...dense, epochs: 3, loss: 'bce', model: { ...dense.model, latent: 8 } }),
    });
    updateRunLabels(db, second, { tags: ['bce', 'small'] });
    // A run that has not trained yet, and has no setting of its own for checkpoints: its cell is empty.
    const queued = insertRun(db, { datasetId, name: 'waiting', config: JSON.stringify(dense) });
    for (const runId of [first, second])
      expect(await trainInProcess({ tf, engine, db, dataDir, runId })).toMatchObject({ status: 'completed' });

    const perRun = runsCsv(db, { per: 'run' });
    expect(perRun.fileName).toMatch(/^runs-\d{4}-\d{2}-\d{2}\.csv$/);
    const runFile = join(tempDir(), perRun.fileName);
    writeFileSync(runFile, perRun.csv);
    const runRows = readCsvWithPython(runFile);
    expect(perRun.rows).toBe(3);
    const byId = new Map(runRows.map((row) => [Number(row.run_id), row]));
    expect(byId.get(first)).toMatchObject({
      name: 'lr "high", then\nlow',
      status: 'completed',
      epochs_done: '2',
      'config.learningRate': '0.003',
      'config.loss': 'mse',
      'config.model.latent': '16',
      'config.checkpoints.keepLast': '2',
    });
    expect(byId.get(second)).toMatchObject({
      tags: 'bce; small',
      epochs_done: '3',
      'config.loss': 'bce',
      'config.model.latent': '8',
    });
    expect(JSON.parse(byId.get(second)!['config.model.encoder'])).toEqual(dense.model.encoder);
    expect(byId.get(queued)).toMatchObject({
      status: 'queued',
      final_test_loss: '',
      'config.checkpoints.keepLast': '',
    });
    expect(Number(byId.get(first)!.final_test_loss)).toBeCloseTo(listMetrics(db, first, 'epoch').at(-1)!.testLoss!, 6);

    const perEpoch = runsCsv(db, { per: 'epoch' });
    const epochFile = join(tempDir(), perEpoch.fileName);
    writeFileSync(epochFile, perEpoch.csv);
    const epochRows = readCsvWithPython(epochFile);
    expect(epochRows).toHaveLength(5);
    expect(perEpoch.rows).toBe(5);
    for (const runId of [first, second]) {
      const metrics = listMetrics(db, runId, 'epoch');
      const rows = epochRows.filter((row) => Number(row.run_id) === runId);
      expect(rows.map((row) => Number(row.epoch))).toEqual(metrics.map((m) => m.epoch));
      rows.forEach((row, i) => {
        expect(Number(row.train_loss)).toBeCloseTo(metrics[i].trainLoss!, 6);
        expect(Number(row.test_loss)).toBeCloseTo(metrics[i].testLoss!, 6);
      });
    }
    expect(epochRows.filter((row) => Number(row.run_id) === second).every((row) => row['config.loss'] === 'bce')).toBe(
      true,
    );
    db.close();
  }, 120_000);
});

import { describe, expect, it } from 'vitest';
import type * as tfType from '@tensorflow/tfjs';
import { openDatabase, type Database } from '../../src-main/store/database';
import { dataLayout } from '../../src-main/app/paths';
import { selectEngine, type EngineStatus } from '../../src-main/engine/select-engine';
import { trainInProcess } from './train-in-process';
import type { TrainingConfig } from '../../src-main/models/training-config';
import { presetConfig } from '../../src-main/models/presets';
import { insertRun, requeueRun } from '../../src-main/store/runs';
import { listMetrics } from '../../src-main/store/metrics';
import { createFashionSubset } from './fashion-subset';
import { useTempDirs } from './temp-dir';

/**
 * The user guide promises that a stopped or killed run resumed from its checkpoint continues exactly as if it had never
 * stopped: same seed, same data order, restored weights and optimizer state, so every loss is the same number, bit
 * for bit, on each CPU engine.
 */
const counts = { train: 256, test: 64 };
// Small batches give many optimizer steps per epoch, where float32 rounding of the optimizer's state shows.
const batchSize = 4;
const batchesPerEpoch = counts.train / batchSize;

function runConfig(
  presetId: string,
  optimizer: TrainingConfig['optimizer'],
  extra: Partial<TrainingConfig> = {},
): TrainingConfig {
  const base = presetConfig(presetId, [28, 28, 1])!;
  return { ...base, batchSize, epochs: 4, learningRate: 1e-3, optimizer, earlyStopping: null, ...extra };
}

/** A schedule and weight decay change the rate from epoch to epoch: a resume must pick up the same rates. */
const scheduled: Partial<TrainingConfig> = { lrSchedule: { type: 'cosine', warmupEpochs: 1 }, weightDecay: 0.01 };
// Patience 0 and a cut of the rate whenever the test loss does not improve by 0.01%: its state crosses checkpoints.
const plateau: Partial<TrainingConfig> = { lrSchedule: { type: 'plateau', patience: 0, factor: 0.5 } };

/** Registers the resume tests for one engine (one engine per test file: the engine is chosen once per process). */
export function describeResumeDeterminism(engineName: 'native' | 'wasm'): void {
  describe(`resuming on the ${engineName} engine`, () => {
    const tempDir = useTempDirs();
    let tf: typeof tfType;
    let engine: EngineStatus;

    async function train(db: Database, dataDir: string, runId: number, stopAfterBatches = Infinity) {
      if (!tf) {
        process.env.AE_STUDIO_ENGINE = engineName;
        ({ tf, status: engine } = await selectEngine());
        expect(engine.name).toBe(engineName);
      }
      return trainInProcess({ tf, engine, db, dataDir, runId }, { stopAfterBatches });
    }

    function setUp(config: TrainingConfig) {
      const dataDir = tempDir();
      const db = openDatabase(dataLayout(dataDir).database);
      const datasetId = createFashionSubset(db, dataDir, counts.train, counts.test);
      const runId = insertRun(db, { datasetId, name: 'test', config: JSON.stringify(config) });
      return { db, dataDir, runId };
    }

    const curve = (db: Database, runId: number) => ({
      epochs: listMetrics(db, runId, 'epoch').map((m) => [m.trainLoss, m.testLoss, m.learningRate]),
      batches: listMetrics(db, runId, 'batch').map((m) => m.trainLoss),
    });

    it.each<[string, TrainingConfig['optimizer'], Partial<TrainingConfig>]>([
      ['small-dense', 'adam', {}],
      ['small-conv', 'adam', {}],
      ['small-dense', 'rmsprop', {}],
      ['small-dense', 'adam', scheduled],
      ['small-dense', 'sgd', plateau],
      ['small-conv', 'adam', { augment: { flip: true, crop: 0.1, rotate: 10, jitter: 0.2 } }],
    ])(
      '%s with %s %o: stopped at several points and resumed, every loss equals the unbroken run',
      async (preset, optimizer, extra) => {
        const unbroken = setUp(runConfig(preset, optimizer, extra));
        expect(await train(unbroken.db, unbroken.dataDir, unbroken.runId)).toEqual({
          status: 'completed',
          error: null,
        });
        const expected = curve(unbroken.db, unbroken.runId);
        expect(expected.epochs).toHaveLength(4);
        if (extra.lrSchedule) expect(new Set(expected.epochs.map((e) => e[2])).size).toBeGreaterThan(1);
        unbroken.db.close();

        const { db, dataDir, runId } = setUp(runConfig(preset, optimizer, extra));
        // Stop inside epoch 2, then at the end of epoch 3's first batch, then let it finish.
        for (const stopAfter of [batchesPerEpoch + 3, batchesPerEpoch + 1]) {
          expect((await train(db, dataDir, runId, stopAfter)).status).toBe('stopped');
          expect(requeueRun(db, runId)).toBe(true);
        }
        expect((await train(db, dataDir, runId)).status).toBe('completed');
        expect(curve(db, runId)).toEqual(expected);
        db.close();
      },
    );
  });
}

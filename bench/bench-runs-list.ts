/**
 * Runs list benchmark: `npm run bench:runs-list`. Issue 35 asks that `runs:list` answer in under 5 ms at 500 runs: the
 * Runs table asks for it at every change, and it runs on the main process, beside the window's requests. This fills a
 * fresh store with 500 finished runs (the presets on Fashion-MNIST's shape, 20 epochs each with their epoch and batch
 * metrics and checkpoints, as a lab's store has after some weeks) and times, through the API handlers every transport
 * calls:
 *   - `runs:list` of every run, as a window opening asks (the summaries are kept between calls);
 *   - `runs:list` of the 3 runs a change event names (what a window asks while one run trains);
 *   - `runs:list` of every run after a change to all of them (a dataset renamed: every row is read again).
 *
 *   npm run bench:runs-list
 *   npm run bench:runs-list -- --runs 2000 --repeats 50
 */
import { parseArgs } from 'node:util';
import { insertRun, markRunStarted, recordEpochDone, finishRun } from '../src-main/store/runs';
import { insertMetric } from '../src-main/store/metrics';
import { insertCheckpoint } from '../src-main/store/checkpoints';
import { listPresets } from '../src-main/models/presets';
import { createFashionSubset } from '../test/helpers/fashion-subset';
import { openBenchServices } from './bench-services';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '500' },
    epochs: { type: 'string', default: '20' },
    repeats: { type: 'string', default: '30' },
  },
});
const runCount = Number(values.runs);
const epochs = Number(values.epochs);
const repeats = Number(values.repeats);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (ms: number) => Math.round(ms * 100) / 100;

async function main(): Promise<void> {
  const bench = openBenchServices('runs-list');
  try {
    const { db } = bench.services;
    const datasetId = createFashionSubset(db, bench.dataDir, 64, 16);
    const presets = listPresets([28, 28, 1]);
    process.stderr.write(`Storing ${runCount} runs of ${epochs} epochs…\n`);
    db.transaction(() => {
      for (let r = 0; r < runCount; r++) {
        const preset = presets[r % presets.length];
        const config = { ...preset.config, epochs, input: { height: 28, width: 28, channels: 1 } };
        const runId = insertRun(db, { datasetId, name: `Run ${r + 1}`, config: JSON.stringify(config) });
        markRunStarted(db, runId, { name: 'native', detail: 'bench' }, 1);
        for (let e = 1; e <= epochs; e++) {
          for (let b = 0; b < 10; b++) {
            const step = (e - 1) * 10 + b;
            insertMetric(db, runId, {
              scope: 'batch',
              step,
              epoch: e,
              trainLoss: 0.1 / e,
              testLoss: null,
              imagesPerSec: 900,
              elapsedMs: step * 10,
            });
          }
          const loss = 0.05 / e + (r % 7) * 1e-3;
          insertMetric(db, runId, {
            scope: 'epoch',
            step: e,
            epoch: e,
            trainLoss: loss,
            testLoss: loss * 1.1,
            imagesPerSec: 900,
            elapsedMs: e * 100,
          });
          insertCheckpoint(db, runId, e, `runs/${runId}/checkpoints/${e}`);
          recordEpochDone(db, runId, e, loss, loss * 1.1);
        }
        finishRun(db, runId, 'completed');
      }
    })();

    const all: number[] = [];
    const some: number[] = [];
    const cold: number[] = [];
    const newest = (await bench.call('runs:list', undefined)).slice(0, 3).map((run) => run.id);
    for (let i = 0; i < repeats; i++) {
      let started = performance.now();
      const listed = await bench.call('runs:list', undefined);
      all.push(performance.now() - started);
      if (listed.length !== runCount) throw new Error(`runs:list gave ${listed.length} runs, not ${runCount}.`);
      started = performance.now();
      await bench.call('runs:list', { ids: newest });
      some.push(performance.now() - started);
      await bench.call('datasets:rename', { datasetId, name: `Fashion ${i}` });
      started = performance.now();
      await bench.call('runs:list', undefined);
      cold.push(performance.now() - started);
    }
    console.log(
      JSON.stringify(
        {
          runs: runCount,
          epochs,
          repeats,
          listAllMs: { median: round(median(all)), min: round(Math.min(...all)), max: round(Math.max(...all)) },
          listThreeMs: { median: round(median(some)), min: round(Math.min(...some)), max: round(Math.max(...some)) },
          listAllAfterEveryRunChangedMs: {
            median: round(median(cold)),
            min: round(Math.min(...cold)),
            max: round(Math.max(...cold)),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await bench.close();
  }
}

void main();

/**
 * Results at the notebooks' scale: `npm run bench:results`. Issue 33 measured 26 s before Results showed 10 images of
 * the 10,000-image sample with seed 001's CAE (it reconstructed the whole split first), and 13–16 s before the latent
 * playground showed anything. This stores the Fashion-MNIST sample (8,000 training and 2,000 test images), trains seed
 * 001's CAE (2-D code, batch norm) on a small subset for one epoch — its speed, not its quality, is what is measured —
 * and then, each time in a fresh results process (the model not loaded yet), as the window asks:
 *   - Results: the model's loading, then (model loaded) the per-class error chart (the whole test and training splits)
 *     and the gallery of 10 images, asked for together, as the Reconstructions tab does: when each arrives;
 *   - the playground, in a fresh process again (load included): its random codes (fitted on a sample of training
 *     codes) and its 12 start images.
 *
 *   npm run bench:results [-- --repeats 2]
 */
import { parseArgs } from 'node:util';
import { createDataset } from '../src-main/datasets/dataset-store';
import { fashionMnistClasses, readSampleFiles } from '../src-main/datasets/sample-dataset';
import { presetConfig } from '../src-main/models/presets';
import { ensureBuilt } from '../scripts/ensure-built.mjs';
import { openBenchServices } from './bench-services';

const round = (ms: number) => Math.round(ms);

async function main(): Promise<void> {
  // The results process runs the built worker (out/main/worker.js): build it if the sources changed.
  ensureBuilt();
  const { values } = parseArgs({ options: { repeats: { type: 'string', default: '2' } } });
  const { dataDir, services, call, close } = openBenchServices('results');
  try {
    const { pixels, labels } = readSampleFiles();
    const count = labels.data.length;
    const datasetId = createDataset(
      services.db,
      dataDir,
      {
        name: 'Fashion-MNIST sample',
        source: 'bench',
        width: 28,
        height: 28,
        channels: 1,
        classNames: fashionMnistClasses,
      },
      Array.from({ length: count }, (_, i) => ({
        split: i < 8000 ? ('train' as const) : ('test' as const),
        label: labels.data[i],
        fileName: `image-${i}.png`,
      })),
      [pixels.data],
    );
    process.stderr.write("Training seed 001's CAE for one epoch on 64 images…\n");
    const config = { ...presetConfig('fashion-cae-2d', [28, 28, 1])!, epochs: 1, batchSize: 16, trainSubset: 64 };
    const run = await call('training:start', { datasetId, config });
    if ((await services.supervisor.waitForRun(run.id)) !== 'completed') throw new Error('Training failed.');

    const rounds = [];
    for (let r = 0; r < Number(values.repeats); r++) {
      // A fresh results process each time: nothing loaded, nothing cached (the next request starts a new one).
      services.evaluation.close();
      const loading = performance.now();
      await call('results:model', { runId: run.id });
      const modelLoadMs = round(performance.now() - loading);
      // From here the model is loaded, as when the Results view has opened a run.
      const started = performance.now();
      const at = (promise: Promise<unknown>) => promise.then(() => round(performance.now() - started));
      const [galleryMs, testErrorsMs, trainErrorsMs] = await Promise.all([
        at(call('results:errors', { runId: run.id, split: 'test' })),
        at(call('results:errors', { runId: run.id, split: 'train' })),
        at(
          call('results:reconstruct', {
            runId: run.id,
            images: { from: 'split', split: 'test', order: 'stratified', count: 10 },
          }),
        ),
      ]).then(([test, train, gallery]) => [gallery, test, train]);

      services.evaluation.close();
      const opened = performance.now();
      // In the order the playground asks: its start images, then its random codes.
      const [startImagesMs, randomCodesMs] = await Promise.all([
        call('results:reconstruct', {
          runId: run.id,
          images: { from: 'split', split: 'test', order: 'random', count: 12, seed: 5 },
        }).then(() => round(performance.now() - opened)),
        call('results:decode', { runId: run.id, recipe: { kind: 'random', count: 16, seed: 1 } }).then(() =>
          round(performance.now() - opened),
        ),
      ]);
      rounds.push({
        modelLoadMs,
        galleryMs,
        testErrorsMs,
        trainErrorsMs,
        playground: { randomCodesMs, startImagesMs },
      });
    }
    process.stdout.write(
      `${JSON.stringify({ model: 'fashion-cae-2d (seed 001)', testImages: 2000, trainImages: 8000, rounds }, null, 2)}\n`,
    );
  } finally {
    await close();
  }
}

void main();

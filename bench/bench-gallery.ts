/**
 * Results gallery benchmark: `npm run bench:gallery`. Issue 6 asks that a gallery of 100 reconstructions of 64x64 RGB
 * images appear in under a second once the run is loaded. This trains a small conv AE on a 64x64 RGB set (Fashion-MNIST
 * images enlarged and tinted), then measures, with the model loaded:
 *   - the API round trip of `results:reconstruct` for 100 images (the evaluation worker reads, runs the model,
 *     measures each image's error and sends the pixels back);
 *   - in Chromium (when it and the built renderer are there), the time from choosing "100" in the Results view
 *     until the 100 reconstructions are on screen;
 *   - the same model's forward pass over 100 images in PyTorch (python3-torch), the notebook's way, side by side.
 *
 *   npm run bench:gallery                 # all three
 *   npm run bench:gallery -- --no-browser --no-reference
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { referenceConv } from './reference-models';
import { createDataset } from '../src-main/datasets/dataset-store';
import { fashionMnistClasses, readSampleFiles } from '../src-main/datasets/sample-dataset';
import { resampleToSquare } from '../src-main/datasets/resample';
import { trainingDefaults } from '../src-main/models/training-config';
import { startBrowserServer } from '../src-main/server/browser-server';
import { rendererBuildDir } from '../src-main/app/paths';
import { hasTorch, runTorchScript } from './torch';
import { openBenchServices } from './bench-services';

const size = 64;
const trainImages = 1000;
const testImages = 200;
const repeats = 5;
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Issue 5's reference conv AE for 64x64x3 images; bench/torch_gallery.py builds the same one. */
const model = referenceConv(size, 3);

/** Fashion-MNIST sample images enlarged to 64x64 and tinted per class: RGB pictures with real structure. */
function colourImages(): { pixels: Uint8Array; labels: Uint8Array } {
  const { pixels, labels } = readSampleFiles();
  const n = trainImages + testImages;
  const out = new Uint8Array(n * size * size * 3);
  for (let i = 0; i < n; i++) {
    const grey = resampleToSquare(pixels.data.subarray(i * 784, (i + 1) * 784), 28, 28, 1, size, 'stretch', '#000000');
    const label = labels.data[i];
    const tint = [0.5 + 0.05 * label, 1 - 0.05 * label, 0.6 + 0.04 * ((label * 3) % 10)];
    for (let p = 0; p < size * size; p++) {
      for (let c = 0; c < 3; c++) out[(i * size * size + p) * 3 + c] = Math.round(grey[p] * tint[c]);
    }
  }
  return { pixels: out, labels: labels.data.subarray(0, n) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'no-browser': { type: 'boolean', default: false },
      'no-reference': { type: 'boolean', default: false },
    },
  });
  const { dataDir, services, handlers, call, close } = openBenchServices('gallery');
  const report: Record<string, unknown> = {};
  try {
    const { pixels, labels } = colourImages();
    const datasetId = createDataset(
      services.db,
      dataDir,
      {
        name: 'Tinted Fashion 64',
        source: 'bench',
        width: size,
        height: size,
        channels: 3,
        classNames: fashionMnistClasses,
      },
      Array.from({ length: labels.length }, (_, i) => ({
        split: i < trainImages ? ('train' as const) : ('test' as const),
        label: labels[i],
        fileName: `image-${i}.png`,
      })),
      [pixels],
    );
    process.stderr.write('Training one epoch of a conv AE on 1,000 64x64 RGB images…\n');
    const run = await call('training:start', {
      datasetId,
      config: { ...trainingDefaults, model, epochs: 1, batchSize: 64 },
    });
    if ((await services.supervisor.waitForRun(run.id)) !== 'completed') throw new Error('Training failed.');

    let started = performance.now();
    await call('results:model', { runId: run.id });
    report.modelLoadMs = round(performance.now() - started);

    const api: number[] = [];
    for (let r = 0; r < repeats; r++) {
      started = performance.now();
      const gallery = await call('results:reconstruct', {
        runId: run.id,
        images: { from: 'split', split: 'test', order: 'random', count: 100, seed: r },
      });
      api.push(performance.now() - started);
      if (gallery.items.length !== 100) throw new Error('Expected 100 images.');
    }
    report.apiRoundTripMs = { median: round(median(api)), all: api.map(round) };

    if (!values['no-browser'] && existsSync(chromiumPath) && existsSync(join(rendererBuildDir(), 'index.html'))) {
      report.browserMs = await measureInBrowser(handlers);
    } else if (!values['no-browser']) {
      process.stderr.write('No Chromium or no renderer build (npm run build): the in-window time is left out.\n');
    }

    if (!values['no-reference']) {
      if (hasTorch()) [report.pytorchForward100Ms] = runTorchScript('torch_gallery.py', ['--repeats', String(repeats)]);
    }
    process.stdout.write(`${JSON.stringify({ images: 100, size: `${size}x${size}x3`, ...report }, null, 2)}\n`);
  } finally {
    await close();
  }
}

/** From choosing 100 images in the Results view to the 100th reconstruction on screen, median of a few switches. */
async function measureInBrowser(handlers: ReturnType<typeof openBenchServices>['handlers']) {
  const { chromium } = await import('playwright-core');
  const server = await startBrowserServer({ handlers, rendererDir: rendererBuildDir() });
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Results' }).click();
    await page.getByRole('combobox', { name: 'Images' }).selectOption({ label: 'Test images' });
    await page.getByRole('combobox', { name: 'Which' }).selectOption({ label: 'Random' });
    const shown = (count: number) =>
      // A source string: the page, not this Node program, has a document.
      page.waitForFunction(
        `document.querySelectorAll('[role="img"][aria-label^="Epoch 1:"]').length === ${count}`,
        null,
        {
          timeout: 60_000,
        },
      );
    await shown(10);
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      await page.getByLabel('Seed').fill(String(100 + r));
      await page.getByRole('combobox', { name: 'How many' }).selectOption('10');
      await shown(10);
      const started = performance.now();
      await page.getByRole('combobox', { name: 'How many' }).selectOption('100');
      await shown(100);
      times.push(performance.now() - started);
    }
    return { median: round(median(times)), all: times.map(round) };
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();

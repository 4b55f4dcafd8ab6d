/**
 * Map view benchmark: `npm run bench:map`. Issue 7 asks the latent map to stay smooth with all 60,000 Fashion-MNIST
 * training codes. This imports Fashion-MNIST (Debian's dataset-fashion-mnist), trains the small dense AE for one
 * epoch, maps the 60,000 training codes (PCA, so the benchmark takes a minute rather than four), opens the Latent map
 * in Chromium and measures:
 *   - opening the map (from choosing it to the points on screen);
 *   - redrawing on zoom (wheel) and pan (drag): the time from the event until the frame is drawn, per event;
 *   - hover: from the pointer arriving over the map to the nearest point's tooltip with its image.
 * 60 frames a second leaves 16.7 ms per frame.
 *
 *   npm run bench:map [-- --events 40]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { presetConfig } from '../src-main/models/presets';
import { startBrowserServer } from '../src-main/server/browser-server';
import { rendererBuildDir } from '../src-main/app/paths';
import { openBenchServices } from './bench-services';

const fashionDir = '/usr/share/datasets/fashion-mnist';
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const summary = (values: number[]) => ({
  median: Math.round(percentile(values, 0.5) * 10) / 10,
  p95: Math.round(percentile(values, 0.95) * 10) / 10,
});

/** Runs in the page: each event, then the redraw it triggers (effects run before a zero timeout), then a frame. */
const pageTimings = `async (node, count) => {
  const box = node.getBoundingClientRect();
  const at = { clientX: box.left + box.width / 2, clientY: box.top + box.height / 2 };
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  const zoom = [];
  for (let k = 0; k < count; k++) {
    const t = performance.now();
    node.dispatchEvent(new WheelEvent('wheel', { ...at, deltaY: k < count / 2 ? -120 : 120, bubbles: true, cancelable: true }));
    await settle();
    zoom.push(performance.now() - t);
    await frame();
  }
  const pan = [];
  node.dispatchEvent(new PointerEvent('pointerdown', { ...at, pointerId: 1, bubbles: true, button: 0 }));
  for (let k = 0; k < count; k++) {
    const t = performance.now();
    node.dispatchEvent(new PointerEvent('pointermove', {
      clientX: at.clientX + 4 * k, clientY: at.clientY + 2 * k, pointerId: 1, bubbles: true, buttons: 1,
    }));
    await settle();
    pan.push(performance.now() - t);
    await frame();
  }
  node.dispatchEvent(new PointerEvent('pointerup', { ...at, pointerId: 1, bubbles: true }));
  return { zoom, pan };
}`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '40' } } });
  const events = Number(values.events);
  if (!existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz'))) {
    throw new Error("Install Debian's dataset-fashion-mnist first (apt install dataset-fashion-mnist).");
  }
  if (!existsSync(chromiumPath) || !existsSync(join(rendererBuildDir(), 'index.html'))) {
    throw new Error('Needs Chromium (or CHROMIUM_PATH) and the built renderer (npm run build).');
  }
  const { services, handlers, call, close } = openBenchServices('map');
  const server = await startBrowserServer({ handlers, rendererDir: rendererBuildDir() });
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  try {
    process.stderr.write('Importing Fashion-MNIST, training one epoch, mapping the 60,000 training codes…\n');
    const { jobId } = await call('datasets:importBuiltin', { dataset: 'fashion-mnist' });
    const imported = await services.imports.waitFor(jobId);
    if (imported.status !== 'completed') throw new Error(`Import failed: ${imported.error}`);
    const datasetId = (await call('datasets:list', undefined))[0].id;
    const config = { ...presetConfig('small-dense', [28, 28, 1])!, epochs: 1, batchSize: 256 };
    const run = await call('training:start', { datasetId, config });
    if ((await services.supervisor.waitForRun(run.id)) !== 'completed') throw new Error('Training failed.');
    const job = await call('latent:start', { runId: run.id, split: 'train', projection: { method: 'pca' } });
    const mapped = await services.latent.waitFor(job.jobId);
    if (mapped.status !== 'completed') throw new Error(`Mapping failed: ${mapped.error}`);

    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(server.url);
    const started = performance.now();
    await page.getByRole('button', { name: 'Latent map' }).click();
    const canvas = page.getByLabel(/^Map of 60000 images/);
    await canvas.waitFor({ timeout: 60_000 });
    const openMs = performance.now() - started;

    // Each event, then the effects it triggers (the redraw) and a frame: measured inside the page.
    // Written as source text: tsx would wrap the page function's inner helpers in its own __name(), which the
    // page does not have.
    const timings = (await page.evaluate(
      `(${pageTimings})(document.querySelector('canvas[aria-label^="Map of 60000"]'), ${events})`,
    )) as { zoom: number[]; pan: number[] };

    // Hover: move over the plot until a tooltip shows, timing each move.
    const box = (await canvas.boundingBox())!;
    const hover: number[] = [];
    for (let k = 0; k < events; k++) {
      // Off the map first, so each measurement starts with no tooltip.
      await page.mouse.move(1, 1);
      await page.locator('.tooltip').waitFor({ state: 'hidden', timeout: 2_000 });
      const t = performance.now();
      await page.mouse.move(box.x + box.width * (0.3 + 0.01 * k), box.y + box.height * (0.4 + 0.005 * k));
      await page
        .locator('.tooltip')
        .waitFor({ timeout: 2_000 })
        .catch(() => undefined);
      if (await page.locator('.tooltip').isVisible()) hover.push(performance.now() - t);
    }
    process.stdout.write(
      `${JSON.stringify(
        {
          points: 60_000,
          openMapMs: Math.round(openMs),
          zoomRedrawMs: summary(timings.zoom),
          panRedrawMs: summary(timings.pan),
          hoverToTooltipMs: hover.length ? summary(hover) : null,
          frameBudgetMs: 16.7,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await browser.close();
    await server.close();
    await close();
  }
}

await main();

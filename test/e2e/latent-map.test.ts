import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowserApp, type BrowserApp } from './browser-app';
import { listPresets } from '../../src-main/models/presets';

/**
 * The latent map of a real trained run: computing a t-SNE map with progress, the legend, hover thumbnails,
 * similarity search by clicking a point, and the CSV export.
 */
describe('latent map', () => {
  let app: BrowserApp;

  beforeAll(async () => {
    app = await launchBrowserApp();
    const { services } = app;
    const [dataset] = (await app.services.db.prepare('SELECT id FROM datasets').all()) as Array<{ id: number }>;
    const preset = listPresets([28, 28, 1]).find((p) => p.id === 'small-dense')!;
    const invoke = (await import('../../src-main/host/handlers')).createApiHandlers(services, {
      name: 'e2e',
      version: 'e2e',
      transport: 'browser',
    });
    const started = await invoke.invoke('training:start', {
      datasetId: dataset.id,
      config: { ...preset.config, epochs: 2, batchSize: 128 },
    });
    if (!started.ok) throw new Error(started.error.message);
    const run = started.value as { id: number };
    expect(await services.supervisor.waitForRun(run.id)).toBe('completed');
    await app.page.goto(app.server.url);
    await app.page.getByRole('button', { name: 'Latent map' }).click();
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('says what to do before a run has a map', async () => {
    const { page } = app;
    await expect.poll(() => page.getByText('This run has no map yet.').isVisible()).toBe(true);
    await app.screenshot('40-latent-empty');
    // Each method shows its own settings.
    await page.getByRole('combobox', { name: 'Method' }).selectOption({ label: 'UMAP' });
    expect(await page.getByLabel('Neighbours').inputValue()).toBe('15');
    expect(await page.getByLabel('Min. distance').inputValue()).toBe('0.1');
    await app.screenshot('40-latent-umap-settings');
    await page.getByRole('combobox', { name: 'Method' }).selectOption({ label: 'PCA' });
    expect(await page.getByLabel('Perplexity').count()).toBe(0);
    await page.getByRole('combobox', { name: 'Method' }).selectOption({ label: 't-SNE' });
    expect(await page.getByLabel('Learning rate').getAttribute('placeholder')).toBe('auto');
    expect(await page.getByLabel('Exaggeration').inputValue()).toBe('12');
    expect(await page.getByRole('combobox', { name: 'Start from' }).inputValue()).toBe('pca');
  });

  it('computes a t-SNE map with progress and shows it with a legend of every class', async () => {
    const { page } = app;
    await page.getByLabel('Iterations').fill('300');
    await page.getByRole('button', { name: 'Compute map' }).click();
    await expect
      .poll(() => page.getByRole('progressbar', { name: 'Map progress' }).isVisible(), { timeout: 20_000 })
      .toBe(true);
    await expect.poll(() => page.getByLabel(/^Map of 2000 images/).isVisible(), { timeout: 120_000 }).toBe(true);
    const legend = page.getByRole('complementary', { name: 'Legend' });
    expect(await legend.getByRole('button').count()).toBe(10);
    expect(await legend.textContent()).toContain('Ankle boot');
    await app.screenshot('41-latent-map');
    // The whole map fits a 1280x800 window, above the status bar, without scrolling.
    await page.setViewportSize({ width: 1280, height: 800 });
    const plot = (await page.getByLabel(/^Map of 2000 images/).boundingBox())!;
    const statusBar = (await page.locator('footer').boundingBox())!;
    expect(plot.y + plot.height).toBeLessThanOrEqual(statusBar.y);
    expect(plot.height).toBeGreaterThanOrEqual(380);
    await app.screenshot('41-latent-map-1280x800');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await app.screenshot('41-latent-map-large');
    await page.setViewportSize({ width: 1280, height: 820 });
  }, 150_000);

  it('shows the image under the pointer and finds the images nearest to a clicked one', async () => {
    const { page } = app;
    const canvas = page.getByLabel(/^Map of 2000 images/);
    const box = (await canvas.boundingBox())!;
    let found = false;
    // Walk a grid over the plot until the pointer lands on a point.
    for (let fy = 0.3; fy <= 0.7 && !found; fy += 0.05) {
      for (let fx = 0.3; fx <= 0.7 && !found; fx += 0.05) {
        await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
        found = await page
          .locator('.tooltip')
          .isVisible({ timeout: 300 })
          .catch(() => false);
        if (!found) await page.waitForTimeout(120);
        found = found || (await page.locator('.tooltip').isVisible());
        if (found) {
          expect(await page.locator('.tooltip').textContent()).toMatch(/t10k-\d{5}\.png/);
          await app.screenshot('42-latent-hover');
          await page.mouse.down();
          await page.mouse.up();
        }
      }
    }
    expect(found).toBe(true);
    const search = page.getByRole('region', { name: 'Similar images' });
    await expect.poll(() => search.locator('figure').count()).toBe(11);
    expect(await search.textContent()).toContain('query');
    await search.scrollIntoViewIfNeeded();
    await app.screenshot('43-latent-search');

    // Any image file can be the query: it is encoded by the same checkpoint.
    const photo = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#909090' } })
      .png()
      .toBuffer();
    await search.getByLabel('Search with an image file…').setInputFiles({
      name: 'grey square.png',
      mimeType: 'image/png',
      buffer: photo,
    });
    // The first file starts the results worker, which loads the engine.
    await expect
      .poll(() => search.getByRole('img', { name: 'grey square.png' }).isVisible(), { timeout: 30_000 })
      .toBe(true);
    expect(await search.locator('figure').count()).toBe(11);
    expect(await search.textContent()).toContain('The 10 nearest codes to grey square.png');
    await app.screenshot('43-latent-search-file');
    await page.locator('main').evaluate((main) => main.scrollTo(0, 0));
  });

  it('colours the map by reconstruction error with a colour bar', async () => {
    const { page } = app;
    await page.getByRole('combobox', { name: 'Colour by' }).selectOption({ label: 'Reconstruction error' });
    const legend = page.getByRole('complementary', { name: 'Legend' });
    expect(await legend.textContent()).toMatch(/Reconstruction error\s*≤ [\d.e-]+≥ [\d.e-]+/);
    // The colour bar takes the class list's place: the colours are no longer classes.
    expect(await legend.getByRole('list', { name: 'Classes' }).count()).toBe(0);
    await app.screenshot('46-latent-error-colours');
    await page.getByRole('combobox', { name: 'Colour by' }).selectOption({ label: 'Split (training or test)' });
    expect(await legend.getByRole('list', { name: 'Splits' }).textContent()).toMatch(/Training\s*0\s*Test\s*2,000/);
    await app.screenshot('46-latent-split-colours');
    await page.getByRole('combobox', { name: 'Colour by' }).selectOption({ label: 'Class' });
    expect(await legend.getByRole('list', { name: 'Classes' }).getByRole('button').count()).toBe(10);
  });

  it('opens the images in a shift-dragged box as a gallery with their classes', async () => {
    const { page } = app;
    const canvas = page.getByLabel(/^Map of 2000 images/);
    const box = (await canvas.boundingBox())!;
    await page.keyboard.down('Shift');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.6, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    const selection = page.getByRole('region', { name: 'Selected images' });
    await expect.poll(() => selection.isVisible()).toBe(true);
    const heading = (await selection.getByRole('heading').textContent())!;
    const count = Number(heading.replace(/[^\d]/g, ''));
    expect(count).toBeGreaterThan(0);
    expect(await selection.locator('figure').count()).toBe(Math.min(count, 120));
    await selection.scrollIntoViewIfNeeded();
    await app.screenshot('45-latent-selection');

    // The selection opens in Results as a reconstruction gallery of those very images.
    const shown = Math.min(count, 100);
    await selection.getByRole('button', { name: 'Reconstruct these' }).click();
    const picked = page.getByRole('region', { name: 'Picked images' });
    await expect.poll(() => picked.getByRole('img', { name: /^Epoch 2: / }).count(), { timeout: 30_000 }).toBe(shown);
    expect(await picked.textContent()).toContain(`The ${shown} images selected on the latent map.`);
    await app.screenshot('45-latent-selection-reconstructed');
    // Back on the map, which opens as it was left (the selection is not kept).
    await page.getByRole('button', { name: 'Latent map' }).click();
    await expect.poll(() => page.getByLabel(/^Map of 2000 images/).isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await selection.count()).toBe(0);
    await page.locator('main').evaluate((main) => main.scrollTo(0, 0));
  });

  it('draws a pair plot of the first code dimensions, with a choice of how many', async () => {
    const { page } = app;
    const section = page.getByRole('region', { name: 'Pair plot' });
    await expect
      .poll(() => section.getByLabel(/^Pair plot of code dimensions z0 to z3 for 2000 images/).isVisible())
      .toBe(true);
    await section.getByRole('combobox').selectOption({ label: 'z0 … z5' });
    await expect.poll(() => section.getByLabel(/z0 to z5 for 2000 images/).isVisible()).toBe(true);
    await section.scrollIntoViewIfNeeded();
    await app.screenshot('44-latent-pair-plot');
    await page.locator('main').evaluate((main) => main.scrollTo(0, 0));
  });

  it('hides a class from the legend and exports the map as CSV', async () => {
    const { page } = app;
    const legend = page.getByRole('complementary', { name: 'Legend' });
    const trouser = legend.getByRole('button', { name: /Trouser/ });
    await trouser.click();
    expect(await trouser.getAttribute('aria-pressed')).toBe('false');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV for Tableau' }).click();
    const file = await (await download).path();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('file_name,label,label_name,split,x1,x2');
    expect(lines).toHaveLength(2001);
    expect(app.pageErrors).toEqual([]);
  });

  it('draws the pair plot of a 2-D code: both numbers against each other', async () => {
    const { page, services } = app;
    const [dataset] = services.db.prepare('SELECT id FROM datasets').all() as Array<{ id: number }>;
    const preset = listPresets([28, 28, 1]).find((p) => p.id === 'small-dense')!;
    const { createApiHandlers } = await import('../../src-main/host/handlers');
    const api = createApiHandlers(services, { name: 'e2e', version: 'e2e', transport: 'browser' });
    const config = { ...preset.config, epochs: 1, batchSize: 256, model: { ...preset.config.model, latent: 2 } };
    const started = await api.invoke('training:start', { datasetId: dataset.id, config, name: 'Two numbers' });
    if (!started.ok) throw new Error(started.error.message);
    const runId = (started.value as { id: number }).id;
    expect(await services.supervisor.waitForRun(runId)).toBe('completed');
    await page.getByRole('combobox', { name: 'Run' }).selectOption({ label: `#${runId} Two numbers` });
    await page.getByRole('combobox', { name: 'Method' }).selectOption('pca');
    await page.getByRole('button', { name: 'Compute map' }).click();
    const section = page.getByRole('region', { name: 'Pair plot' });
    await expect.poll(() => section.getByLabel(/z0 to z1 for 2000 images/).isVisible(), { timeout: 60_000 }).toBe(true);
    expect(await section.getByRole('combobox').inputValue()).toBe('2');
    await section.scrollIntoViewIfNeeded();
    await app.screenshot('44-latent-pair-plot-2d');
    expect(app.pageErrors).toEqual([]);
  }, 120_000);

  it('shows two maps side by side, the image under the pointer ringed in both', async () => {
    const { page } = app;
    // The 2-D run's PCA map is open; beside it, the first run's t-SNE map of the same test images.
    const pair = page.getByRole('region', { name: 'Two maps side by side' });
    const second = pair.getByRole('combobox', { name: 'Second map' });
    await expect.poll(() => second.locator('option').count(), { timeout: 20_000 }).toBeGreaterThan(1);
    const tsne = (await second.locator('option').allTextContents()).find(
      (t) => t.startsWith('Run #1 ') && t.includes('t-SNE'),
    )!;
    await second.selectOption({ label: tsne });
    await expect.poll(() => pair.textContent(), { timeout: 20_000 }).toContain('2,000 images are on both maps.');
    const left = pair.getByRole('figure', { name: 'This map' }).locator('canvas');
    await left.scrollIntoViewIfNeeded();
    const box = (await left.boundingBox())!;
    let ringed = false;
    for (let fy = 0.2; fy <= 0.8 && !ringed; fy += 0.05) {
      for (let fx = 0.2; fx <= 0.8 && !ringed; fx += 0.05) {
        await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
        ringed = /Image \d+ \(.+\) is ringed\s+in both\./.test((await pair.textContent()) ?? '');
      }
    }
    expect(ringed).toBe(true);
    await page.mouse.down();
    await page.mouse.up();
    await pair.scrollIntoViewIfNeeded();
    await app.screenshot('45-latent-two-maps');
    const download = page.waitForEvent('download');
    await pair.getByRole('button', { name: 'Export CSV' }).click();
    const lines = readFileSync(await (await download).path(), 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toMatch(/^cache_index,label,label_name,map\d+_x1,map\d+_x2,map\d+_x1,map\d+_x2$/);
    expect(lines).toHaveLength(2001);
    expect(app.pageErrors).toEqual([]);
  }, 60_000);
});

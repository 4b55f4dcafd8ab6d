import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowserApp, type BrowserApp } from './browser-app';
import { listPresets } from '../../src-main/models/presets';
import { createApiHandlers } from '../../src-main/host/handlers';

/**
 * The Results section on a real trained run in Chromium: each tab renders from the run's checkpoints through the
 * real evaluation worker, with labels, numbers and exports.
 */
describe('results views', () => {
  let app: BrowserApp;

  beforeAll(async () => {
    app = await launchBrowserApp();
    const { services } = app;
    const [dataset] = services.db.prepare('SELECT id FROM datasets').all() as Array<{ id: number }>;
    const preset = listPresets([28, 28, 1]).find((p) => p.id === 'small-dense')!;
    const api = createApiHandlers(services, { name: 'e2e', version: 'e2e', transport: 'browser' });
    const started = await api.invoke('training:start', {
      datasetId: dataset.id,
      config: { ...preset.config, epochs: 3, batchSize: 128 },
    });
    if (!started.ok) throw new Error(started.error.message);
    expect(await services.supervisor.waitForRun((started.value as { id: number }).id)).toBe('completed');
    await app.page.goto(app.server.url);
    await app.page.getByRole('button', { name: 'Results' }).click();
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('shows test and training reconstructions with errors, per-class errors, and an epoch slider', async () => {
    const { page } = app;
    const test = page.getByRole('region', { name: 'Test images' });
    await expect.poll(() => test.getByRole('img', { name: /^Epoch 3: / }).count(), { timeout: 30_000 }).toBe(10);
    expect(
      await page
        .getByRole('region', { name: 'Training images' })
        .getByRole('img', { name: /^Original: / })
        .count(),
    ).toBe(10);
    const byClass = page.getByRole('img', { name: 'Mean reconstruction error per class' });
    await expect.poll(() => byClass.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await byClass.textContent()).toContain('Ankle boot');
    expect((await byClass.textContent())!.replace(/\s+/g, ' ')).toMatch(
      /Test: mean MSE 0\.0\d+, PSNR \d+\.\d dB, SSIM 0\.\d{3} over 2,000 images/,
    );
    // Each gallery image has its MSE, PSNR and SSIM under it.
    expect(await test.getByText('PSNR', { exact: true }).count()).toBe(1);
    expect(await test.getByText('SSIM', { exact: true }).count()).toBe(1);
    await app.screenshot('50-results-reconstructions');
    await page.getByRole('radio', { name: 'SSIM' }).click();
    await expect.poll(async () => byClass.textContent()).toContain('Mean SSIM (1 is a perfect copy)');
    await byClass.scrollIntoViewIfNeeded();
    await app.screenshot('50-results-ssim-per-class');
    await page.getByRole('radio', { name: 'MSE' }).click();
    await page.setViewportSize({ width: 1920, height: 1080 });
    await app.screenshot('50-results-reconstructions-large');
    await page.setViewportSize({ width: 1280, height: 820 });

    // With the model loaded, a bigger gallery is on screen within a second of the click (issue 33: it used to wait for
    // the whole split's errors).
    const clicked = performance.now();
    await page.getByRole('combobox', { name: 'How many' }).selectOption('20');
    await expect
      .poll(() => test.getByRole('img', { name: /^Epoch 3: / }).count(), { timeout: 10_000, interval: 20 })
      .toBe(20);
    const shownMs = performance.now() - clicked;
    console.info(`[results] a gallery of 20 was on screen ${shownMs.toFixed(0)} ms after the click`);
    expect(shownMs).toBeLessThan(1000);
    await page.getByRole('combobox', { name: 'How many' }).selectOption('10');
    await expect.poll(() => test.getByRole('img', { name: /^Epoch 3: / }).count(), { timeout: 10_000 }).toBe(10);

    // Back to the first checkpoint: the galleries follow.
    await page.getByRole('slider', { name: 'Epoch' }).fill('0');
    await expect.poll(() => test.getByRole('img', { name: /^Epoch 1: / }).count(), { timeout: 20_000 }).toBe(10);
    await page.getByRole('slider', { name: 'Epoch' }).fill('2');

    // The worst reconstructions, sorted.
    await page.getByRole('combobox', { name: 'Images' }).selectOption({ label: 'Test images' });
    await page.getByRole('combobox', { name: 'Which' }).selectOption({ label: 'Worst error' });
    await expect.poll(() => page.getByRole('region', { name: 'Training images' }).count(), { timeout: 20_000 }).toBe(0);
    // The worst need the whole test split's errors at this epoch, asked for after the first epoch's (still computing).
    await expect
      .poll(async () => (await test.textContent())?.includes('The worst-reconstructed 10'), { timeout: 60_000 })
      .toBe(true);
    // The MSE row comes first, then PSNR and SSIM.
    const errors = (await test.locator('.number').allTextContents()).map(Number).slice(0, 10);
    expect(errors).toEqual([...errors].sort((a, b) => b - a));
  }, 90_000);

  it('reconstructs uniform noise and a dropped-in file, and exports the gallery', async () => {
    const { page } = app;
    await page.getByRole('combobox', { name: 'Images' }).selectOption({ label: 'Uniform noise' });
    const noise = page.getByRole('region', { name: 'Uniform noise' });
    await expect.poll(() => noise.getByRole('img', { name: /^Original: noise/ }).count(), { timeout: 20_000 }).toBe(10);

    await page.getByRole('combobox', { name: 'Images' }).selectOption({ label: 'An image file' });
    expect(await page.getByText('Choose or drop an image file').isVisible()).toBe(true);
    const png = await sharp({ create: { width: 50, height: 50, channels: 3, background: '#d0d0d0' } })
      .png()
      .toBuffer();
    await page
      .getByLabel('Choose an image…')
      .setInputFiles({ name: 'my photo.png', mimeType: 'image/png', buffer: png });
    const mine = page.getByRole('region', { name: 'my photo.png' });
    await expect
      .poll(() => mine.getByRole('img', { name: /^Original: your image/ }).count(), { timeout: 20_000 })
      .toBe(1);
    await app.screenshot('50-results-file');
    const download = page.waitForEvent('download');
    await mine.getByRole('button', { name: 'Export PNG' }).click();
    const saved = await (await download).path();
    const meta = await sharp(readFileSync(saved)).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(200);

    await page.getByLabel('Choose an image…').setInputFiles({
      name: 'notes.png',
      mimeType: 'image/png',
      buffer: Buffer.from('not really a picture'),
    });
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/notes\.png" cannot be used: not an image/);
  }, 60_000);

  it('compares the autoencoder with PCA of the same size', async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'PCA vs AE' }).click();
    const figure = page.getByRole('region', { name: 'Autoencoder vs PCA' });
    await expect.poll(() => figure.getByRole('img', { name: /^PCA, 16: / }).count(), { timeout: 60_000 }).toBe(10);
    expect(await page.getByText('Test error, PCA (16 components)').isVisible()).toBe(true);
    expect(await page.getByText(/Variance PCA keeps/).isVisible()).toBe(true);
    await app.screenshot('51-results-pca');
  }, 90_000);

  it('shows how far long work has got, with time left and Cancel, and can compute it again', async () => {
    const { page } = app;
    // 400 components make the fit take seconds on the sample's training images.
    const components = page.getByRole('spinbutton', { name: 'PCA components' });
    await components.fill('400');
    await components.press('Tab');
    const work = page.getByTestId('results-progress');
    await work.getByText(/^Fitting PCA on [\d,]+ training images…$/).waitFor({ timeout: 30_000 });
    expect(await work.getByRole('progressbar', { name: 'Results progress' }).count()).toBe(1);
    expect(await work.getByText(/^Time left /).count()).toBe(1);
    await app.screenshot('52-results-work-progress');
    await work.getByRole('button', { name: 'Cancel' }).click();
    await page.getByText('Cancelled; nothing was changed.').waitFor();
    expect(await work.count()).toBe(0);
    await app.screenshot('52-results-work-cancelled');

    await page.getByRole('button', { name: 'Compute again' }).click();
    const figure = page.getByRole('region', { name: 'Autoencoder vs PCA' });
    await expect.poll(() => figure.getByRole('img', { name: /^PCA, 400: / }).count(), { timeout: 120_000 }).toBe(10);
    expect(await page.getByText('Cancelled; nothing was changed.').count()).toBe(0);
    expect(await work.count()).toBe(0);
    expect(app.pageErrors).toEqual([]);
  }, 180_000);

  it('corrupts test images at view time and shows what the model makes of them', async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Denoising' }).click();
    const figure = page.getByRole('region', { name: 'Clean, corrupted, output' });
    await expect.poll(() => figure.getByRole('img', { name: /^Corrupted: / }).count(), { timeout: 20_000 }).toBe(10);
    await page.getByRole('combobox', { name: 'Corruption' }).selectOption({ label: 'Occlusion (square)' });
    await expect.poll(() => figure.textContent()).toMatch(/Input MSE/);
    await app.screenshot('52-results-denoising');
  }, 60_000);

  it("shows the first layer's weights as images and a layer's activations", async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Filters & activations' }).click();
    const filters = page.getByRole('region', { name: 'First-layer filters' });
    // small-dense's first layer has 256 units: each one's 784 weights as a 28x28 image.
    await expect.poll(() => filters.getByRole('img', { name: /^Unit \d+$/ }).count(), { timeout: 20_000 }).toBe(64);
    await filters.getByRole('button', { name: 'Show all 256' }).click();
    expect(await filters.getByRole('img', { name: /^Unit \d+$/ }).count()).toBe(256);
    await filters.getByRole('button', { name: 'Show the first 64' }).click();
    const activations = page.getByRole('region', { name: 'Activations' });
    await expect.poll(() => activations.getByRole('img', { name: 'Map 0' }).count(), { timeout: 20_000 }).toBe(4);
    expect(await activations.textContent()).toMatch(/Values from -?[\d.]+ to [\d.]+/);
    await app.screenshot('53-results-filters');
  }, 60_000);

  it('decodes random codes, interpolates, adds noise and moves single code numbers', async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Latent playground' }).click();
    const random = page.getByRole('region', { name: 'Random codes' });
    await expect
      .poll(() => random.getByRole('img', { name: /^Decoded random code/ }).count(), { timeout: 30_000 })
      .toBe(16);
    const path = page.getByRole('region', { name: 'From A to B' });
    await expect.poll(() => path.getByRole('img', { name: /^Decoded: / }).count(), { timeout: 20_000 }).toBe(8);
    // A separate request, answered after the interpolation's: wait for it too.
    const noisy = page.getByRole('region', { name: 'Noise around A' });
    await expect.poll(() => noisy.getByRole('img').count(), { timeout: 20_000 }).toBe(8);
    const sliders = page.getByRole('region', { name: 'One number at a time' });
    await expect.poll(() => sliders.getByRole('slider').count(), { timeout: 20_000 }).toBe(16);
    await app.screenshot('54-results-playground');
    await sliders.scrollIntoViewIfNeeded();
    await app.screenshot('54-results-sliders');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await app.screenshot('54-results-playground-large');
    await page.setViewportSize({ width: 1280, height: 820 });
    expect(app.pageErrors).toEqual([]);
  }, 60_000);

  it("scores the codes: a checkpoint's k-NN and linear probe against chance, then a curve across checkpoints", async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Code quality' }).click();
    const panel = page.getByRole('region', { name: 'How good are the codes?' });
    expect(await panel.textContent()).toContain('codes are not scored yet');
    await page.getByRole('button', { name: /^Score epoch \d+'s codes$/ }).click();
    const scores = panel.getByRole('definition');
    await expect.poll(() => scores.count(), { timeout: 60_000 }).toBe(4);
    const [knn, linear, chance] = (await scores.allTextContents()).map((t) => parseFloat(t));
    expect(chance).toBe(10);
    expect(knn).toBeGreaterThan(chance + 20);
    expect(linear).toBeGreaterThan(chance + 20);
    await page.getByRole('button', { name: /^Score every checkpoint/ }).click();
    await expect
      .poll(() => page.getByRole('button', { name: 'Every checkpoint is scored', exact: true }).count(), {
        timeout: 120_000,
      })
      .toBe(1);
    await expect.poll(() => page.getByText('Scoring…').count(), { timeout: 60_000 }).toBe(0);
    await panel.getByLabel("Code scores across the run's checkpoints").waitFor();
    await app.screenshot('55-results-code-quality');
    expect(app.pageErrors).toEqual([]);
  }, 240_000);

  it('detects anomalies with a run trained on some classes: AUC, threshold, ROC and the most anomalous images', async () => {
    const { page, services } = app;
    const [dataset] = services.db.prepare('SELECT id FROM datasets').all() as Array<{ id: number }>;
    const preset = listPresets([28, 28, 1]).find((p) => p.id === 'small-dense')!;
    const api = createApiHandlers(services, { name: 'e2e', version: 'e2e', transport: 'browser' });
    // Trained on shoes only (Sandal, Sneaker, Ankle boot): clothes and bags are the anomalies.
    const started = await api.invoke('training:start', {
      datasetId: dataset.id,
      config: { ...preset.config, epochs: 3, batchSize: 64, trainClasses: [5, 7, 9] },
      name: 'Shoes only',
    });
    if (!started.ok) throw new Error(started.error.message);
    const runId = (started.value as { id: number }).id;
    expect(await services.supervisor.waitForRun(runId)).toBe('completed');
    const runs = page.getByRole('combobox', { name: 'Run' });
    await expect
      .poll(() => runs.getByRole('option', { name: `#${runId} Shoes only` }).count(), { timeout: 20_000 })
      .toBe(1);
    await runs.selectOption({ label: `#${runId} Shoes only` });
    await page.getByRole('tab', { name: 'Anomaly detection' }).click();
    const panel = page.getByRole('region', { name: 'Anomaly detection' });
    await expect
      .poll(async () => (await panel.count()) > 0 && (await panel.textContent()), { timeout: 60_000 })
      .toMatch(/AUC 0\.\d{4}/);
    const auc = Number(/AUC (0\.\d{4})/.exec((await panel.textContent())!)![1]);
    expect(auc).toBeGreaterThan(0.7);
    const normal = page.getByRole('group', { name: 'Normal classes' });
    expect(await normal.getByRole('checkbox', { checked: true }).count()).toBe(3);
    const recall = async () => (await panel.getByRole('definition').nth(2).textContent())!;
    const before = await recall();
    await page.getByRole('slider', { name: 'Threshold' }).fill('0.5');
    await expect.poll(recall).not.toBe(before);
    await expect.poll(() => page.getByRole('region', { name: 'Most anomalous' }).count(), { timeout: 60_000 }).toBe(1);
    await app.screenshot('56-results-anomaly');
    expect(app.pageErrors).toEqual([]);
  }, 240_000);
});

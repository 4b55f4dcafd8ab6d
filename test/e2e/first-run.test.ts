import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowserApp, type BrowserApp } from './browser-app';

/**
 * The foundation's thin path, as a new user lives it: open the app, find the sample dataset, train a small
 * autoencoder for one epoch, and see originals next to their reconstructions.
 */
describe('first run in the browser', () => {
  let app: BrowserApp;

  beforeAll(async () => {
    app = await launchBrowserApp();
    await app.page.goto(app.server.url);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('opens on the bundled sample dataset, with class counts and labelled thumbnails', async () => {
    const { page } = app;
    const card = page.getByTestId('dataset-card');
    await card.getByRole('heading', { name: 'Fashion-MNIST sample' }).waitFor();
    expect(await card.textContent()).toContain('8,000 train / 2,000 test');
    // The virtualised grid shows the rows in view (how many depends on the window), each image labelled.
    await expect.poll(async () => card.getByTestId('image-grid').getByRole('img').count()).toBeGreaterThanOrEqual(24);
    expect((await card.textContent())?.replace(/\s+/g, ' ')).toContain('8,000 images');
    expect(await card.getByRole('img').first().getAttribute('aria-label')).toMatch(
      /^(T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot) \(/,
    );
    // The status bar names the engine and the data folder.
    await page.getByTestId('engine-status').getByText('Engine:').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('engine-status').textContent()).toMatch(
      /Native CPU|WebAssembly|TensorFlow|JavaScript CPU/,
    );
    expect(await page.locator('footer').textContent()).toContain(app.services.dataDir);
    await app.screenshot('01-datasets');
  });

  it('trains a small autoencoder for one epoch and shows originals above reconstructions', async () => {
    const { page } = app;
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    // With no run yet, the screen opens on the model: its layers and a Keras-style summary.
    const summary = page.getByRole('table', { name: 'Model summary' });
    await summary.waitFor();
    expect(await summary.textContent()).toMatch(/\(None, 28, 28, 1\).*parameters/s);
    await app.screenshot('02-train-model');

    await page.getByLabel('Epochs', { exact: true }).fill('1');
    // Enter starts training, as the keyboard shortcut promises.
    await page.getByLabel('Epochs', { exact: true }).press('Enter');
    const monitor = page.getByTestId('run-monitor');
    await monitor.getByText(/Epoch 1 of 1, batch \d+ of 125/).waitFor({ timeout: 60_000 });
    expect(await monitor.getByRole('progressbar').getAttribute('aria-valuenow')).toMatch(/^\d+$/);
    expect(await page.getByTestId('job-status').textContent()).toMatch(
      /Training #1: epoch 1 of 1, \d+% · (\d+s|\d+m \d+s|—) left/,
    );
    await app.screenshot('03-training');

    const gallery = page.getByTestId('reconstruction-gallery');
    await gallery.waitFor({ timeout: 180_000 });
    // After the last epoch's gallery, the run measures its test images' PSNR and SSIM once, then completes.
    await expect.poll(() => monitor.locator('.badge').textContent(), { timeout: 60_000 }).toBe('completed');
    const images = gallery.getByRole('img');
    expect(await images.count()).toBe(20);
    // Ten originals and their reconstructions, in the same order and with the same labels (lines may wrap).
    const labels = await images.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label') ?? ''));
    const originals = labels.filter((label) => label.startsWith('Original: '));
    expect(originals).toHaveLength(10);
    expect(labels.filter((label) => label.startsWith('Reconstruction: '))).toEqual(
      originals.map((label) => label.replace('Original:', 'Reconstruction:')),
    );
    expect(await gallery.textContent()).toContain('Epoch 1: 10 test images, one per class in turn');
    // Under each image its MSE, then its PSNR (from the same error).
    const errors = await gallery.locator('.number').allTextContents();
    expect(errors).toHaveLength(20);
    for (const error of errors) expect(Number(error)).toBeGreaterThan(0);
    // The loss chart is drawn with its legend.
    expect(await monitor.locator('canvas[aria-label^="Loss curve"]').count()).toBe(1);
    await gallery.scrollIntoViewIfNeeded();
    await app.screenshot('04-reconstructions');
  });

  it('lists the run in Runs with its test loss', async () => {
    const { page } = app;
    await page.getByRole('button', { name: /^Runs/ }).click();
    const row = page.getByRole('table', { name: 'Runs' }).locator('tbody tr').first();
    await row.waitFor();
    expect(await row.textContent()).toMatch(
      /Small convolutional AE on Fashion-MNIST sample.*completed.*1\/1.*0\.0\d{3}/,
    );
    await app.screenshot('05-runs');
    expect(app.pageErrors).toEqual([]);
  });

  it('fits a small window: nothing scrolls sideways, key columns stay, the sidebar collapses; ? lists the shortcuts', async () => {
    const { page } = app;
    await page.setViewportSize({ width: 1024, height: 700 });
    // What is wider than its box (charts follow a resize a moment later, so this is polled).
    const sideways = () =>
      page
        .locator('main, .table-panel')
        .evaluateAll((elements) =>
          elements.filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.className || el.tagName),
        );
    await expect.poll(sideways, { timeout: 5_000 }).toEqual([]);
    const table = page.getByRole('table', { name: 'Runs' });
    for (const column of ['Name', 'Code', 'Status', 'Epochs', 'Best test', 'Final test'])
      expect(await table.getByRole('button', { name: column, exact: true }).isVisible()).toBe(true);
    // The rest give way (the run's details show them).
    expect(await table.getByRole('button', { name: 'Dataset', exact: true }).isVisible()).toBe(false);
    await app.screenshot('05-runs-small');
    await page.emulateMedia({ colorScheme: 'dark' });
    await app.screenshot('05-runs-small-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    const nav = page.getByRole('navigation', { name: 'Sections' });
    const wide = (await nav.boundingBox())!.width;
    await nav.getByRole('button', { name: 'Collapse the sidebar' }).click();
    await expect.poll(async () => (await nav.boundingBox())!.width).toBeLessThan(70);
    // Its sections keep their names for the keyboard and screen readers, and it stays collapsed on reopening.
    expect(await nav.getByRole('button', { name: 'Train', exact: true }).isVisible()).toBe(true);
    await app.screenshot('06-sidebar-collapsed-small');
    await page.reload();
    await expect.poll(async () => (await nav.boundingBox())?.width ?? 0).toBeLessThan(70);
    await page.keyboard.press('Control+b');
    await expect.poll(async () => (await nav.boundingBox())!.width).toBe(wide);

    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    expect(await help.textContent()).toMatch(/Space.*Pause or resume the run shown/);
    await app.screenshot('07-shortcuts');
    await page.keyboard.press('Escape');
    await expect.poll(() => help.isVisible()).toBe(false);
    await page.setViewportSize({ width: 1280, height: 820 });
    expect(app.pageErrors).toEqual([]);
  });
});

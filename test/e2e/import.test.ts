import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFashionSample } from '../helpers/fashion-subset';
import { fashionMnistClasses } from '../../src-main/datasets/sample-dataset';
import { launchBrowserApp, type BrowserApp } from './browser-app';

/** A real folder of pictures: Fashion-MNIST items saved as 84x84 PNGs in class folders, plus two bad files. */
async function makeWardrobeFolder(): Promise<string> {
  const root = join(mkdtempSync(join(tmpdir(), 'ae-studio-e2e-folder-')), 'wardrobe');
  const { pixels, labels } = loadFashionSample();
  for (let i = 0; i < 150; i++) {
    const dir = join(root, fashionMnistClasses[labels[i]].replace('/', ' or '));
    mkdirSync(dir, { recursive: true });
    const raw = Buffer.from(pixels.subarray(i * 784, (i + 1) * 784));
    writeFileSync(
      join(dir, `item ${i}.png`),
      await sharp(raw, { raw: { width: 28, height: 28, channels: 1 } })
        .resize(84, 84)
        .png()
        .toBuffer(),
    );
  }
  writeFileSync(join(root, 'Bag', 'shopping list.jpg'), 'milk, eggs');
  writeFileSync(join(root, 'Bag', 'empty.png'), '');
  return root;
}

describe('importing a folder in the browser', () => {
  let app: BrowserApp;
  let folder: string;

  beforeAll(async () => {
    folder = await makeWardrobeFolder();
    app = await launchBrowserApp();
    await app.page.goto(app.server.url);
  });

  afterAll(async () => {
    await app?.close();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  });

  it('imports the folder with progress and lists it with per-class counts', async () => {
    const { page } = app;
    await page.getByRole('button', { name: 'Import…' }).click();
    await page.getByLabel('Folder', { exact: true }).fill(folder);
    await page.getByLabel('Image size (px)').fill('28');
    await page.getByLabel('Colour').selectOption('1');
    await page.getByLabel('Test split').selectOption('0.2');
    await app.screenshot('10-import-form');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Imported 150 images; 2 skipped (see its import report).').waitFor({ timeout: 60_000 });
    const card = page.getByRole('article', { name: 'wardrobe' });
    await card.waitFor();
    // The stratified split puts round(20%) of every class in test.
    const { labels } = loadFashionSample();
    const perClass = fashionMnistClasses.map((_, c) => labels.subarray(0, 150).filter((l) => l === c).length);
    const test = perClass.reduce((sum, n) => sum + Math.round(n * 0.2), 0);
    expect((await card.textContent())?.replace(/\s+/g, ' ')).toContain(
      `28×28 greyscale · ${150 - test} train / ${test} test · 10 classes · 0 runs`,
    );
    // Folders become classes in alphabetical order.
    const classes = await card.locator('table.classes tbody td.name').allTextContents();
    expect(classes.map((c) => c.trim())).toEqual([...fashionMnistClasses.map((c) => c.replace('/', ' or '))].sort());
    await card.scrollIntoViewIfNeeded();
    await app.screenshot('11-imported');
  });

  it('shows the import report with every skipped file and why', async () => {
    const card = app.page.getByRole('article', { name: 'wardrobe' });
    await card.getByRole('button', { name: 'Import report' }).click();
    const report = card.getByTestId('import-report');
    await report.waitFor();
    const rows = await report.locator('tbody tr').allTextContents();
    expect(rows).toEqual([
      'Bag/empty.pngempty file (0 bytes)',
      'Bag/shopping list.jpgnot an image (JPEG, PNG, WebP, GIF, TIFF or AVIF expected)',
    ]);
    await report.scrollIntoViewIfNeeded();
    await app.screenshot('12-import-report');
  });

  it('browses images by split and class, and opens one with its details', async () => {
    const { page } = app;
    const card = page.getByRole('article', { name: 'wardrobe' });
    await card.getByRole('radio', { name: 'Test' }).click();
    await card.getByRole('combobox', { name: 'Class' }).selectOption({ label: 'Trouser' });
    const grid = card.getByTestId('image-grid');
    await expect.poll(async () => grid.getByRole('img').count()).toBeGreaterThan(0);
    const labels = await grid.getByRole('img').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label')));
    for (const label of labels) expect(label).toMatch(/^Trouser \(Trouser\/item \d+\.png\)$/);
    await grid.getByRole('button').first().click();
    const dialog = page.getByRole('dialog', { name: 'Image details' });
    await dialog.waitFor();
    expect((await dialog.textContent())?.replace(/\s+/g, ' ')).toMatch(
      /Class Trouser Split Test File Trouser\/item \d+\.png Original size 84×84 px, stored as 28×28 Position 1 of \d+/,
    );
    await app.screenshot('13-image-detail');
    await page.keyboard.press('ArrowRight');
    expect((await dialog.textContent())?.replace(/\s+/g, ' ')).toMatch(/Position 2 of/);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('looks right in a small and a large window', async () => {
    const { page } = app;
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByRole('article', { name: 'wardrobe' }).scrollIntoViewIfNeeded();
    await app.screenshot('14-datasets-small-window');
    await page.setViewportSize({ width: 1680, height: 1050 });
    await page.getByRole('article', { name: 'wardrobe' }).scrollIntoViewIfNeeded();
    await app.screenshot('15-datasets-large-window');
    await page.setViewportSize({ width: 1280, height: 820 });
  });

  it('opens Train with the dataset chosen by "Train on this…"', async () => {
    const { page } = app;
    await page.getByRole('article', { name: 'wardrobe' }).getByRole('button', { name: 'Train on this…' }).click();
    const select = page.getByRole('combobox', { name: 'Dataset' });
    await select.waitFor();
    expect(await select.locator('option:checked').textContent()).toBe('wardrobe (28×28)');
    await page.getByRole('button', { name: 'Datasets', exact: true }).click();
  });

  it('renames and deletes the dataset, leaving the sample alone', async () => {
    const { page } = app;
    const card = page.getByRole('article', { name: 'wardrobe' });
    await card.getByRole('button', { name: 'Rename' }).click();
    await card.getByLabel('New name').fill('My wardrobe');
    await card.getByRole('button', { name: 'Save name' }).click();
    const renamed = page.getByRole('article', { name: 'My wardrobe' });
    await renamed.waitFor();
    await renamed.getByRole('button', { name: 'Delete…' }).click();
    expect(await renamed.getByRole('alertdialog').textContent()).toMatch(/Your original files are not touched/);
    await renamed.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByText('Deleted "My wardrobe".').waitFor();
    expect(await page.getByTestId('dataset-card').count()).toBe(1);
    expect(app.pageErrors).toEqual([]);
  });
});

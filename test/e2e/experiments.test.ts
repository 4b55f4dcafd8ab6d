import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { launchBrowserApp, type BrowserApp } from './browser-app';
import { dataLayout } from '../../src-main/app/paths';
import { presetConfig } from '../../src-main/models/presets';
import { createApiHandlers } from '../../src-main/host/handlers';
import { pytorchExportFiles, readCsvWithPython, torchPython } from '../helpers/python-export';

/**
 * Runs as experiments in Chromium: a real sweep of three tiny runs, the runs table (search, sort, labels), comparing
 * runs (curves with a legend, settings that differ, reconstructions side by side), and starting a sweep from the UI.
 */
describe('runs, comparisons and sweeps', () => {
  let app: BrowserApp;

  beforeAll(async () => {
    app = await launchBrowserApp();
    const { services } = app;
    const [dataset] = services.db.prepare('SELECT id FROM datasets').all() as Array<{ id: number }>;
    const api = createApiHandlers(services, { name: 'e2e', version: 'e2e', transport: 'browser' });
    const started = await api.invoke('sweeps:start', {
      datasetId: dataset.id,
      config: { ...presetConfig('small-dense', [28, 28, 1])!, epochs: 2, batchSize: 256 },
      axes: [{ param: 'latent', values: [2, 6, 16] }],
    });
    if (!started.ok) throw new Error(started.error.message);
    for (const id of [1, 2, 3]) expect(await services.supervisor.waitForRun(id)).toBe('completed');
    await app.page.goto(app.server.url);
    await app.page.getByRole('button', { name: /^Runs/ }).click();
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('lists the sweep runs with their settings, searches and sorts them', async () => {
    const { page } = app;
    const table = page.getByRole('table', { name: 'Runs' });
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    expect(await table.locator('tbody tr').first().textContent()).toMatch(/Sweep 1: latent=16.*Small dense AE.*16/);
    await page.getByRole('searchbox', { name: 'Search runs' }).fill('latent=6');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Search runs' }).fill('');
    // Sorted by final test loss, lowest first.
    await table.getByRole('button', { name: 'Final test' }).click();
    const sortedHeader = table.locator('th[aria-sort="ascending"]');
    expect(await sortedHeader.textContent()).toContain('Final test');
    const losses = (await table.locator('tbody tr td:nth-child(12)').allTextContents()).map(Number);
    expect(losses).toEqual([...losses].sort((a, b) => a - b));
    await app.screenshot('60-runs-table');
  });

  it('exports the runs, and every epoch of them, as CSV with the settings as columns', async () => {
    const { page } = app;
    const save = async (button: string) => {
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: button }).click();
      const file = await (await download).path();
      return { header: readFileSync(file, 'utf8').split('\r\n')[0].split(','), rows: readCsvWithPython(file) };
    };
    const perRun = await save('One row per run');
    expect(perRun.header.slice(0, 3)).toEqual(['run_id', 'name', 'status']);
    expect(perRun.header).toEqual(
      expect.arrayContaining(['final_test_loss', 'config.model.latent', 'config.learningRate']),
    );
    expect(perRun.rows.map((row) => row['config.model.latent']).sort()).toEqual(['16', '2', '6']);
    expect(await page.getByText(/^Exported 3 rows as runs-\d{4}-\d{2}-\d{2}\.csv\.$/).isVisible()).toBe(true);

    const perEpoch = await save('One row per epoch');
    expect(perEpoch.header.slice(0, 5)).toEqual(['run_id', 'name', 'epoch', 'train_loss', 'test_loss']);
    const epochsDone = (app.services.db.prepare('SELECT sum(epochs_done) AS n FROM runs').get() as { n: number }).n;
    expect(perEpoch.rows).toHaveLength(epochsDone);
  });

  it('labels a run with a name, tags and notes', async () => {
    const { page } = app;
    const table = page.getByRole('table', { name: 'Runs' });
    await table.getByRole('button', { name: 'Sweep 1: latent=2' }).click();
    const details = page.getByRole('region', { name: 'Run details' });
    const saved = details.getByRole('status');
    await details.getByRole('textbox', { name: 'Run name' }).fill('Tiny code');
    await details.getByRole('textbox', { name: 'Run name' }).press('Tab');
    await expect.poll(() => saved.textContent()).toBe('Name saved.');
    await details.getByRole('textbox', { name: 'Tags' }).fill('small, dense');
    await details.getByRole('textbox', { name: 'Tags' }).press('Tab');
    await expect.poll(() => saved.textContent()).toBe('Tags saved.');
    await details.getByRole('textbox', { name: 'Notes' }).fill('Two numbers per image: blurry but recognisable.');
    await details.getByRole('textbox', { name: 'Notes' }).press('Tab');
    // Each save is confirmed on screen, and only then is it certain to be in the store.
    await expect.poll(() => saved.textContent()).toBe('Notes saved.');
    await expect.poll(() => table.getByRole('button', { name: 'Tiny code' }).count()).toBe(1);
    await expect.poll(async () => (await table.textContent())?.includes('small')).toBe(true);
    expect(app.services.db.prepare('SELECT name, notes, tags FROM runs WHERE id = 1').get()).toEqual({
      name: 'Tiny code',
      notes: 'Two numbers per image: blurry but recognisable.',
      tags: '["small","dense"]',
    });
    await page.getByRole('searchbox', { name: 'Search runs' }).fill('blurry');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Search runs' }).fill('');
    await app.screenshot('61-run-details');
  });

  it('keeps what the person types when the run is refreshed under them, and saves it', async () => {
    const { page } = app;
    const table = page.getByRole('table', { name: 'Runs' });
    const details = page.getByRole('region', { name: 'Run details' });
    const notes = details.getByRole('textbox', { name: 'Notes' });
    await notes.fill('Typed while the run was refreshed.');
    // Another process renames the run (its own connection, as the CLI would); the app refreshes the run under the
    // person's typing. Wait until that refresh is on screen: the race, made certain.
    const other = new Database(dataLayout(app.services.dataDir).database);
    try {
      other.prepare(`UPDATE runs SET name = 'Renamed elsewhere' WHERE id = 1`).run();
    } finally {
      other.close();
    }
    // The app notices another process's writes within 1.5 s (store/change-feed.ts), then fetches the runs it names.
    await expect
      .poll(() => table.getByRole('button', { name: 'Renamed elsewhere' }).count(), { timeout: 15_000 })
      .toBe(1);
    // The field nobody was typing in follows the store; the one being typed in keeps the typing.
    expect(await details.getByRole('textbox', { name: 'Run name' }).inputValue()).toBe('Renamed elsewhere');
    expect(await notes.inputValue()).toBe('Typed while the run was refreshed.');
    await notes.press('Tab');
    await expect.poll(() => details.getByRole('status').textContent()).toBe('Notes saved.');
    expect(app.services.db.prepare('SELECT name, notes FROM runs WHERE id = 1').get()).toEqual({
      name: 'Renamed elsewhere',
      notes: 'Typed while the run was refreshed.',
    });
    await app.screenshot('61-run-details-saved');
    // Back as the later tests expect it.
    await details.getByRole('textbox', { name: 'Run name' }).fill('Tiny code');
    await details.getByRole('textbox', { name: 'Run name' }).press('Tab');
    await expect.poll(() => table.getByRole('button', { name: 'Tiny code' }).count()).toBe(1);
  });

  it('compares the three runs: labelled curves, the setting that differs, and their reconstructions', async () => {
    const { page } = app;
    for (const id of [1, 2, 3]) await page.getByRole('checkbox', { name: `Compare run ${id}` }).check();
    await page.getByRole('button', { name: 'Compare 3 runs' }).click();
    const curves = page.getByLabel('Loss curves of runs 1, 2, 3');
    await expect.poll(() => curves.isVisible()).toBe(true);
    const diff = page.getByRole('table', { name: 'Settings that differ' });
    await expect.poll(() => diff.locator('tbody tr').first().textContent()).toMatch(/^Latent size\s*2\s*6\s*16$/);
    const side = page.getByRole('region', { name: 'Same test images, each run' });
    await expect.poll(() => side.getByRole('img', { name: /^#3 latent=16: / }).count(), { timeout: 30_000 }).toBe(8);
    await app.screenshot('62-compare');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await app.screenshot('62-compare-large');
    await page.setViewportSize({ width: 1280, height: 820 });
  }, 60_000);

  it('shows the sweep with final test loss against the code size, and starts a new sweep', async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Sweeps' }).click();
    const runs = page.getByRole('table', { name: 'Runs of sweep 1' });
    await expect.poll(() => runs.locator('tbody tr').count()).toBe(3);
    expect(await page.getByLabel('Final test loss against latent').isVisible()).toBe(true);
    await app.screenshot('63-sweep');

    // A new sweep from the selected run's settings: two batch sizes.
    await page.getByRole('combobox', { name: 'Vary' }).selectOption({ label: 'Batch size' });
    await page.getByRole('textbox', { name: 'Values', exact: true }).fill('128, 512');
    await page.getByRole('button', { name: 'Start sweep' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Runs of sweep 2' }).locator('tbody tr').count()).toBe(2);
    for (const id of [4, 5]) expect(await app.services.supervisor.waitForRun(id)).toBe('completed');
    await expect
      .poll(() => page.getByRole('list', { name: 'Sweeps' }).textContent(), { timeout: 20_000 })
      .toMatch(/#2.*2\/2 done/s);

    // Or from a preset: two seeds of one epoch.
    await page.getByRole('combobox', { name: 'Start from' }).selectOption({ label: 'A preset' });
    await page.getByRole('combobox', { name: 'Preset' }).selectOption({ label: 'Small dense AE' });
    await page.getByRole('spinbutton', { name: 'Epochs' }).fill('1');
    await page.getByRole('combobox', { name: 'Vary' }).selectOption({ label: 'Seed' });
    await page.getByRole('textbox', { name: 'Values', exact: true }).fill('1, 2');
    await page.getByRole('button', { name: 'Start sweep' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Runs of sweep 3' }).locator('tbody tr').count()).toBe(2);
    for (const id of [6, 7]) expect(await app.services.supervisor.waitForRun(id)).toBe('completed');
    await app.screenshot('63-sweep-new');
  }, 120_000);

  it('keeps datasets and runs in projects: a new one starts empty, the old one is as it was', async () => {
    const { page } = app;
    const nav = page.getByRole('navigation', { name: 'Sections' });
    await nav.getByRole('button', { name: 'New…' }).click();
    await nav.getByRole('textbox', { name: 'Project name' }).fill('Faces');
    await nav.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByText('No runs yet.').isVisible()).toBe(true);
    expect(await nav.getByRole('combobox', { name: 'Project' }).inputValue()).toBe('2');
    await page.getByRole('button', { name: 'Datasets' }).click();
    await expect.poll(() => page.getByText(/No datasets yet/).isVisible()).toBe(true);
    await app.screenshot('64-new-project');
    await nav.getByRole('combobox', { name: 'Project' }).selectOption({ label: 'My project' });
    await page.getByRole('button', { name: /^Runs/ }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Runs' }).locator('tbody tr').count()).toBe(7);
    expect(app.pageErrors).toEqual([]);
  }, 120_000);

  it("shows each run's disk use and frees a finished run's space down to its last and best checkpoints", async () => {
    const { page, services } = app;
    const [dataset] = services.db.prepare('SELECT id FROM datasets WHERE project_id = 1').all() as Array<{
      id: number;
    }>;
    const api = createApiHandlers(services, { name: 'e2e', version: 'e2e', transport: 'browser' });
    const config = {
      ...presetConfig('small-dense', [28, 28, 1])!,
      epochs: 5,
      batchSize: 256,
      checkpoints: { keepLast: 3, keepEvery: 0 },
    };
    const started = await api.invoke('training:start', { datasetId: dataset.id, config, name: 'Five epochs' });
    if (!started.ok) throw new Error(started.error.message);
    expect(await services.supervisor.waitForRun((started.value as { id: number }).id)).toBe('completed');
    await page.reload();
    await page.getByRole('button', { name: /^Runs/ }).click();
    const table = page.getByRole('table', { name: 'Runs' });
    await table.getByRole('button', { name: 'Five epochs' }).click();
    const row = table.locator('tbody tr.selected');
    await expect.poll(() => row.locator('td').last().textContent()).toMatch(/^\d+\.\d MB$/);
    const details = page.getByRole('region', { name: 'Run details' });
    await expect
      .poll(() => details.getByText(/On disk:/).innerText())
      .toMatch(/On disk: \d+\.\d MB, with the checkpoints of epochs 3, 4, 5\. It keeps the last 3 and the best\./);
    await details.getByRole('button', { name: 'Free space…' }).click();
    expect(await details.getByText(/Keep only the last checkpoint \(epoch 5\) and the best\?/).isVisible()).toBe(true);
    await app.screenshot('65-free-space');
    await details.getByRole('button', { name: 'Free space', exact: true }).click();
    await expect
      .poll(() => page.getByText(/Freed \d+(\.\d)? MB from run \d+; it keeps the checkpoints? of epochs? /).isVisible())
      .toBe(true);
    await expect.poll(() => details.getByText(/On disk:/).innerText()).toMatch(/with the checkpoints? of epochs? 5\./);
    expect(await details.getByRole('button', { name: 'Free space…' }).count()).toBe(0);
    await app.screenshot('66-space-freed');
    await page.setViewportSize({ width: 1024, height: 700 });
    await app.screenshot('66-space-freed-small');
    await page.setViewportSize({ width: 1280, height: 820 });
    // The banner belongs to the page it was raised on: it does not follow to another section.
    await page.getByRole('button', { name: /^Datasets/ }).click();
    expect(await page.getByText(/Freed \d/).count()).toBe(0);
    await page.getByRole('button', { name: /^Runs/ }).click();
    expect(app.pageErrors).toEqual([]);
  }, 120_000);

  it('exports a run for PyTorch: the folder it names holds a model that runs in PyTorch', async () => {
    const { page } = app;
    const table = page.getByRole('table', { name: 'Runs' });
    await table.getByRole('button', { name: 'Five epochs' }).click();
    const details = page.getByRole('region', { name: 'Run details' });
    const parent = mkdtempSync(join(tmpdir(), 'ae-studio-e2e-export-'));
    try {
      await details.getByRole('combobox', { name: 'Export format' }).selectOption('pytorch');
      await details.getByRole('textbox', { name: 'Export folder' }).fill(parent);
      await details.getByRole('button', { name: 'Export run…' }).click();
      const message = page.getByText(/Exported run \d+ as PyTorch code and weights to /);
      await expect.poll(() => message.isVisible(), { timeout: 30_000 }).toBe(true);
      const folder = /to (.+-pytorch)\./.exec(await message.innerText())![1];
      expect(readdirSync(folder).sort()).toEqual(pytorchExportFiles);
      await app.screenshot('67-export-pytorch');
      const printed = execFileSync(torchPython, ['example.py'], { cwd: folder, encoding: 'utf8' });
      expect(printed).toMatch(/Mean squared error: 0\.\d+ \(Autoencoder Studio: 0\.\d+\)/);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
    expect(app.pageErrors).toEqual([]);
  }, 60_000);

  it('compares runs with different losses on separate axes, and says their values are not comparable', async () => {
    const { page, services } = app;
    const [dataset] = services.db.prepare('SELECT id FROM datasets WHERE project_id = 1').all() as Array<{
      id: number;
    }>;
    const api = createApiHandlers(services, { name: 'e2e', version: 'e2e', transport: 'browser' });
    const config = { ...presetConfig('small-dense', [28, 28, 1])!, epochs: 2, batchSize: 256, loss: 'bce' as const };
    const started = await api.invoke('training:start', { datasetId: dataset.id, config, name: 'Cross-entropy' });
    if (!started.ok) throw new Error(started.error.message);
    const bce = (started.value as { id: number }).id;
    expect(await services.supervisor.waitForRun(bce)).toBe('completed');
    await page.getByRole('tab', { name: 'Runs', exact: true }).click();
    for (const id of [1, bce]) await page.getByRole('checkbox', { name: `Compare run ${id}` }).check();
    await page.getByRole('button', { name: 'Compare 2 runs' }).click();
    await page
      .getByText(/These runs use different losses: MSE on the left axis, cross-entropy on the right\./)
      .waitFor();
    const diff = page.getByRole('table', { name: 'Settings that differ' });
    expect(await diff.getByRole('row', { name: /^Loss/ }).textContent()).toMatch(/^Loss\s*MSE\s*cross-entropy$/);
    const final = diff.getByRole('row', { name: /^Final test loss/ });
    expect(await final.textContent()).toMatch(
      /^Final test loss \(different losses: not comparable\)\s*0\.\d+ MSE\s*0\.\d+ cross-entropy$/,
    );
    await page.getByRole('combobox', { name: 'Curve' }).selectOption('batch');
    await page.getByRole('slider', { name: 'Loss smoothing' }).fill('0.8');
    await app.screenshot('62-compare-different-losses');
    expect(app.pageErrors).toEqual([]);
  }, 90_000);

  it('says when an imported run is already here, and imports a copy only when asked', async () => {
    const { page, services } = app;
    const api = createApiHandlers(services, { name: 'e2e', version: 'e2e', transport: 'browser' });
    const parent = mkdtempSync(join(tmpdir(), 'ae-studio-e2e-export-'));
    try {
      const exported = await api.invoke('runs:export', { runId: 1, dir: parent });
      if (!exported.ok) throw new Error(exported.error.message);
      const runs = () => (services.db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
      const before = runs();
      await page.getByRole('tab', { name: 'Runs', exact: true }).click();
      await page.getByRole('textbox', { name: 'Exported run folder' }).fill((exported.value as { path: string }).path);
      await page.getByRole('button', { name: 'Import run…' }).click();
      const problem = page.getByRole('alert').filter({ hasText: 'This run is already here: run 1' });
      await problem.waitFor();
      expect(runs()).toBe(before);
      await app.screenshot('69-import-duplicate');
      await problem.getByRole('button', { name: 'Import a copy' }).click();
      await page.getByText(/^Imported ".+ \(copy\)" as run \d+\.$/).waitFor();
      expect(runs()).toBe(before + 1);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
    expect(app.pageErrors).toEqual([]);
  }, 60_000);
});

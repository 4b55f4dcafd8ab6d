import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowserApp, type BrowserApp } from './browser-app';
import { freePort, startPostgres, type TestPostgres } from '../helpers/postgres';
import { startHubProcess, startWorkerProcess, stopProcess, type CliProcess } from '../helpers/lab';

/**
 * The app opened on a lab hub's data folder (browser mode, Chromium), with a real hub on a real PostgreSQL and one
 * real worker: the Sweeps tab offers the lab workers, lists the worker, and a sweep sent there comes home.
 */
describe('the app on a lab hub', () => {
  let pg: TestPostgres;
  let app: BrowserApp;
  let hub: CliProcess;
  let worker: CliProcess;
  const root = mkdtempSync(join(tmpdir(), 'ae-studio-e2e-lab-'));

  beforeAll(async () => {
    pg = await startPostgres();
    const port = await freePort();
    const dataDir = join(root, 'hub');
    const started = await startHubProcess(dataDir, pg.url, port);
    hub = started;
    worker = startWorkerProcess(`http://127.0.0.1:${port}`, started.token, join(root, 'worker'));
    app = await launchBrowserApp({ dataDir });
    await app.page.goto(app.server.url);
    await app.page.getByRole('button', { name: /^Runs/ }).click();
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    if (worker) await stopProcess(worker, 'SIGKILL');
    if (hub) await stopProcess(hub, 'SIGTERM');
    pg?.dispose();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('sends a sweep to the lab workers and shows the worker that trains it', async () => {
    const { page } = app;
    await page.getByRole('tab', { name: 'Sweeps' }).click();
    const workers = page.getByRole('table', { name: 'Lab workers' });
    await expect.poll(() => workers.locator('tbody tr').count(), { timeout: 30_000 }).toBe(1);
    expect(await workers.locator('tbody tr').first().textContent()).toMatch(/CPU.*Native CPU.*idle.*healthy/);

    await page.getByRole('combobox', { name: 'Start from' }).selectOption({ label: 'A preset' });
    await page.getByRole('combobox', { name: 'Preset' }).selectOption({ label: 'Small dense AE' });
    await page.getByRole('spinbutton', { name: 'Epochs' }).fill('2');
    await page.getByRole('combobox', { name: 'Vary' }).selectOption({ label: 'Seed' });
    await page.getByRole('textbox', { name: 'Values', exact: true }).fill('1, 2');
    await page.getByRole('combobox', { name: 'Run on' }).selectOption({ index: 1 });
    expect(await page.getByRole('combobox', { name: 'Run on' }).textContent()).toMatch(/Lab workers \(http:\/\/127/);
    await page.getByRole('button', { name: 'Start sweep' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Runs of sweep 1' }).locator('tbody tr').count()).toBe(2);
    // The worker takes a run; the panel says which.
    await expect.poll(() => workers.textContent(), { timeout: 60_000 }).toMatch(/run #\d/);
    await app.screenshot('66-lab-workers');
    await expect
      .poll(() => page.getByRole('list', { name: 'Sweeps' }).textContent(), { timeout: 120_000 })
      .toMatch(/#1.*2\/2 done/s);
    // Trained by the worker, not here: the runs carry it, and this process's queue never had them.
    const runs = app.services.db.prepare('SELECT worker, status FROM runs ORDER BY id').all() as Array<{
      worker: string;
      status: string;
    }>;
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);
    for (const run of runs) expect(JSON.parse(run.worker)).toMatchObject({ host: expect.any(String), gpu: null });
    await expect.poll(() => workers.textContent(), { timeout: 20_000 }).toMatch(/idle\s*2/);
    await app.screenshot('66-lab-sweep-done');
    expect(app.pageErrors).toEqual([]);
  }, 240_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowserApp, type BrowserApp } from './browser-app';
import { runCli, trainTinyRunCli } from '../helpers/cli-process';

/**
 * One store, several processes: what the command line does to the store the open app shows appears in the app
 * without a reload (the app watches SQLite's data_version, which other connections' commits change).
 */
describe('the open app and the command line on one store', () => {
  let app: BrowserApp;

  beforeAll(async () => {
    app = await launchBrowserApp();
    await app.page.goto(app.server.url);
    await app.page.getByRole('button', { name: /^Runs/ }).click();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('shows a run the CLI trained, and its new name, without a reload', async () => {
    const { page, services } = app;
    await page.getByText('No runs yet.').waitFor({ timeout: 15_000 });
    const trained = await trainTinyRunCli(services.dataDir);
    expect(trained.code).toBe(0);
    const table = page.getByRole('table', { name: 'Runs' });
    // It appeared while the CLI trained it, and its row follows it to the end.
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 15_000 }).toBe(1);
    await expect
      .poll(() => table.locator('tbody tr').first().textContent(), { timeout: 15_000 })
      .toMatch(/Small dense AE.*completed/);

    const id = /run (\d+)/i.exec(trained.stdout)?.[1] ?? '1';
    expect((await runCli(['label', id, '--name', 'Named in a terminal', '--data-dir', services.dataDir])).code).toBe(0);
    await expect
      .poll(() => table.getByRole('button', { name: 'Named in a terminal' }).count(), { timeout: 15_000 })
      .toBe(1);
    await app.screenshot('68-run-from-cli');
    expect(app.pageErrors).toEqual([]);
  }, 120_000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataLayout } from '../../src-main/app/paths';

/**
 * The packaged desktop app, for real, as a user double-clicks it: it opens its window, names its engine, trains the
 * sample for an epoch, and when its window is closed in the middle of the next epoch it stops the run with a
 * checkpoint inside that epoch before it quits. For a machine with Electron and a display (the release workflow runs
 * it on Linux under xvfb, Windows and macOS after building the installer); it cannot run where Electron cannot be
 * downloaded. `npm run test:smoke`, with AE_STUDIO_APP set to the packaged executable, e.g.
 * dist/linux-unpacked/autoencoder-studio, dist/win-unpacked/Autoencoder Studio.exe or
 * dist/mac-arm64/Autoencoder Studio.app/Contents/MacOS/Autoencoder Studio.
 *
 * The packaged app's fuses turn off Node's inspector, which Playwright's Electron support attaches through, so the
 * test starts the executable itself and drives its window over Chromium's DevTools protocol.
 */
const executable = process.env.AE_STUDIO_APP ?? '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe('the packaged desktop app', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ae-studio-smoke-'));
  let app: ChildProcess;
  let exited: Promise<number | null>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(executable))
      throw new Error(`Set AE_STUDIO_APP to the packaged app's executable (got "${executable}").`);
    const port = await freePort();
    app = spawn(executable, [`--data-dir=${dataDir}`, `--remote-debugging-port=${port}`], { stdio: 'inherit' });
    exited = new Promise((resolve) => app.on('exit', (code) => resolve(code)));
    // The window's DevTools endpoint comes up with the app.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    await expect
      .poll(
        () =>
          browser
            .contexts()
            .flatMap((c) => c.pages())
            .find((p) => p.url().endsWith('/index.html')),
        {
          timeout: 60_000,
        },
      )
      .toBeTruthy();
    page = browser
      .contexts()
      .flatMap((c) => c.pages())
      .find((p) => p.url().endsWith('/index.html'))!;
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    if (app && app.exitCode === null) app.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens on the sample dataset and names its engine in the status bar', async () => {
    await expect.poll(() => page.getByTestId('engine-status').textContent(), { timeout: 60_000 }).toMatch(/^Engine: /);
    const engine = await page.getByTestId('engine-status').textContent();
    console.log(`[smoke] ${engine}`);
    expect(engine).not.toMatch(/Engine unavailable/);
    expect(await page.getByText('The desktop bridge did not load').count()).toBe(0);
  });

  it('trains the sample for an epoch, and keeps a checkpoint inside the next when its window is closed', async () => {
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await page.getByLabel('Epochs').fill('2');
    await page.getByRole('button', { name: 'Start training' }).click();
    const store = () => new Database(dataLayout(dataDir).database, { readonly: true, fileMustExist: true });
    const inEpoch2 = () => {
      const db = store();
      try {
        return (
          db.prepare(`SELECT count(*) AS n FROM metrics WHERE scope = 'batch' AND epoch = 2`).get() as { n: number }
        ).n;
      } finally {
        db.close();
      }
    };
    await expect.poll(inEpoch2, { timeout: 600_000, interval: 500 }).toBeGreaterThanOrEqual(3);

    // Closing the window quits the app, which first stops the run as Stop does.
    await page.close();
    expect(
      await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 60_000))]),
    ).toBe(0);
    const db = store();
    try {
      expect(db.prepare('SELECT status, epochs_done AS epochs FROM runs WHERE id = 1').get()).toEqual({
        status: 'interrupted',
        epochs: 1,
      });
      const kept = db
        .prepare('SELECT epoch, batches_done AS done FROM checkpoints WHERE run_id = 1 ORDER BY epoch')
        .all() as Array<{
        epoch: number;
        done: number | null;
      }>;
      expect(kept.at(-1)).toMatchObject({ epoch: 2 });
      expect(kept.at(-1)!.done).toBeGreaterThanOrEqual(3);
    } finally {
      db.close();
    }
  }, 900_000);
});

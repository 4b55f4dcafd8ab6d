import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowserApp, type BrowserApp } from './browser-app';
import { presetConfig } from '../../src-main/models/presets';
import { createApiHandlers } from '../../src-main/host/handlers';
import { getRun } from '../../src-main/store/runs';
import { softwareGpuEnv } from '../helpers/software-gpu';
import { createFashionSubset } from '../helpers/fashion-subset';

/**
 * The GPU engine as a user meets it, on SwiftShader: the status bar names the adapter, a run that loses its GPU
 * device mid-training says so and offers to go on on the CPU, and does. (This file's process is its own: the GPU
 * variables set here reach only the workers it starts.)
 */
describe('GPU training in the app', () => {
  let app: BrowserApp;
  let runId: number;

  beforeAll(async () => {
    // The device is destroyed after 10 batches (inside epoch 2 of 8-batch epochs), as a driver reset would.
    Object.assign(process.env, softwareGpuEnv({ allow: true, force: true }), {
      AE_STUDIO_TEST_LOSE_GPU_AFTER_BATCHES: '10',
    });
    app = await launchBrowserApp();
    const { services } = app;
    // Few images: SwiftShader runs the GPU's work on the CPU.
    const datasetId = createFashionSubset(services.db, services.dataDir, 512, 128);
    const api = createApiHandlers(services, { name: 'e2e', version: 'e2e', transport: 'browser' });
    const config = { ...presetConfig('small-dense', [28, 28, 1])!, epochs: 2, batchSize: 64 };
    const started = await api.invoke('training:start', { datasetId, config, name: 'On the GPU' });
    if (!started.ok) throw new Error(started.error.message);
    runId = (started.value as { id: number }).id;
    expect(await services.supervisor.waitForRun(runId)).toBe('interrupted');
    await app.page.goto(app.server.url);
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('names the GPU in the status bar', async () => {
    const status = app.page.getByTestId('engine-status');
    await expect
      .poll(() => status.textContent())
      .toMatch(/Engine: GPU \(WebGPU through Dawn, software\) \(google swiftshader/);
    await app.screenshot('70-gpu-status');
  });

  it('says the GPU was lost, keeps epoch 1, and resumes the run on the CPU', async () => {
    const { page } = app;
    await page.getByRole('button', { name: /^Runs/ }).click();
    await page.getByRole('table', { name: 'Runs' }).getByRole('button', { name: 'On the GPU' }).click();
    const monitor = page.getByTestId('run-monitor');
    await expect
      .poll(() => monitor.getByRole('status').textContent())
      .toMatch(/^Training stopped because the GPU device was lost .*keeps its last checkpoint \(epoch 1\)/);
    await app.screenshot('71-gpu-lost');
    await monitor.getByRole('button', { name: 'Resume on CPU' }).click();
    await expect.poll(() => getRun(app.services.db, runId)?.status, { timeout: 120_000 }).toBe('completed');
    expect(getRun(app.services.db, runId)).toMatchObject({ engine: 'native', epochsDone: 2 });
    await expect.poll(() => monitor.textContent()).toMatch(/Native CPU/);
    expect(app.pageErrors).toEqual([]);
  });
});

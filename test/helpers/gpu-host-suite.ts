import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../src-main/host/services';
import { createApiHandlers } from '../../src-main/host/handlers';
import { spawnNodeWorker } from '../../src-main/worker/node-worker';
import { spawnWithGpuHost } from '../../src-main/worker/gpu-host-port';
import { getRun, insertRun } from '../../src-main/store/runs';
import { listMetrics } from '../../src-main/store/metrics';
import { latestCheckpoint } from '../../src-main/store/checkpoints';
import { presetConfig } from '../../src-main/models/presets';
import { resumeTraining } from '../../src-main/runs/run-commands';
import type {
  ApiMethods,
  EngineStatus,
  MethodChannel,
  Result,
  TrainingConfig,
  TrainingProgress,
} from '../../src-main/api/contract';
import { startChromiumGpuHost, type ChromiumGpuHost } from '../../scripts/chromium-gpu-host';
import { narrowModel } from '../../bench/reference-models';
import { createFashionSubset } from './fashion-subset';
import { useTempDirs } from './temp-dir';
import { softwareGpuEnv, withEnv } from './software-gpu';

/**
 * The WebGPU engine, for real, on SwiftShader (a software Vulkan driver), on either of its hosts:
 * - `dawn`: Dawn as a Node addon in the worker process (the CLI and browser mode);
 * - `chromium`: the desktop app's GPU window — the built gpu-host page in headless Chromium, its dedicated worker on
 *   Chromium's own WebGPU — reached from the worker process over the same frames the desktop app's MessagePort
 *   carries (here through a WebSocket relay).
 * The same worker processes, tfjs kernels and trainer core as on a user's GPU, only slower. Runs are tiny because
 * SwiftShader runs the shaders on the CPU.
 */
export type GpuHostKind = 'dawn' | 'chromium';

const gpu = softwareGpuEnv({ allow: true, force: true });
const cpu = { AE_STUDIO_ENGINE: 'native' };
/**
 * Largest relative difference seen between the GPU's losses and the native CPU engine's over these runs: 1.62e-5 on
 * both hosts (the VAE; the two hosts compute identical losses), over every family; allowed: 1e-4.
 */
export const lossTolerance = 1e-4;

const shape = [28, 28, 1] as const;
export function tiny(preset: string, changes: Partial<TrainingConfig> = {}): TrainingConfig {
  const base = presetConfig(preset, [...shape])!;
  return { ...base, epochs: 1, batchSize: 16, seed: 7, ...changes };
}

/** The same layers with at most `filters` filters per convolution (seed 001's 112 take minutes on SwiftShader). */
export function narrow(config: TrainingConfig, filters: number): TrainingConfig {
  return { ...config, model: narrowModel(config.model, filters) };
}

/** One config per preset family; the last three add a variant on top of a small model. */
const families: Array<[string, TrainingConfig]> = [
  ['dense', tiny('small-dense')],
  ['conv + transposed conv', tiny('small-conv')],
  ['conv + batch norm + pooling + upsampling (seed 001)', narrow(tiny('fashion-cae-2d'), 8)],
  ['max-unpooling (seed 002)', tiny('conv-unpool')],
  ['sparse (L1 on the code)', tiny('sparse-1156')],
  ['denoising', tiny('small-conv', { corruption: { type: 'gaussian', level: 0.3 } })],
  ['variational (VAE)', tiny('conv-vae')],
];

const labels: Record<GpuHostKind, string> = {
  dawn: 'GPU (WebGPU through Dawn, software)',
  chromium: 'GPU (WebGPU in Chromium, software)',
};

export function describeGpuHost(kind: GpuHostKind): void {
  describe(`WebGPU engine on a software GPU, ${kind === 'dawn' ? 'through Dawn in Node' : 'in Chromium'}`, () => {
    const tempDir = useTempDirs();
    let services: Services;
    let datasetId: number;
    let chromium: ChromiumGpuHost | undefined;
    const spawnWorker = () => (chromium ? spawnWithGpuHost(spawnNodeWorker, chromium.url) : spawnNodeWorker);

    // One store for the whole suite (the per-test folders go after each test).
    const dataDir = mkdtempSync(join(tmpdir(), `ae-studio-${kind}-`));
    beforeAll(async () => {
      if (kind === 'chromium') chromium = await startChromiumGpuHost();
      services = openServices({ dataDir, spawnWorker: spawnWorker(), sampleDataset: false });
      // 32 training images: 2 batches of 16 an epoch.
      datasetId = createFashionSubset(services.db, dataDir, 32, 16);
    }, 120_000);
    afterAll(async () => {
      await services?.close();
      await chromium?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    async function train(config: TrainingConfig, env: Record<string, string>, name: string): Promise<number> {
      const runId = insertRun(services.db, { datasetId, name, config: JSON.stringify(config) });
      await withEnv(env, async () => {
        services.supervisor.enqueue(runId);
        await services.supervisor.waitForRun(runId);
      });
      return runId;
    }

    async function resume(runId: number, env: Record<string, string>, options: { onCpu?: boolean } = {}) {
      await withEnv(env, async () => {
        resumeTraining(services.db, services.supervisor, runId, options);
        await services.supervisor.waitForRun(runId);
      });
    }

    function losses(runId: number): number[] {
      const batches = listMetrics(services.db, runId, 'batch').map((m) => m.trainLoss!);
      const epochs = listMetrics(services.db, runId, 'epoch').map((m) => m.testLoss!);
      return [...batches, ...epochs];
    }

    /** The engine a fresh training process finds with `env` (its own store, so its probe is fresh too). */
    async function probe(env: Record<string, string>): Promise<EngineStatus> {
      return withEnv(env, async () => {
        const probing = openServices({ dataDir: tempDir(), spawnWorker: spawnWorker(), sampleDataset: false });
        try {
          return await probing.supervisor.engine();
        } finally {
          await probing.close();
        }
      });
    }

    /** Trains until the first progress that `when` accepts, then does `act` (once). */
    function onceProgress(when: (p: TrainingProgress) => boolean, act: () => void | Promise<void>): () => void {
      let done = false;
      return services.supervisor.onProgress((p) => {
        if (done || p.phase !== 'training' || !when(p)) return;
        done = true;
        void act();
      });
    }

    it('is refused on a software adapter unless allowed, with the reason', async () => {
      const refused = await probe(softwareGpuEnv({ allow: false, force: false }));
      expect(refused.name).not.toBe('webgpu');
      expect(refused.unavailable.find((u) => u.name === 'webgpu')?.reason).toMatch(
        /^only a software GPU is available \(google swiftshader .*\), which trains slower than the CPU; set AE_STUDIO_ALLOW_SOFTWARE_GPU=1/,
      );

      const allowed = await probe(gpu);
      expect(allowed).toMatchObject({
        name: 'webgpu',
        label: labels[kind],
        adapter: { vendor: 'google', architecture: 'swiftshader', api: 'Vulkan', software: true },
      });
      expect(allowed.detail).toMatch(/^google swiftshader.* \(Vulkan/);
    }, 120_000);

    it('trains a step and reads it back before it claims the GPU: a read that fails makes it fall back, saying why', async () => {
      const engine = await probe({ ...gpu, AE_STUDIO_TEST_FAIL_GPU_READBACK: 'probe' });
      expect(engine.name).toBe('native');
      expect(engine.unavailable.find((u) => u.name === 'webgpu')?.reason).toBe(
        'a test step on the GPU could not be read back (External buffers are not allowed)',
      );
    }, 120_000);

    for (const [family, config] of families) {
      it(`trains ${family} with the native CPU engine's losses`, async () => {
        const onCpu = await train(config, cpu, `${family} (native)`);
        const onGpu = await train(config, gpu, `${family} (webgpu)`);
        const [a, b] = [getRun(services.db, onCpu)!, getRun(services.db, onGpu)!];
        expect(a).toMatchObject({ status: 'completed', engine: 'native', error: null });
        expect(b).toMatchObject({ status: 'completed', engine: 'webgpu', error: null });
        // The run records what it trained on: the host and the adapter by name.
        expect(b.engineDetail).toBe(`${labels[kind]}: ${b.engineDetail!.split(': ')[1]}`);
        expect(b.engineDetail).toMatch(/: google swiftshader/);
        const [x, y] = [losses(onCpu), losses(onGpu)];
        const worst = Math.max(...x.map((v, i) => Math.abs(y[i] - v) / Math.abs(v)));
        console.log(
          `[${kind}] ${family}: largest relative loss difference from native ${worst.toExponential(2)} (native ${x.map((v) => v.toFixed(6)).join(', ')})`,
        );
        expect(y).toHaveLength(3); // 2 batches and 1 test loss
        for (let i = 0; i < x.length; i++) {
          expect(Number.isFinite(y[i])).toBe(true);
          expect(Math.abs(y[i] - x[i]) / Math.abs(x[i])).toBeLessThan(lossTolerance);
        }
      }, 240_000);
    }

    it('keeps its memory flat from epoch to epoch, and learns', async () => {
      const seen: TrainingProgress[] = [];
      const unsubscribe = services.supervisor.onProgress((p) => seen.push(p));
      const runId = await train(tiny('small-dense', { epochs: 4 }), gpu, 'memory');
      unsubscribe();
      expect(getRun(services.db, runId)).toMatchObject({ status: 'completed' });
      const endOfEpoch = (epoch: number) =>
        seen.filter((p) => p.runId === runId && p.epoch === epoch && p.memory).at(-1)!;
      const [second, last] = [endOfEpoch(2).memory!, endOfEpoch(4).memory!];
      expect(last.tensors).toBe(second.tensors);
      expect(last.bytes).toBe(second.bytes);
      expect(last.gpuBytes).not.toBeNull();
      expect(last.gpuBytes!).toBeLessThanOrEqual(second.gpuBytes!);
      const testLosses = listMetrics(services.db, runId, 'epoch').map((m) => m.testLoss!);
      expect(testLosses[3]).toBeLessThan(testLosses[0]);
    }, 240_000);

    // Also shows that the same seed repeats the same losses on the GPU: the resumed run equals an unbroken one.
    it('stops inside an epoch with a checkpoint, and resumes bit for bit', async () => {
      // 8 batches an epoch: the stop lands well inside epoch 2.
      const config = tiny('small-conv', { epochs: 2, batchSize: 4 });
      const expected = losses(await train(config, gpu, 'unbroken'));
      const runId = insertRun(services.db, { datasetId, name: 'stopped', config: JSON.stringify(config) });
      const unsubscribe = onceProgress(
        (p) => p.runId === runId && p.epoch === 2 && p.batch >= 1,
        () => services.supervisor.stop(runId),
      );
      await withEnv(gpu, async () => {
        services.supervisor.enqueue(runId);
        await services.supervisor.waitForRun(runId);
      });
      unsubscribe();
      expect(getRun(services.db, runId)).toMatchObject({ status: 'stopped', epochsDone: 1 });
      const kept = latestCheckpoint(services.db, runId)!;
      expect(kept).toMatchObject({ epoch: 2, batchesTotal: 8 });
      expect(kept.batchesDone).toBeGreaterThanOrEqual(1);
      expect(kept.batchesDone).toBeLessThan(8);
      await resume(runId, gpu);
      expect(getRun(services.db, runId)).toMatchObject({ status: 'completed', epochsDone: 2, engine: 'webgpu' });
      expect(losses(runId)).toEqual(expected);
    }, 240_000);

    for (const fault of [
      {
        name: 'a lost device',
        env: { AE_STUDIO_TEST_LOSE_GPU_AFTER_BATCHES: '3' } as Record<string, string>,
        reason: /^Training stopped because the GPU device was lost .*keeps its last checkpoint \(epoch 1\)/,
      },
      {
        name: 'a read back that fails',
        env: { AE_STUDIO_TEST_FAIL_GPU_READBACK: '3' } as Record<string, string>,
        reason:
          /^Training stopped because the GPU failed: External buffers are not allowed\. The run keeps its last checkpoint \(epoch 1\)/,
      },
    ]) {
      it(`is interrupted by ${fault.name}, keeps the checkpoint, and resumes on the CPU`, async () => {
        const config = tiny('small-dense', { epochs: 2 });
        // Inside epoch 2 (2 batches an epoch).
        const runId = await train(config, { ...gpu, ...fault.env }, fault.name);
        const stopped = getRun(services.db, runId)!;
        expect(stopped).toMatchObject({ status: 'interrupted', epochsDone: 1 });
        expect(stopped.error).toMatch(fault.reason);
        expect(stopped.error).toMatch(/resume it on the GPU, or choose "Resume on CPU"\.$/);

        await resume(runId, gpu, { onCpu: true });
        expect(getRun(services.db, runId)).toMatchObject({ status: 'completed', epochsDone: 2, engine: 'native' });
        // The CPU went on from the GPU's checkpoint: its epoch-2 losses equal an uninterrupted CPU run's.
        const reference = await train(config, cpu, 'reference');
        const epoch2 = (id: number) => listMetrics(services.db, id, 'epoch')[1].testLoss!;
        expect(Math.abs(epoch2(runId) - epoch2(reference)) / epoch2(reference)).toBeLessThan(lossTolerance);
      }, 240_000);
    }

    if (kind === 'chromium') {
      it('is interrupted when the GPU window crashes, and resumes on the GPU in a new one', async () => {
        const config = tiny('small-dense', { epochs: 2, batchSize: 4 });
        const runId = insertRun(services.db, { datasetId, name: 'crash', config: JSON.stringify(config) });
        let reopened: Promise<void> | undefined;
        const unsubscribe = onceProgress(
          (p) => p.runId === runId && p.epoch === 2 && p.batch >= 1,
          () => (reopened = chromium!.crash()),
        );
        await withEnv(gpu, async () => {
          services.supervisor.enqueue(runId);
          await services.supervisor.waitForRun(runId);
        });
        unsubscribe();
        const crashed = getRun(services.db, runId)!;
        expect(crashed).toMatchObject({ status: 'interrupted', epochsDone: 1 });
        expect(crashed.error).toMatch(
          /^Training stopped because the GPU window closed unexpectedly \(its connection ended\)\. The run keeps its last checkpoint \(epoch 1\)/,
        );
        // The harness opens a new window, as the desktop app does at the next run (on a loaded machine the run can
        // be marked interrupted before the new page is up).
        await reopened;
        await resume(runId, gpu);
        expect(getRun(services.db, runId)).toMatchObject({ status: 'completed', epochsDone: 2, engine: 'webgpu' });
        const unbroken = await train(config, gpu, 'unbroken');
        expect(losses(runId)).toEqual(losses(unbroken));
      }, 240_000);
    }

    if (kind === 'dawn') {
      it('computes results and a latent map of a GPU run on the GPU', async () => {
        const runId = await train(tiny('small-conv'), gpu, 'results');
        const api = createApiHandlers(services, { name: 'test', version: 'test', transport: 'browser' });
        async function call<C extends MethodChannel>(channel: C, args: ApiMethods[C]['args']) {
          const result = (await api.invoke(channel, args)) as Result<ApiMethods[C]['result']>;
          if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
          return result.value;
        }
        // The results and latent workers start now, with the GPU in their environment.
        await withEnv(gpu, async () => {
          expect(await call('results:model', { runId })).toMatchObject({ engine: 'webgpu', latentDims: 16 });

          // The whole test split's mean reconstruction error is the run's test loss (MSE), computed again on the GPU.
          const all = await call('results:reconstruct', {
            runId,
            images: { from: 'split', split: 'test', order: 'first', count: 16 },
          });
          const meanError = all.items.reduce((a, item) => a + item.mse, 0) / all.items.length;
          const testLoss = getRun(services.db, runId)!.finalTestLoss!;
          expect(Math.abs(meanError - testLoss) / testLoss).toBeLessThan(1e-4);

          const pca = await call('results:pca', {
            runId,
            images: { from: 'split', split: 'test', order: 'first', count: 4 },
          });
          expect(pca.items).toHaveLength(4);
          expect(pca.test.count).toBe(16);
          expect(pca.explainedVariance).toBeGreaterThan(0);
          expect((await call('results:filters', { runId })).count).toBe(16);
          const decoded = await call('results:decode', { runId, recipe: { kind: 'random', count: 4, seed: 1 } });
          expect(decoded.count).toBe(4);

          const { jobId } = await call('latent:start', { runId, split: 'test', projection: { method: 'pca' } });
          const job = await services.latent.waitFor(jobId);
          expect(job).toMatchObject({ status: 'completed', error: null });
          const map = await call('latent:map', { projectionId: job.projectionId! });
          expect(Buffer.from(map.points, 'base64').length).toBe(16 * 2 * 4);
        });
      }, 240_000);
    }
  });
}

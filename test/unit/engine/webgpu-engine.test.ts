import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../../src-main/host/services';
import { createApiHandlers } from '../../../src-main/host/handlers';
import { spawnNodeWorker } from '../../../src-main/worker/node-worker';
import { getRun, insertRun } from '../../../src-main/store/runs';
import { listMetrics } from '../../../src-main/store/metrics';
import { presetConfig } from '../../../src-main/models/presets';
import { resumeTraining } from '../../../src-main/training/run-service';
import { gpuFitProblem } from '../../../src-main/engine/gpu-fit';
import { planModel } from '../../../src-main/models/model-plan';
import type {
  ApiMethods,
  MethodChannel,
  Result,
  TrainingConfig,
  TrainingProgress,
} from '../../../src-main/api/contract';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';
import { softwareGpuEnv, withEnv } from '../../helpers/software-gpu';

/**
 * The WebGPU engine, for real, on SwiftShader (a software Vulkan driver): the same worker processes, Dawn addon and
 * tfjs kernels as on a user's GPU, only slower. Runs are tiny (32 training images, 2 batches) because SwiftShader
 * runs the shaders on the CPU.
 */
const gpu = softwareGpuEnv({ allow: true, force: true });
const cpu = { AE_STUDIO_ENGINE: 'native' };
/** Largest relative difference seen between the engines' losses over these runs was ~1e-6; allow 1e-4. */
const lossTolerance = 1e-4;

const shape = [28, 28, 1] as const;
function tiny(preset: string, changes: Partial<TrainingConfig> = {}): TrainingConfig {
  const base = presetConfig(preset, [...shape])!;
  return { ...base, epochs: 1, batchSize: 16, seed: 7, ...changes };
}

/** The same layers with at most `filters` filters per convolution (seed 001's 112 take minutes on SwiftShader). */
function narrow(config: TrainingConfig, filters: number): TrainingConfig {
  const cap = (layers: TrainingConfig['model']['encoder']) =>
    layers.map((layer) => (layer.type === 'conv' && layer.filters > filters ? { ...layer, filters } : layer));
  return {
    ...config,
    model: { ...config.model, encoder: cap(config.model.encoder), decoder: cap(config.model.decoder) },
  };
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

describe('WebGPU engine on a software GPU', () => {
  const tempDir = useTempDirs();
  let services: Services;
  let datasetId: number;

  // One store for the whole suite (the per-test folders go after each test).
  const dataDir = mkdtempSync(join(tmpdir(), 'ae-studio-webgpu-'));
  beforeAll(() => {
    services = openServices({ dataDir, spawnWorker: spawnNodeWorker, sampleDataset: false });
    datasetId = createFashionSubset(services.db, dataDir, 32, 16);
  });
  afterAll(async () => {
    await services.close();
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

  function losses(runId: number): number[] {
    const batches = listMetrics(services.db, runId, 'batch').map((m) => m.trainLoss!);
    const epochs = listMetrics(services.db, runId, 'epoch').map((m) => m.testLoss!);
    return [...batches, ...epochs];
  }

  it('is refused on a software adapter unless allowed, with the reason', async () => {
    const refused = await withEnv({ ...softwareGpuEnv({ allow: false, force: false }) }, async () => {
      const probe = openServices({ dataDir: tempDir(), spawnWorker: spawnNodeWorker, sampleDataset: false });
      try {
        return await probe.supervisor.engine();
      } finally {
        await probe.close();
      }
    });
    expect(refused.name).not.toBe('webgpu');
    expect(refused.unavailable.find((u) => u.name === 'webgpu')?.reason).toMatch(
      /^only a software GPU is available \(google swiftshader .*\), which trains slower than the CPU; set AE_STUDIO_ALLOW_SOFTWARE_GPU=1/,
    );

    const allowed = await withEnv(gpu, async () => {
      const probe = openServices({ dataDir: tempDir(), spawnWorker: spawnNodeWorker, sampleDataset: false });
      try {
        return await probe.supervisor.engine();
      } finally {
        await probe.close();
      }
    });
    expect(allowed).toMatchObject({
      name: 'webgpu',
      label: 'GPU (WebGPU, software)',
      adapter: { vendor: 'google', architecture: 'swiftshader', api: 'Vulkan', software: true },
    });
    expect(allowed.detail).toMatch(/SwiftShader driver .* through Dawn/);
  }, 120_000);

  for (const [family, config] of families) {
    it(`trains ${family} with the native CPU engine's losses`, async () => {
      const onCpu = await train(config, cpu, `${family} (native)`);
      const onGpu = await train(config, gpu, `${family} (webgpu)`);
      const [a, b] = [getRun(services.db, onCpu)!, getRun(services.db, onGpu)!];
      expect(a).toMatchObject({ status: 'completed', engine: 'native', error: null });
      expect(b).toMatchObject({ status: 'completed', engine: 'webgpu', error: null });
      // The run records what it trained on: the adapter by name.
      expect(b.engineDetail).toMatch(/^GPU \(WebGPU, software\): google swiftshader/);
      const [x, y] = [losses(onCpu), losses(onGpu)];
      const worst = Math.max(...x.map((v, i) => Math.abs(y[i] - v) / Math.abs(v)));
      console.log(
        `[webgpu] ${family}: largest relative loss difference from native ${worst.toExponential(2)} (native ${x.map((v) => v.toFixed(6)).join(', ')})`,
      );
      expect(y).toHaveLength(3); // 2 batches and 1 test loss
      for (let i = 0; i < x.length; i++) {
        expect(Number.isFinite(y[i])).toBe(true);
        expect(Math.abs(y[i] - x[i]) / Math.abs(x[i])).toBeLessThan(lossTolerance);
      }
    }, 240_000);
  }

  it('repeats the same losses with the same seed', async () => {
    const config = tiny('small-conv', { corruption: { type: 'gaussian', level: 0.3 } });
    const [first, second] = [await train(config, gpu, 'seed 7'), await train(config, gpu, 'seed 7 again')];
    expect(losses(second)).toEqual(losses(first));
  }, 240_000);

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

  it('stops on a lost device, keeps the checkpoint, and resumes on the CPU', async () => {
    const config = tiny('small-dense', { epochs: 2 });
    // The device is destroyed (as a driver reset would do) after the 3rd batch, i.e. inside epoch 2.
    const runId = await train(config, { ...gpu, AE_STUDIO_TEST_LOSE_GPU_AFTER_BATCHES: '3' }, 'device lost');
    const lost = getRun(services.db, runId)!;
    expect(lost).toMatchObject({ status: 'interrupted', epochsDone: 1 });
    expect(lost.error).toMatch(
      /^Training stopped because the GPU device was lost .*keeps its last checkpoint \(epoch 1\)/,
    );

    await withEnv(gpu, async () => {
      resumeTraining(services.db, services.supervisor, runId, { onCpu: true });
      await services.supervisor.waitForRun(runId);
    });
    expect(getRun(services.db, runId)).toMatchObject({ status: 'completed', epochsDone: 2, engine: 'native' });
    // The CPU went on from the GPU's checkpoint: its epoch-2 losses equal an uninterrupted CPU run's.
    const reference = await train(config, cpu, 'reference');
    const epoch2 = (id: number) => listMetrics(services.db, id, 'epoch')[1].testLoss!;
    expect(Math.abs(epoch2(runId) - epoch2(reference)) / epoch2(reference)).toBeLessThan(lossTolerance);
  }, 240_000);

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

  it('explains a batch too large for the GPU before training', () => {
    const config = tiny('small-conv');
    const plan = planModel(config.model, [...shape]);
    expect(gpuFitProblem(plan.summary, 256, 128 * 1024 * 1024)).toBeNull();
    expect(gpuFitProblem(plan.summary, 4096, 16 * 1024 * 1024)).toMatch(
      /^A batch of 4096 is too large for this GPU: layer .*'s output \(4096 × 14×14×16 values, 49 MB\) exceeds its 16 MB buffer limit\. Lower the batch size to 1337 or less/,
    );
  });
});

/**
 * `npm run check:desktop-gpu`: trains on the desktop app's GPU path — the built GPU window page and its worker in
 * Chromium, on Chromium's own WebGPU, driven by the real worker process over the frames the desktop app's MessagePort
 * carries — and compares every loss with the Native CPU engine's on the same seed and data. Prints one JSON line per
 * preset and fails when a run does not complete on the GPU or its losses stray.
 *
 * What "stray" means, measured: the first step's loss (the same weights and images, so the same arithmetic in another
 * order) must agree within 1e-4. After that, engines drift apart at a rate the model decides, not the engine: on the
 * full-width seed 001 CAE even our two CPU engines, Native and WebAssembly, differ by 4e-2 after two Adam steps (Adam
 * turns the float noise in gradients that are truly zero — a convolution's bias just before batch norm — into
 * full-size updates of either sign, and re-measured batch-norm statistics of near-constant channels amplify it
 * again). So the whole curve must stay within 1e-4 of native, or no farther from it than WebAssembly's curve is.
 *
 * Here (no GPU) it runs on SwiftShader, Chromium's software Vulkan; on a machine with a GPU, pass --hardware to
 * refuse a software adapter and measure the real one.
 *
 *   npm run check:desktop-gpu -- [--preset fashion-cae-2d,conv-vae] [--images 32] [--batch 16] [--epochs 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openServices } from '../src-main/host/services';
import { spawnNodeWorker } from '../src-main/worker/node-worker';
import { spawnWithGpuHost } from '../src-main/worker/gpu-host-port';
import { createDataset } from '../src-main/datasets/dataset-store';
import { fashionMnistClasses, readSampleFiles } from '../src-main/datasets/sample-dataset';
import { presetConfig } from '../src-main/models/presets';
import { getRun, insertRun } from '../src-main/store/runs';
import { listMetrics } from '../src-main/store/metrics';
import type { TrainingConfig } from '../src-main/api/contract';
import { startChromiumGpuHost } from './chromium-gpu-host';

/** The relative loss difference from the native engine that always passes (well-conditioned models: about 2e-5). */
const tolerance = 1e-4;

/** The largest relative difference between two loss curves of the same length. */
function relativeDifference(reference: number[], other: number[]): number {
  if (other.length !== reference.length) return Infinity;
  return Math.max(...reference.map((v, i) => Math.abs(other[i] - v) / Math.abs(v)));
}

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'fashion-cae-2d,conv-vae' },
    images: { type: 'string', default: '32' },
    batch: { type: 'string', default: '16' },
    epochs: { type: 'string', default: '1' },
    hardware: { type: 'boolean', default: false },
    optimizer: { type: 'string' },
  },
});
const trainImages = Number(values.images);
const testImages = Math.max(16, Math.round(trainImages / 2));

const host = await startChromiumGpuHost();
const dataDir = mkdtempSync(join(tmpdir(), 'ae-studio-desktop-gpu-'));
const services = openServices({
  dataDir,
  spawnWorker: spawnWithGpuHost(spawnNodeWorker, host.url),
  sampleDataset: false,
});
let failed = false;
try {
  // Real Fashion-MNIST images: the sample the app ships.
  const { pixels, labels } = readSampleFiles();
  const count = trainImages + testImages;
  const datasetId = createDataset(
    services.db,
    dataDir,
    {
      name: 'Fashion-MNIST sample',
      source: 'check',
      width: 28,
      height: 28,
      channels: 1,
      classNames: fashionMnistClasses,
    },
    Array.from({ length: count }, (_, i) => ({
      idx: i,
      split: i < trainImages ? ('train' as const) : ('test' as const),
      label: labels.data[i],
      fileName: `image-${i}.png`,
    })),
    [pixels.data.subarray(0, count * 784)],
  );

  const train = async (config: TrainingConfig, engine: Record<string, string>, name: string) => {
    Object.assign(process.env, engine);
    const runId = insertRun(services.db, { datasetId, name, config: JSON.stringify(config) });
    services.supervisor.enqueue(runId);
    await services.supervisor.waitForRun(runId);
    const run = getRun(services.db, runId)!;
    const losses = [
      ...listMetrics(services.db, runId, 'batch').map((m) => m.trainLoss!),
      ...listMetrics(services.db, runId, 'epoch').map((m) => m.testLoss!),
    ];
    return { run, losses };
  };

  for (const preset of values.preset.split(',')) {
    const base = presetConfig(preset, [28, 28, 1]);
    if (!base) throw new Error(`No preset named ${preset}.`);
    const config: TrainingConfig = {
      ...base,
      epochs: Number(values.epochs),
      batchSize: Number(values.batch),
      seed: 7,
      optimizer: (values.optimizer as TrainingConfig['optimizer'] | undefined) ?? base.optimizer,
    };
    const native = await train(config, { AE_STUDIO_ENGINE: 'native' }, `${preset} (native)`);
    const gpu = await train(
      config,
      { AE_STUDIO_ENGINE: 'webgpu', AE_STUDIO_ALLOW_SOFTWARE_GPU: values.hardware ? '0' : '1' },
      `${preset} (GPU)`,
    );
    const wasm = await train(config, { AE_STUDIO_ENGINE: 'wasm' }, `${preset} (WebAssembly)`);
    const firstStepRelDiff = relativeDifference(native.losses.slice(0, 1), gpu.losses.slice(0, 1));
    const maxRelLossDiff = relativeDifference(native.losses, gpu.losses);
    const cpuEnginesRelDiff = relativeDifference(native.losses, wasm.losses);
    const ok =
      gpu.run.status === 'completed' &&
      gpu.run.engine === 'webgpu' &&
      firstStepRelDiff < tolerance &&
      maxRelLossDiff < Math.max(tolerance, cpuEnginesRelDiff);
    failed ||= !ok;
    console.log(
      JSON.stringify({
        host: 'chromium',
        adapter: gpu.run.engineDetail,
        preset,
        steps: listMetrics(services.db, gpu.run.id, 'batch').length,
        maxRelLossDiff,
        firstStepRelDiff,
        cpuEnginesRelDiff,
        tolerance,
        ok,
        ...(gpu.run.error ? { error: gpu.run.error } : {}),
        ...(process.env.DEBUG_LOSSES ? { native: native.losses, gpu: gpu.losses } : {}),
      }),
    );
  }
} finally {
  await services.close();
  await host.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

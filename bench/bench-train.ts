/**
 * Training benchmark: `npm run bench:train`. Trains each model for one epoch on the real Fashion-MNIST (Debian's
 * dataset-fashion-mnist) through the app's own training loop (the same code, store writes and checkpoints as a run
 * started in the app), then the same models in PyTorch when python3-torch is installed, and prints both side by side
 * as JSON with the ratios. Models: issue 5's reference conv AE and dense AE (batch 128), seed 001's CAE (the
 * fashion-cae-2d preset, BCE, batch 100) and seed 004's photo stack (photos-stride2-bn at 64x64 RGB, batch 32, on
 * Fashion-MNIST upscaled to 64x64 and repeated over three channels, the same bytes for both sides).
 *
 *   npm run bench:train                                     # fastest engine vs PyTorch, conv and dense
 *   npm run bench:train -- --engines webgpu,native --models cae001,photos004 --limit 2000
 *   npm run bench:train -- --engines native,wasm --models conv --limit 12800
 *   npm run bench:train -- --models cae001,photos004 --limit 3000 --augment flip,crop=0.1,rotate=10,jitter=0.2
 *   npm run bench:train -- --profile --models conv,dense,cae001,photos004    # where a step's time goes (train-profile.ts)
 *
 * With --augment each model trains twice on each engine, as it is and with that augmentation, and the JSON gives the
 * augmented epoch's slowdown (the reference is the same epoch unaugmented, so PyTorch is not run).
 *
 * Each measurement runs in a fresh process, so its peak resident memory is its own; on the GPU engine the peak of
 * the device memory tfjs allocated is reported too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src-main/store/database';
import { dataLayout } from '../src-main/app/paths';
import { importBuiltin } from '../src-main/datasets/builtin-import';
import { listDatasets } from '../src-main/store/datasets';
import { splitIndex } from '../src-main/store/images';
import * as runs from '../src-main/store/runs';
import { selectEngine, engineEnv } from '../src-main/engine/select-engine';
import { trainRun } from '../src-main/training/train-run';
import { createTrainerCore } from '../src-main/trainer/trainer-core';
import { trainingDefaults } from '../src-main/models/training-config';
import type { TrainingConfig } from '../src-main/api/contract';
import { benchModels, photoShape, photosFromFashion } from './reference-models';
import { createDataset } from '../src-main/datasets/dataset-store';
import { parseIdx } from '../src-main/datasets/idx';
import { hasTorch, runTorchScript } from './torch';
import { parseAugment } from '../src-main/cli/train-options';
import { formatProfile, measureGemmPeak, profileModel, type Profile } from './train-profile';

const fashionDir = '/usr/share/datasets/fashion-mnist';

interface Result {
  model: string;
  augment?: string;
  engine: string;
  images: number;
  seconds: number;
  imagesPerSec: number;
  loss: TrainingConfig['loss'];
  testLoss: number | null;
  peakRssMb: number;
  /** GPU engine only: the most device memory tfjs's buffer pool held. */
  peakGpuMb?: number;
}

/** One epoch of a bench model at this batch size, on images of its data's shape. */
function benchConfig(model: string, batch: number, augment = ''): TrainingConfig {
  const bench = benchModels[model];
  const [height, width, channels] = bench.data === 'photos' ? photoShape : [28, 28, 1];
  return {
    ...trainingDefaults,
    model: bench.model,
    loss: bench.loss,
    batchSize: batch,
    epochs: 1,
    input: { height, width, channels },
    ...(augment ? { augment: parseAugment(augment) } : {}),
  };
}

/** One model on one engine, in this process, against the prepared store. */
async function child(dataDir: string, model: string, batch: number, limit: number, augment: string): Promise<void> {
  const db = openDatabase(dataLayout(dataDir).database);
  const bench = benchModels[model];
  const dataset = listDatasets(db).find((d) => (bench.data === 'photos' ? d.width === 64 : d.width === 28))!;
  const config = benchConfig(model, batch, augment);
  const runId = runs.insertRun(db, { datasetId: dataset.id, name: `bench ${model}`, config: JSON.stringify(config) });
  const trainImages = splitIndex(db, dataset.id, 'train').idx.length;
  const engine = await selectEngine();
  let imagesPerSec = 0;
  let images = 0;
  let peakGpuBytes = 0;
  const result = await trainRun({
    trainer: createTrainerCore(engine.tf, { gpu: engine.gpu }),
    engine: engine.status,
    maxGpuBufferBytes: engine.maxGpuBufferBytes,
    db,
    dataDir,
    runId,
    // --limit stops the run after that many images (quick comparisons; no test MSE then).
    shouldStop: () => limit > 0 && images >= limit,
    isPaused: () => false,
    waitForResume: async () => {},
    // The rate the app's progress bar shows: images over time spent in training steps.
    onProgress: (p) => {
      if (p.imagesPerSec !== null) imagesPerSec = p.imagesPerSec;
      peakGpuBytes = Math.max(peakGpuBytes, p.memory?.gpuBytes ?? 0);
      images = Math.min(trainImages, p.batch * batch);
    },
    yieldToEvents: async () => {},
  });
  // --limit stops a run part-way (no test loss then); a set no larger than the limit still completes its epoch.
  if (result.status !== 'completed' && !(limit && result.status === 'stopped'))
    throw new Error(`Training failed: ${result.status} ${result.error ?? ''}`);
  const run = runs.getRun(db, runId)!;
  const out: Result = {
    model,
    ...(augment ? { augment } : {}),
    engine: `${engine.status.label} (${engine.status.detail})`,
    images,
    seconds: Math.round((images / imagesPerSec) * 100) / 100,
    imagesPerSec: Math.round(imagesPerSec * 10) / 10,
    loss: bench.loss,
    testLoss:
      result.status !== 'completed' || run.finalTestLoss === null ? null : Math.round(run.finalTestLoss * 1e5) / 1e5,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 102.4) / 10,
    ...(engine.gpu ? { peakGpuMb: Math.round(peakGpuBytes / 104857.6) / 10 } : {}),
  };
  process.stdout.write(JSON.stringify(out));
}

/** This script in a fresh process (so its peak memory is its own) on `engine`; returns the JSON it prints. */
function spawnSelf<T>(engine: string | undefined, args: string[]): T {
  const script = fileURLToPath(import.meta.url);
  const env = { ...process.env, ...(engine ? { [engineEnv]: engine } : {}) };
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  return JSON.parse(out) as T;
}

function runChild(
  dataDir: string,
  model: string,
  engine: string | undefined,
  batch: number,
  limit: number,
  augment = '',
): Result {
  return spawnSelf<Result>(engine, ['--child', dataDir, model, String(batch), String(limit), augment]);
}

function runTorch(
  modelList: string[],
  batchOf: (model: string) => number,
  limit: number,
  threads: number,
  photos: { file: string; train: number },
  cuda: boolean,
): Result[] {
  const batches = modelList.map((m) => `${m}=${batchOf(m)}`).join(',');
  const args = ['--data', fashionDir, '--models', modelList.join(','), '--batches', batches];
  return runTorchScript<Result>('torch_reference.py', [
    ...args,
    '--photos',
    photos.file,
    '--photos-train',
    String(photos.train),
    '--limit',
    String(limit),
    '--threads',
    String(threads),
    ...(cuda ? ['--cuda'] : []),
  ]);
}

/**
 * Fashion-MNIST upscaled to 64x64 and repeated over three channels, as a stand-in photo set of a known size: stored
 * as a dataset for us and written as raw bytes (train, then test) for PyTorch. `limit` trims the training part.
 */
function preparePhotos(
  db: ReturnType<typeof openDatabase>,
  dataDir: string,
  limit: number,
): { file: string; train: number } {
  const read = (name: string) => parseIdx(readFileSync(join(fashionDir, name)), name);
  const [trainImages, testImages] = [read('train-images-idx3-ubyte.gz'), read('t10k-images-idx3-ubyte.gz')];
  const [trainLabels, testLabels] = [read('train-labels-idx1-ubyte.gz'), read('t10k-labels-idx1-ubyte.gz')];
  const train = limit ? Math.min(limit, 60_000) : 60_000;
  const test = 2_000;
  const pixels = photosFromFashion(trainImages.data.subarray(0, train * 784), testImages.data.subarray(0, test * 784));
  const labels = [...trainLabels.data.subarray(0, train), ...testLabels.data.subarray(0, test)];
  createDataset(
    db,
    dataDir,
    {
      name: 'photos 64',
      source: 'bench',
      width: 64,
      height: 64,
      channels: 3,
      classNames: [...Array(10).keys()].map(String),
    },
    labels.map((label, idx) => ({ idx, split: idx < train ? 'train' : 'test', label, fileName: `photo-${idx}.png` })),
    [pixels],
  );
  const file = join(dataDir, 'photos-64.u8');
  writeFileSync(file, pixels);
  return { file, train };
}

/** Each model on each engine as it is, then augmented, alternating, twice: the augmented epoch's cost. */
function augmentSlowdowns(
  dataDir: string,
  modelList: string[],
  engines: Array<string | undefined>,
  batchOf: (model: string) => number,
  limit: number,
  augment: string,
) {
  const results = modelList.flatMap((model) =>
    engines.map((engine) => {
      const runs = [0, 1].flatMap(() => [
        runChild(dataDir, model, engine, batchOf(model), limit),
        runChild(dataDir, model, engine, batchOf(model), limit, augment),
      ]);
      for (const r of runs) process.stderr.write(`${JSON.stringify(r)}\n`);
      const rate = (augmented: boolean) => {
        const rates = runs.filter((r) => !!r.augment === augmented).map((r) => r.imagesPerSec);
        return rates.reduce((a, b) => a + b, 0) / rates.length;
      };
      return {
        model,
        engine: runs[0].engine,
        plainImagesPerSec: Math.round(rate(false) * 10) / 10,
        augmentedImagesPerSec: Math.round(rate(true) * 10) / 10,
        slowdown: Math.round((rate(false) / rate(true) - 1) * 1000) / 1000,
      };
    }),
  );
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  return { machine, augment, limit: limit || 60000, results };
}

/** One model's step profile on this process's engine, printed as JSON. */
async function profileChild(model: string, batch: number, steps: number): Promise<void> {
  const engine = await selectEngine();
  const profile = await profileModel(engine, model, benchConfig(model, batch), measureGemmPeak(), { steps });
  process.stdout.write(JSON.stringify(profile));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const [dataDir, model, batch, limit, augment] = process.argv.slice(3);
    return child(dataDir, model, Number(batch), Number(limit), augment ?? '');
  }
  if (process.argv[2] === '--profile-child') {
    const [model, batch, steps] = process.argv.slice(3);
    return profileChild(model, Number(batch), Number(steps));
  }
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'conv,dense' },
      engines: { type: 'string', default: '' },
      // Each model's own batch unless given (conv and dense 128, cae001 100, photos004 32).
      batch: { type: 'string', default: '' },
      limit: { type: 'string', default: '0' },
      'torch-threads': { type: 'string', default: '1' },
      // PyTorch on CUDA as the reference, where the machine has an NVIDIA GPU (bench/gpu-check.sh).
      'torch-cuda': { type: 'boolean', default: false },
      augment: { type: 'string', default: '' },
      // Profile training steps kernel by kernel instead of timing an epoch (train-profile.ts); --steps of them.
      profile: { type: 'boolean', default: false },
      steps: { type: 'string', default: '10' },
    },
  });
  if (!existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz')))
    throw new Error("Install Debian's dataset-fashion-mnist first (apt install dataset-fashion-mnist).");
  const modelList = values.models.split(',');
  const unknown = modelList.filter((m) => !(m in benchModels));
  if (unknown.length)
    throw new Error(`Unknown model ${unknown.join(', ')}; use ${Object.keys(benchModels).join(', ')}`);
  const engines = values.engines ? values.engines.split(',') : [undefined];
  const batchOf = (model: string) => (values.batch ? Number(values.batch) : benchModels[model].batch);
  const limit = Number(values.limit);
  if (values.profile) {
    for (const model of modelList) {
      for (const engine of engines) {
        const profile = spawnSelf<Profile>(engine, ['--profile-child', model, String(batchOf(model)), values.steps]);
        console.log(`${formatProfile(profile)}\n`);
      }
    }
    return;
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'ae-studio-bench-train-'));
  try {
    const db = openDatabase(dataLayout(dataDir).database);
    await importBuiltin(
      { db, dataDir, signal: new AbortController().signal, onProgress: () => {} },
      {
        dataset: 'fashion-mnist',
      },
    );
    const photos = preparePhotos(db, dataDir, limit);
    db.close();
    if (values.augment) {
      console.log(
        JSON.stringify(augmentSlowdowns(dataDir, modelList, engines, batchOf, limit, values.augment), null, 2),
      );
      return;
    }
    const ours: Result[] = [];
    for (const model of modelList) {
      for (const engine of engines) {
        const result = runChild(dataDir, model, engine, batchOf(model), limit);
        process.stderr.write(`${JSON.stringify(result)}\n`);
        ours.push(result);
      }
    }
    const threads = values['torch-threads'].split(',').map(Number);
    const torch = hasTorch();
    const reference = torch
      ? threads.flatMap((t) => runTorch(modelList, batchOf, limit, t, photos, values['torch-cuda']))
      : [];
    const ratios = ours.map((r) => {
      const best = reference.filter((p) => p.model === r.model).sort((a, b) => b.imagesPerSec - a.imagesPerSec)[0];
      return {
        model: r.model,
        engine: r.engine,
        speedVsPytorch: best ? Math.round((r.imagesPerSec / best.imagesPerSec) * 100) / 100 : null,
        testLossVsPytorch: best && r.testLoss !== null ? Math.round((r.testLoss / best.testLoss!) * 1000) / 1000 : null,
      };
    });
    const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
    const batches = Object.fromEntries(modelList.map((m) => [m, batchOf(m)]));
    console.log(JSON.stringify({ machine, batches, limit: limit || 60000, ours, reference, ratios }, null, 2));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

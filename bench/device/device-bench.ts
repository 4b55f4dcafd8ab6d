/**
 * The GPU check that travels (`.device/run.sh`, built by `npm run bench:device-bundle`): trains the benchmark models
 * on the WebGPU engine (Dawn) with the app's own trainer core, then the same models, data and batches in PyTorch on
 * CUDA and on the CPU, and prints one JSON document. Bundled by esbuild into one file with no node_modules; Dawn's
 * addon sits beside it in dist/linux-x64/, where the npm package `webgpu` looks for it.
 *
 * Each model trains twice on the GPU: reading every batch's loss back (how training ran before) and reading them a
 * group at a time (trainer-core.ts: gpuReadEvery, how it runs now). Both start from the same seed and train the same
 * batches, so their losses must agree bit for bit; the dispatches, submits and reads per step are counted on the
 * backend itself (gpu-counters.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../../src-main/api/contract';
import { parseIdx } from '../../src-main/datasets/idx';
import { allowSoftwareGpuEnv, startWebgpu, type GpuWatch } from '../../src-main/engine/webgpu-engine';
import { trainingDefaults } from '../../src-main/models/training-config';
import { MemoryPixels } from '../../src-main/trainer/memory-pixels';
import { createTrainerCore, gpuReadEvery } from '../../src-main/trainer/trainer-core';
import { benchModels, narrowModel, photoShape, photosFromFashion } from '../reference-models';
import { countGpuWork } from './gpu-counters';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    torch: { type: 'string' },
    python: { type: 'string', default: 'python3' },
    models: { type: 'string', default: 'conv,cae001,photos004' },
    // Training images per measurement (after the warm-up), and a cap on its seconds: the whole check stays bounded.
    limit: { type: 'string', default: '6000' },
    seconds: { type: 'string', default: '40' },
    out: { type: 'string' },
    // Seconds of work on any adapter, software included: proves the bundle runs, measures nothing.
    smoke: { type: 'boolean', default: false },
  },
});

const smoke = args.smoke;
const limit = Number(args.limit);
const cap = Number(args.seconds);
const warmup = 2;
const testCount = smoke ? 32 : 1000;
/**
 * Smoke: the models narrowed to 8 filters a convolution (SwiftShader takes seconds a step at full width), small
 * batches, and a group of reads and a bit, with no time cap (the step count bounds it).
 */
const smokeBatch = 4;
const smokeSteps = gpuReadEvery + 2;
const smokeFilters = 8;
const started = performance.now();

function load(name: string): Uint8Array {
  return parseIdx(readFileSync(join(args.data!, name)), name).data;
}

interface Measurement {
  readsEvery: number;
  steps: number;
  images: number;
  seconds: number;
  imagesPerSec: number;
  testLoss: number | null;
  peakGpuMb: number;
  perStep: { dispatches: number; submits: number; reads: number };
  losses: number[];
}

async function measure(
  name: string,
  data: { train: Uint8Array; test: Uint8Array; imageBytes: number; shape: [number, number, number] },
  readEvery: number,
  gpu: GpuWatch,
  counter: ReturnType<typeof countGpuWork>,
): Promise<Measurement> {
  const bench = benchModels[name];
  const batch = smoke ? smokeBatch : bench.batch;
  const config: TrainingConfig = {
    ...trainingDefaults,
    model: smoke ? narrowModel(bench.model, smokeFilters) : bench.model,
    loss: bench.loss,
    batchSize: batch,
    epochs: 1,
    seed: 1,
    input: { height: data.shape[0], width: data.shape[1], channels: data.shape[2] },
  };
  const trainer = createTrainerCore(tf, { gpu, readEvery });
  const train = new MemoryPixels(data.train, data.imageBytes);
  await trainer.init(
    { config, shape: data.shape, checkpoint: null },
    { train, test: new MemoryPixels(data.test, data.imageBytes) },
  );
  const batchesPerEpoch = Math.ceil(train.count / batch);
  const losses: number[] = [];
  let peakGpu = 0;
  let step = 0;
  let images = 0;
  const trainStep = async () => {
    const [epoch, b] = [1 + Math.floor(step / batchesPerEpoch), step % batchesPerEpoch];
    const result = await trainer.trainBatch(epoch, b, config.learningRate);
    images += Math.min(batch, train.count - b * batch);
    step++;
    peakGpu = Math.max(peakGpu, result.memory.gpuBytes ?? 0);
    losses.push(...result.done.map((d) => d.loss));
  };
  // Shaders compile and buffers are allocated in the first steps: not timed.
  for (let i = 0; i < warmup; i++) await trainStep();
  losses.push(...(await trainer.flush()).map((d) => d.loss));
  const before = counter.read();
  images = 0;
  const t0 = performance.now();
  const maxSteps = smoke ? smokeSteps : Math.ceil(limit / batch);
  let timedSteps = 0;
  // With grouped reads the loop runs ahead of the GPU by up to two groups, which is all the cap can overshoot by.
  while (timedSteps < maxSteps && (smoke || (performance.now() - t0) / 1000 < cap)) {
    await trainStep();
    timedSteps++;
  }
  losses.push(...(await trainer.flush()).map((d) => d.loss));
  const seconds = (performance.now() - t0) / 1000;
  const after = counter.read();
  const tested = await trainer.testLoss();
  await trainer.dispose();
  const per = (key: keyof typeof before) => Math.round(((after[key] - before[key]) / timedSteps) * 100) / 100;
  return {
    readsEvery: readEvery,
    steps: timedSteps,
    images,
    seconds: Math.round(seconds * 100) / 100,
    imagesPerSec: Math.round((images / seconds) * 10) / 10,
    testLoss: tested ? Math.round(tested.loss * 1e5) / 1e5 : null,
    peakGpuMb: Math.round(peakGpu / 104857.6) / 10,
    perStep: { dispatches: per('dispatches'), submits: per('submits'), reads: per('reads') },
    losses,
  };
}

/** PyTorch on CUDA or on every CPU core, through bench/torch_reference.py; an error in words when it cannot run. */
function torchRun(models: string[], cuda: boolean, photosFile: string, photosTrain: number, fashionTrain: number) {
  const batches = models.map((m) => `${m}=${smoke ? smokeBatch : benchModels[m].batch}`).join(',');
  const images = (m: string) => (smoke ? (smokeSteps + warmup) * smokeBatch : limit + warmup * benchModels[m].batch);
  const trainLimit = Math.min(fashionTrain, Math.max(...models.map(images)));
  const run = spawnSync(
    args.python!,
    [
      args.torch!,
      '--data',
      args.data!,
      '--models',
      models.join(','),
      '--batches',
      batches,
      '--limit',
      String(trainLimit),
      '--warmup',
      String(warmup),
      '--seconds',
      // PyTorch on the CPU is only a reference point: a shorter cap keeps the whole check within 8 minutes.
      String(cuda ? cap : Math.min(cap, 20)),
      '--test-limit',
      String(testCount),
      '--threads',
      '0',
      '--photos',
      photosFile,
      '--photos-train',
      String(photosTrain),
      ...(cuda ? ['--cuda'] : []),
    ],
    { encoding: 'utf8', timeout: 10 * 60_000 },
  );
  if (run.error) return { error: `python could not run: ${run.error.message}` };
  if (run.status !== 0) return { error: (run.stderr || `exit code ${run.status}`).trim().split('\n').at(-1) };
  const lines = run.stdout.trim().split('\n').filter(Boolean);
  const results = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const failed = results.find((r) => 'error' in r);
  return failed ? { error: failed.error as string } : { results };
}

async function main(): Promise<Record<string, unknown>> {
  if (!args.data || !args.torch) throw new Error('Run this through run.sh, which passes --data and --torch.');
  if (smoke) process.env[allowSoftwareGpuEnv] = '1';
  const models = args.models!.split(',');
  const unknown = models.filter((m) => !(m in benchModels));
  if (unknown.length)
    throw new Error(`Unknown model ${unknown.join(', ')}; use ${Object.keys(benchModels).join(', ')}`);

  const [fashionTrain, fashionTest] = [load('train-images-idx3-ubyte.gz'), load('t10k-images-idx3-ubyte.gz')];
  const trainCount = fashionTrain.length / 784;
  const testPixels = fashionTest.subarray(0, testCount * 784);
  const photoBytes = photoShape[0] * photoShape[1] * photoShape[2];
  // The photo set only as large as its measurements need (upscaling is slow); PyTorch reads the same bytes.
  const photoTrain = Math.min(trainCount, smoke ? smokeSteps * smokeBatch + warmup * smokeBatch : limit + 64);
  const photos = photosFromFashion(fashionTrain.subarray(0, photoTrain * 784), testPixels);
  const scratch = mkdtempSync(join(tmpdir(), 'ae-studio-device-'));
  const photosFile = join(scratch, 'photos-64.u8');
  writeFileSync(photosFile, photos);

  const report: Record<string, unknown> = {
    smoke,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    work: {
      imagesPerMeasurement: smoke ? smokeSteps * smokeBatch : limit,
      ...(smoke
        ? { note: `smoke: convolutions narrowed to ${smokeFilters} filters on the GPU; nothing measured` }
        : {}),
      secondsCap: cap,
      warmupSteps: warmup,
      testImages: testCount,
      batches: Object.fromEntries(models.map((m) => [m, smoke ? smokeBatch : benchModels[m].batch])),
    },
  };
  try {
    const attempt = await startWebgpu(tf);
    const webgpu: Record<string, unknown> = {};
    if (!attempt.ok) {
      report.adapter = null;
      report.webgpuError = attempt.reason;
    } else {
      report.adapter = { ...attempt.adapter, label: attempt.label, detail: attempt.detail };
      const counter = countGpuWork(tf.backend());
      for (const name of models) {
        const data =
          benchModels[name].data === 'photos'
            ? {
                train: photos.subarray(0, photoTrain * photoBytes),
                test: photos.subarray(photoTrain * photoBytes),
                imageBytes: photoBytes,
                shape: [...photoShape] as [number, number, number],
              }
            : {
                train: fashionTrain,
                test: testPixels,
                imageBytes: 784,
                shape: [28, 28, 1] as [number, number, number],
              };
        const everyBatch = await measure(name, data, 1, attempt.gpu, counter);
        const grouped = await measure(name, data, gpuReadEvery, attempt.gpu, counter);
        const common = Math.min(everyBatch.losses.length, grouped.losses.length);
        const worst = Math.max(
          0,
          ...everyBatch.losses
            .slice(0, common)
            .map((v, i) => Math.abs(grouped.losses[i] - v) / Math.max(Math.abs(v), 1e-12)),
        );
        const strip = ({ losses, ...rest }: Measurement) => ({ ...rest, lossesRead: losses.length });
        webgpu[name] = {
          readEveryBatch: strip(everyBatch),
          readGrouped: strip(grouped),
          comparedLosses: common,
          largestLossDifference: worst,
          speedupFromGrouping: Math.round((grouped.imagesPerSec / everyBatch.imagesPerSec) * 100) / 100,
        };
        process.stderr.write(`webgpu ${name}: ${JSON.stringify(webgpu[name])}\n`);
      }
    }
    report.webgpu = webgpu;
    const cuda = torchRun(models, true, photosFile, photoTrain, trainCount);
    const cpu = torchRun(models, false, photosFile, photoTrain, trainCount);
    report.pytorchCuda = cuda;
    report.pytorchCpu = cpu;
    const rate = (run: typeof cuda, model: string) =>
      'results' in run ? (run.results!.find((r) => r.model === model)?.imagesPerSec as number | undefined) : undefined;
    // A smoke run's GPU models are narrowed, so there is nothing to compare.
    report.ratios = smoke
      ? null
      : Object.fromEntries(
          models.map((m) => {
            const ours = (webgpu[m] as { readGrouped: Measurement } | undefined)?.readGrouped.imagesPerSec;
            const vs = (theirs: number | undefined) =>
              ours && theirs ? Math.round((ours / theirs) * 100) / 100 : null;
            return [m, { webgpuVsPytorchCuda: vs(rate(cuda, m)), webgpuVsPytorchCpu: vs(rate(cpu, m)) }];
          }),
        );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  report.seconds = Math.round((performance.now() - started) / 100) / 10;
  return report;
}

const report = await main();
const json = JSON.stringify(report, null, 2);
if (args.out) writeFileSync(args.out, `${json}\n`);
process.stdout.write(`${json}\n`);
// Dawn keeps the event loop alive.
process.exit(0);

/**
 * Training benchmark: `npm run bench:train`. Trains the two models of issue 5 for one epoch on the real Fashion-MNIST
 * (Debian's dataset-fashion-mnist) through the app's own training loop (the same code, store writes and checkpoints
 * as a run started in the app), then the same models in PyTorch when python3-torch is installed, and prints both
 * side by side as JSON with the ratios.
 *
 *   npm run bench:train                        # fastest engine vs PyTorch, both models
 *   npm run bench:train -- --engines native,wasm --models conv --limit 12800
 *
 * Each measurement runs in a fresh process, so its peak resident memory is its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
import { trainingDefaults } from '../src-main/models/training-config';
import type { TrainingConfig } from '../src-main/api/contract';
import { referenceConv } from './reference-models';
import { hasTorch, runTorchScript } from './torch';

const fashionDir = '/usr/share/datasets/fashion-mnist';

/** Issue 5's two models, written in the app's model language; bench/torch_reference.py builds the same ones. */
const models: Record<string, TrainingConfig['model']> = {
  conv: referenceConv(28, 1),
  dense: {
    variant: 'standard',
    encoder: [512, 256, 128].map((units) => ({ type: 'dense' as const, units })),
    latent: 30,
    latentActivation: 'linear',
    decoder: [128, 256, 512].map((units) => ({ type: 'dense' as const, units })),
    activation: 'relu',
    outputActivation: 'sigmoid',
  },
};

interface Result {
  model: string;
  engine: string;
  images: number;
  seconds: number;
  imagesPerSec: number;
  testMse: number | null;
  peakRssMb: number;
}

/** One model on one engine, in this process, against the prepared store. */
async function child(dataDir: string, model: string, batch: number, limit: number): Promise<void> {
  const db = openDatabase(dataLayout(dataDir).database);
  const dataset = listDatasets(db)[0];
  const config: TrainingConfig = {
    ...trainingDefaults,
    model: models[model],
    batchSize: batch,
    epochs: 1,
    input: { height: 28, width: 28, channels: 1 },
  };
  const runId = runs.insertRun(db, { datasetId: dataset.id, name: `bench ${model}`, config: JSON.stringify(config) });
  const trainImages = splitIndex(db, dataset.id, 'train').idx.length;
  const engine = await selectEngine();
  let imagesPerSec = 0;
  let images = 0;
  const result = await trainRun({
    tf: engine.tf,
    engine: engine.status,
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
      images = Math.min(trainImages, p.batch * batch);
    },
    yieldToEvents: async () => {},
  });
  if (result.status !== (limit ? 'stopped' : 'completed')) throw new Error(`Training failed: ${result.error}`);
  const run = runs.getRun(db, runId)!;
  const out: Result = {
    model,
    engine: `${engine.status.label} (${engine.status.detail})`,
    images,
    seconds: Math.round((images / imagesPerSec) * 100) / 100,
    imagesPerSec: Math.round(imagesPerSec * 10) / 10,
    testMse: limit || run.finalTestLoss === null ? null : Math.round(run.finalTestLoss! * 1e5) / 1e5,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 102.4) / 10,
  };
  process.stdout.write(JSON.stringify(out));
}

function runChild(dataDir: string, model: string, engine: string | undefined, batch: number, limit: number): Result {
  const script = fileURLToPath(import.meta.url);
  const args = ['--import', 'tsx', script, '--child', dataDir, model, String(batch), String(limit)];
  const env = { ...process.env, ...(engine ? { [engineEnv]: engine } : {}) };
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env });
  return JSON.parse(out) as Result;
}

function runTorch(modelList: string[], batch: number, limit: number, threads: number): Result[] {
  const args = ['--data', fashionDir, '--models', modelList.join(','), '--batch', String(batch)];
  return runTorchScript<Result>('torch_reference.py', [
    ...args,
    '--limit',
    String(limit),
    '--threads',
    String(threads),
  ]);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const [dataDir, model, batch, limit] = process.argv.slice(3);
    return child(dataDir, model, Number(batch), Number(limit));
  }
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'conv,dense' },
      engines: { type: 'string', default: '' },
      batch: { type: 'string', default: '128' },
      limit: { type: 'string', default: '0' },
      'torch-threads': { type: 'string', default: '1' },
    },
  });
  if (!existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz')))
    throw new Error("Install Debian's dataset-fashion-mnist first (apt install dataset-fashion-mnist).");
  const modelList = values.models.split(',');
  const engines = values.engines ? values.engines.split(',') : [undefined];
  const batch = Number(values.batch);
  const limit = Number(values.limit);

  const dataDir = mkdtempSync(join(tmpdir(), 'ae-studio-bench-train-'));
  try {
    const db = openDatabase(dataLayout(dataDir).database);
    await importBuiltin(
      { db, dataDir, signal: new AbortController().signal, onProgress: () => {} },
      {
        dataset: 'fashion-mnist',
      },
    );
    db.close();
    const ours: Result[] = [];
    for (const model of modelList) {
      for (const engine of engines) {
        const result = runChild(dataDir, model, engine, batch, limit);
        process.stderr.write(`${JSON.stringify(result)}\n`);
        ours.push(result);
      }
    }
    const threads = values['torch-threads'].split(',').map(Number);
    const torch = hasTorch();
    const reference = torch ? threads.flatMap((t) => runTorch(modelList, batch, limit, t)) : [];
    const ratios = ours.map((r) => {
      const best = reference.filter((p) => p.model === r.model).sort((a, b) => b.imagesPerSec - a.imagesPerSec)[0];
      return {
        model: r.model,
        engine: r.engine,
        speedVsPytorch: best ? Math.round((r.imagesPerSec / best.imagesPerSec) * 100) / 100 : null,
        testMseVsPytorch: best && r.testMse !== null ? Math.round((r.testMse / best.testMse!) * 1000) / 1000 : null,
      };
    });
    const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
    console.log(JSON.stringify({ machine, batch, limit: limit || 60000, ours, reference, ratios }, null, 2));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type * as tfType from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { selectEngine, type EngineStatus } from '../../../src-main/engine/select-engine';
import { insertRun } from '../../../src-main/store/runs';
import { listPresets } from '../../../src-main/models/presets';
import type { TrainingConfig } from '../../../src-main/models/training-config';
import type { ModelConfig } from '../../../src-main/models/model-config';
import { planModel } from '../../../src-main/models/model-plan';
import { Evaluator } from '../../../src-main/evaluation/evaluator';
import {
  encodeAndReconstruct,
  loadRunModel,
  disposeRunModel,
  toModelInput,
} from '../../../src-main/evaluation/run-model';
import { exportRunForPython } from '../../../src-main/experiments/python-export/python-export';
import { exportRun } from '../../../src-main/experiments/run-export';
import { trainInProcess } from '../../helpers/train-in-process';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';
import { pytorchExportFiles, torchPython } from '../../helpers/python-export';

/**
 * Exports trained runs for PyTorch and runs what was written with the real PyTorch (Debian's python3-torch, which CI
 * installs): the reconstructions and codes PyTorch computes must match the app's to 1e-4 for every preset and for
 * configs that reach the odd corners of the layout conversion.
 */
let tf: typeof tfType;
let engine: EngineStatus;

beforeAll(async () => {
  process.env.AE_STUDIO_ENGINE = 'wasm';
  ({ tf, status: engine } = await selectEngine());
  // Fails (rather than skips) where PyTorch is missing: these tests are the export's only proof.
  execFileSync(torchPython, ['-c', 'import torch']);
});

/** Reads a safetensors header and tensors (little-endian), as the format's spec lays them out. */
function readSafetensors(file: string): Map<string, { dtype: string; shape: number[]; bytes: Buffer }> {
  const data = readFileSync(file);
  const length = Number(data.readBigUInt64LE(0));
  const header = JSON.parse(data.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out = new Map<string, { dtype: string; shape: number[]; bytes: Buffer }>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    out.set(name, {
      dtype: entry.dtype,
      shape: entry.shape,
      bytes: data.subarray(8 + length + begin, 8 + length + end),
    });
  }
  return out;
}

const asFloats = (bytes: Buffer) =>
  new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));

/** Runs the exported model.py on the bundled images; the reconstructions (NCHW) and codes come back as raw floats. */
function runTorch(dir: string, variational: boolean, unpools: boolean): { recon: Float32Array; codes: Float32Array } {
  const script = `
import sys
sys.path.insert(0, ${JSON.stringify(dir)})
import torch
from model import load_model, load_safetensors
model = load_model()
images = load_safetensors(${JSON.stringify(join(dir, 'test_images.safetensors'))})["images"]
with torch.no_grad():
    out = model(images)
    recon = out[0] if ${variational ? 'True' : 'False'} else out
    code = model.encode(images)
    code = code[0] if ${variational || unpools ? 'True' : 'False'} else code
open(${JSON.stringify(join(dir, 'recon.bin'))}, "wb").write(recon.contiguous().numpy().tobytes())
open(${JSON.stringify(join(dir, 'codes.bin'))}, "wb").write(code.contiguous().numpy().tobytes())
`;
  execFileSync(torchPython, ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    recon: asFloats(readFileSync(join(dir, 'recon.bin'))),
    codes: asFloats(readFileSync(join(dir, 'codes.bin'))),
  };
}

/** NCHW → NHWC, the app's layout. */
function channelsLast(data: Float32Array, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let k = 0; k < n; k++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((k * h + y) * w + x) * c + ch] = data[((k * c + ch) * h + y) * w + x];
  return out;
}

const maxDifference = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

describe('Export for PyTorch (real PyTorch, real trained runs)', () => {
  const tempDir = useTempDirs();
  let db: Database;
  let dataDir: string;
  let datasetId: number;
  let evaluator: Evaluator;

  /** A store of its own for each test (its folders are removed after it), with 64 training and 32 test images. */
  beforeEach(() => {
    dataDir = tempDir();
    db = openDatabase(dataLayout(dataDir).database);
    datasetId = createFashionSubset(db, dataDir, 64, 32);
    evaluator = new Evaluator(tf, db, dataDir, engine.name);
  });
  afterEach(() => {
    evaluator.dispose();
    db.close();
  });

  async function trainAndExport(name: string, config: TrainingConfig) {
    const runId = insertRun(db, { datasetId, name, config: JSON.stringify({ ...config, epochs: 2, batchSize: 32 }) });
    expect(await trainInProcess({ tf, engine, db, dataDir, runId })).toEqual({ status: 'completed', error: null });
    const out = join(tempDir(), 'exports');
    mkdirSync(out);
    const exported = await exportRunForPython(db, dataDir, { runId, dir: out, format: 'pytorch' }, (q) =>
      evaluator.reconstruct(q),
    );
    return { runId, exported };
  }

  /** The app's own codes and reconstructions of the bundled images, from the stored checkpoint through tfjs. */
  async function appOutputs(runId: number, dir: string) {
    const images = readSafetensors(join(dir, 'test_images.safetensors')).get('images')!;
    const parts = await loadRunModel(tf, db, dataDir, runId);
    try {
      const n = images.shape[0];
      const inputs = channelsLast(asFloats(images.bytes), images.shape);
      // The bundled images are the dataset's bytes / 255, exactly what the app feeds its model.
      expect(Array.from(inputs).every((v) => Math.abs(Math.round(v * 255) / 255 - v) < 1e-7)).toBe(true);
      const { codes, outputs } = await encodeAndReconstruct(
        tf,
        parts,
        toModelInput(Uint8Array.from(inputs, (v) => Math.round(v * 255))),
        n,
      );
      return { codes, outputs, shape: images.shape };
    } finally {
      disposeRunModel(parts);
    }
  }

  async function expectSameAsApp(name: string, config: TrainingConfig) {
    const { runId, exported } = await trainAndExport(name, config);
    const dir = exported.path;
    const plan = planModel(config.model, [28, 28, 1]);
    const unpools = plan.layers.some((l) => l.op === 'unpool');
    const app = await appOutputs(runId, dir);
    const torch = runTorch(dir, plan.variational, unpools);
    const reconDiff = maxDifference(channelsLast(torch.recon, app.shape), app.outputs);
    expect(reconDiff).toBeLessThan(1e-4);
    const codeShape = plan.summary.layers.find((l) => l.name === 'latent')!.outputShape;
    const torchCodes =
      codeShape.length === 3
        ? channelsLast(torch.codes, [app.shape[0], codeShape[2], codeShape[0], codeShape[1]])
        : torch.codes;
    expect(maxDifference(torchCodes, app.codes)).toBeLessThan(1e-4);

    // example.py runs as a user would run it, from the folder, and agrees with the app's own error.
    const printed = execFileSync(torchPython, ['example.py'], { cwd: dir, encoding: 'utf8' });
    const [, ours, theirs] = /Mean squared error: ([\d.]+) \(Autoencoder Studio: ([\d.]+)\)/.exec(printed)!;
    expect(Math.abs(Number(ours) - Number(theirs))).toBeLessThan(2e-6);
    expect(printed).toContain(`Reconstructed 16 test images with PyTorch`);

    // Keras: structure only (no Keras here), checked against the plan and the weights file.
    const weights = readSafetensors(join(dir, 'weights.safetensors'));
    if (unpools) {
      expect(existsSync(join(dir, 'model_keras.py'))).toBe(false);
      expect(exported.notes.join(' ')).toMatch(/Keras has no max-unpooling layer/);
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/No Keras code: Keras has no max-unpooling/);
    } else {
      const keras = readFileSync(join(dir, 'model_keras.py'), 'utf8');
      execFileSync(torchPython, [
        '-c',
        `import ast, sys; ast.parse(open(sys.argv[1]).read())`,
        join(dir, 'model_keras.py'),
      ]);
      for (const layer of plan.layers.slice(1)) {
        if (layer.op !== 'input') expect(keras).toContain(`name="${layer.name}"`);
      }
      for (const key of weights.keys()) {
        if (!key.endsWith('num_batches_tracked')) expect(keras).toContain(`w["${key}"]`);
      }
    }
    return { dir, reconDiff, weights };
  }

  const presets = listPresets([28, 28, 1]);
  it.each(presets.map((p) => [p.id, p] as const))(
    'preset %s: PyTorch reconstructions and codes match the app to 1e-4',
    async (id, preset) => {
      await expectSameAsApp(id, preset.config);
    },
    120_000,
  );

  const base = presets.find((p) => p.id === 'small-dense')!.config;
  const custom = (model: Partial<ModelConfig>): TrainingConfig => ({
    ...base,
    model: { ...base.model, ...model } as ModelConfig,
  });

  it.each([
    [
      'odd corners: asymmetric "same" padding, a transposed conv with kernel < stride, leaky ReLU, ELU, average pooling, dropout, batch norm on a flattened vector, a final crop',
      custom({
        activation: 'leakyRelu',
        encoder: [
          { type: 'conv', filters: 3, kernel: 4, stride: 2, padding: 'same', activation: 'elu' },
          { type: 'batchNorm' },
          { type: 'avgPool', size: 2 },
          { type: 'conv', filters: 5, kernel: 3, stride: 3, padding: 'same' },
          { type: 'flatten' },
          { type: 'batchNorm' },
          { type: 'dropout', rate: 0.2 },
        ],
        latent: 6,
        decoder: [
          { type: 'dense', units: 5 * 5 * 3, activation: 'tanh' },
          { type: 'dropout', rate: 0.1 },
          { type: 'reshape', height: 5, width: 5, channels: 3 },
          { type: 'deconv', filters: 4, kernel: 2, stride: 3, padding: 'valid' },
          { type: 'deconv', filters: 2, kernel: 4, stride: 2, padding: 'same', activation: 'selu' },
        ],
      }),
    ],
    [
      'no latent layer: the code is a feature map, reshaped to another map shape',
      custom({
        latent: null,
        encoder: [
          { type: 'conv', filters: 4, kernel: 3, stride: 2, padding: 'valid' },
          { type: 'maxPool', size: 2 },
        ],
        decoder: [
          { type: 'reshape', height: 3, width: 6, channels: 8 },
          { type: 'upsample', size: 5 },
          { type: 'deconv', filters: 3, kernel: 3, stride: 2, padding: 'same' },
        ],
      }),
    ],
  ])(
    '%s',
    async (name, config) => {
      await expectSameAsApp(name.slice(0, 40), config);
    },
    120_000,
  );

  it('writes the weights as the safetensors spec lays them out', async () => {
    const { exported } = await trainAndExport('layout', base);
    const data = readFileSync(join(exported.path, 'weights.safetensors'));
    const length = Number(data.readBigUInt64LE(0));
    expect(length % 8).toBe(0);
    const header = JSON.parse(data.subarray(8, 8 + length).toString('utf8')) as Record<
      string,
      { dtype: string; shape: number[]; data_offsets: [number, number] }
    >;
    // Offsets run back to back from 0 to the end of the file, each the size of its dtype and shape.
    let at = 0;
    for (const entry of Object.values(header).sort((a, b) => a.data_offsets[0] - b.data_offsets[0])) {
      expect(entry.data_offsets[0]).toBe(at);
      const count = entry.shape.reduce((a, b) => a * b, 1);
      expect(entry.data_offsets[1] - at).toBe(count * (entry.dtype === 'F32' ? 4 : 8));
      at = entry.data_offsets[1];
    }
    expect(8 + length + at).toBe(data.length);
    // A dense layer's kernel is stored [out, in], as torch.nn.Linear keeps it.
    expect(header['encoder_dense_1.weight'].shape).toEqual([
      base.model.encoder[0].type === 'dense' ? base.model.encoder[0].units : 0,
      784,
    ]);
    expect(exported.files).toEqual(pytorchExportFiles);
  });

  it('never writes over a folder that is already there, and leaves nothing half-written', async () => {
    const { runId, exported } = await trainAndExport('twice', base);
    const parent = join(exported.path, '..');
    const before = readdirSync(parent);
    await expect(
      exportRunForPython(db, dataDir, { runId, dir: parent, format: 'pytorch' }, (q) => evaluator.reconstruct(q)),
    ).rejects.toThrow(/already exists; choose another folder/);
    // A failure midway (here: the evaluation worker refusing) removes the partial folder.
    const other = join(tempDir(), 'other');
    mkdirSync(other);
    await expect(
      exportRunForPython(db, dataDir, { runId, dir: other, format: 'pytorch' }, () =>
        Promise.reject(new Error('worker gone')),
      ),
    ).rejects.toThrow('worker gone');
    expect(readdirSync(other)).toEqual([]);
    expect(readdirSync(parent)).toEqual(before);
    // The studio export of the same run goes to its own folder beside it.
    const studio = await exportRun(db, dataDir, { runId, dir: parent });
    expect(studio.path).not.toBe(exported.path);
  });
});

import { join } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as checkpoints from '../store/checkpoints';
import { getDataset, type DatasetRow } from '../store/datasets';
import { UserError } from '../api/errors';
import type { CheckpointInside, ModelLayerInfo } from '../api/contract';
import { latentLayerName, latentMeanLayerName, type ImageShape } from '../models/model-plan';
import { leakyReluLayerName } from '../models/build-model';
import { readModelBytes } from '../training/checkpoint-files';
import { loadModel } from '../trainer/model-state';
export { toModelInput } from '../training/split-pixels';

type LayersModel = tfType.LayersModel;
type SymbolicTensor = tfType.SymbolicTensor;

/** A run's model at one checkpoint, split into the parts the results views use. */
export interface RunModel {
  runId: number;
  epoch: number;
  /** Every epoch with a checkpoint, ascending. */
  epochs: number[];
  /** When the latest of them was saved inside its epoch: how far into it. */
  inside: CheckpointInside | null;
  dataset: DatasetRow;
  shape: ImageShape;
  /** Numbers per code (a conv code's shape flattened). */
  latentDims: number;
  variational: boolean;
  model: LayersModel;
  /** Image → [code (a VAE's mean), reconstruction], in one pass. */
  encodeAndReconstruct: LayersModel;
  /** Code → image, or null with the reason in `decodeBlocker`. */
  decoder: LayersModel | null;
  decodeBlocker: string | null;
  layers: ModelLayerInfo[];
}

/**
 * The decoder as a model of its own: every layer downstream of the code, re-applied to a new input of the code's
 * shape (weights are shared, nothing is copied). A decoder that unpools with the encoder's pooling positions needs
 * an encoder pass, so it cannot decode a code alone; that is reported rather than faked.
 */
function decoderOf(
  tf: typeof tfType,
  model: LayersModel,
  codeLayer: string,
  codeShape: number[],
): LayersModel | string {
  const tensors = new Map<string, SymbolicTensor>();
  const codeInput = tf.input({ shape: codeShape, name: 'code' });
  tensors.set(codeLayer, codeInput);
  const start = model.layers.findIndex((layer) => layer.name === codeLayer);
  for (const layer of model.layers.slice(start + 1)) {
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    const inputs = inbound.map((source) => tensors.get(source.name));
    if (inputs.length === 0 || inputs.some((x) => x === undefined)) continue;
    const applied = layer.apply(inputs.length === 1 ? inputs[0]! : (inputs as SymbolicTensor[]));
    tensors.set(layer.name, applied as SymbolicTensor);
  }
  const outputLayer = model.outputs[0].sourceLayer.name;
  const image = tensors.get(outputLayer);
  if (!image) {
    return 'Its decoder unpools with the positions the encoder pooled from, so it can only decode codes of real images.';
  }
  return tf.model({ inputs: codeInput, outputs: image, name: 'decoder' });
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The checkpoint to use: the one asked for, else the run's latest. */
export function chooseCheckpoint(db: Database, runId: number, epoch?: number): checkpoints.CheckpointRow {
  const all = checkpoints.listCheckpoints(db, runId);
  if (all.length === 0) {
    throw new UserError('not_found', `Run ${runId} has no checkpoint yet; its first one is saved after epoch 1.`);
  }
  if (epoch === undefined) return all[all.length - 1];
  const found = all.find((c) => c.epoch === epoch);
  if (!found) {
    throw new UserError(
      'not_found',
      `Run ${runId} has no checkpoint for epoch ${epoch} (it has epochs ${all.map((c) => c.epoch).join(', ')}).`,
    );
  }
  return found;
}

/** Each image's mean squared error against its reconstruction: the MSE loss, image by image. */
export function meanSquaredErrors(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const size = a.length / n;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = i * size; j < (i + 1) * size; j++) sum += (a[j] - b[j]) ** 2;
    out[i] = sum / size;
  }
  return out;
}

const batchSize = 128;

/** Codes (a VAE's means) and reconstructions of n images in 0..1 (HWC back to back), batch by batch. */
export async function encodeAndReconstruct(
  tf: typeof tfType,
  parts: RunModel,
  inputs: Float32Array,
  n: number,
): Promise<{ codes: Float32Array; outputs: Float32Array }> {
  const size = product(parts.shape);
  const codes = new Float32Array(n * parts.latentDims);
  const outputs = new Float32Array(n * size);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const [z, y] = tf.tidy(() => {
      const x = tf.tensor4d(inputs.subarray(start * size, (start + count) * size), [count, ...parts.shape]);
      return parts.encodeAndReconstruct.predict(x) as tfType.Tensor[];
    });
    // Read back asynchronously: a GPU engine cannot read synchronously in Node.
    codes.set(await z.data(), start * parts.latentDims);
    outputs.set(await y.data(), start * size);
    tf.dispose([z, y]);
  }
  return { codes, outputs };
}

export async function loadRunModel(
  tf: typeof tfType,
  db: Database,
  dataDir: string,
  runId: number,
  epoch?: number,
): Promise<RunModel> {
  const run = runs.getRun(db, runId);
  if (!run) throw new UserError('not_found', `There is no run with id ${runId}.`);
  const checkpoint = chooseCheckpoint(db, runId, epoch);
  const dataset = getDataset(db, run.datasetId);
  if (!dataset) throw new UserError('not_found', `The dataset of run ${runId} no longer exists.`);
  let model: LayersModel;
  try {
    model = await loadModel(tf, readModelBytes(join(dataDir, checkpoint.path)));
  } catch (err) {
    throw new UserError(
      'file_error',
      `The checkpoint of epoch ${checkpoint.epoch} of run ${runId} cannot be read: ${(err as Error).message}`,
    );
  }
  const names = model.layers.map((layer) => layer.name);
  const variational = names.includes(latentMeanLayerName);
  // The code is the latent layer's activation; a leaky ReLU is a layer of its own after it.
  const codeLayer = variational
    ? latentMeanLayerName
    : names.includes(leakyReluLayerName(latentLayerName))
      ? leakyReluLayerName(latentLayerName)
      : latentLayerName;
  const codeOutput = model.getLayer(codeLayer).output as SymbolicTensor;
  const codeShape = codeOutput.shape.slice(1) as number[];
  const decoder = decoderOf(tf, model, variational ? latentLayerName : codeLayer, codeShape);
  const saved = checkpoints.listCheckpoints(db, runId);
  return {
    runId,
    epoch: checkpoint.epoch,
    epochs: saved.map((c) => c.epoch),
    inside: checkpoints.checkpointInside(saved.at(-1)),
    dataset,
    shape: [dataset.height, dataset.width, dataset.channels],
    latentDims: product(codeShape),
    variational,
    model,
    encodeAndReconstruct: tf.model({ inputs: model.inputs, outputs: [codeOutput, model.outputs[0]] }),
    decoder: typeof decoder === 'string' ? null : decoder,
    decodeBlocker: typeof decoder === 'string' ? decoder : null,
    layers: model.layers.map((layer) => ({
      name: layer.name,
      kind: layer.getClassName(),
      shape: (layer.outputShape as number[]).slice(1),
    })),
  };
}

export function disposeRunModel(parts: RunModel): void {
  // The sub-models share the model's weights: disposing the model frees them all.
  parts.model.dispose();
}

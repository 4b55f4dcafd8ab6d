import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { temporarySibling } from '../app/files';
import { customLayers } from '../models/custom-layers';

/**
 * A checkpoint is a folder: the model in tfjs layers format (model.json + weights.bin), the optimizer's slots and
 * the loop position. It is written under a temporary name and renamed into place, so it exists whole or not at all.
 */
export interface CheckpointState {
  epoch: number;
  /**
   * Adam's running powers beta1^t and beta2^t, exactly as training had multiplied them up. tfjs's setWeights
   * recomputes them as pow(beta, t), which differs in the last float32 bits, and that difference grows until a
   * resumed run drifts from an unbroken one; restoring the stored values keeps resume bit for bit.
   */
  adamPowers?: [number, number];
  /**
   * Set when the checkpoint was written inside epoch `epoch + 1` (on Stop, on Pause, or every few minutes of a long
   * epoch): the batches of that epoch already trained, the epoch's running loss over them, and the training time so
   * far. A resume carries on from the next batch with exactly the numbers an unbroken run would have.
   */
  inside?: { batch: number; lossSum: number; lossCount: number; elapsedMs: number };
}

/** The optimizer state tfjs keeps outside its weights (see CheckpointState.adamPowers). */
interface AdamPowers {
  accBeta1: tfType.Variable;
  accBeta2: tfType.Variable;
}

function adamPowers(optimizer: tfType.Optimizer): AdamPowers | undefined {
  // By class name: tfjs's optimizers answer instanceof by duck typing, so every optimizer "is" an AdamOptimizer.
  return optimizer.getClassName() === 'Adam' ? (optimizer as unknown as AdamPowers) : undefined;
}

export async function writeCheckpoint(
  tf: typeof tfType,
  dir: string,
  model: tfType.LayersModel,
  optimizer: tfType.Optimizer,
  state: CheckpointState,
): Promise<void> {
  const tmp = temporarySibling(dir);
  mkdirSync(tmp, { recursive: true });
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
        writeFileSync(join(tmp, 'weights.bin'), weights);
        writeFileSync(
          join(tmp, 'model.json'),
          JSON.stringify({
            format: 'layers-model',
            generatedBy: 'Autoencoder Studio',
            modelTopology: artifacts.modelTopology,
            weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
          }),
        );
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const slots = await optimizer.getWeights();
    const encoded = await tf.io.encodeWeights(slots);
    // getWeights() makes a new scalar for the iteration count each time (the slots are the live variables): free it,
    // or every checkpoint leaks a tensor.
    for (const slot of slots) if (!(slot.tensor instanceof tf.Variable)) slot.tensor.dispose();
    writeFileSync(join(tmp, 'optimizer.bin'), new Uint8Array(encoded.data));
    writeFileSync(join(tmp, 'optimizer.json'), JSON.stringify(encoded.specs));
    const powers = adamPowers(optimizer);
    const fullState: CheckpointState = powers
      ? { ...state, adamPowers: [(await powers.accBeta1.data())[0], (await powers.accBeta2.data())[0]] }
      : state;
    writeFileSync(join(tmp, 'state.json'), JSON.stringify(fullState));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** What Optimizer.setWeights takes (tfjs does not export the element type by name). */
type OptimizerSlots = Parameters<tfType.Optimizer['setWeights']>[0];

/** Just the model of a checkpoint (for encoding and reconstructing), without the optimizer's state. */
export async function readCheckpointModel(tf: typeof tfType, dir: string): Promise<tfType.LayersModel> {
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: Array<{ weights: tfType.io.WeightsManifestEntry[] }>;
  };
  // Our own layers (unpooling, seeded dropout, VAE sampling) must be registered before a model can name them.
  customLayers(tf);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: toArrayBuffer(readFileSync(join(dir, 'weights.bin'))),
    }),
  );
}

export async function readCheckpoint(
  tf: typeof tfType,
  dir: string,
): Promise<{ model: tfType.LayersModel; optimizerSlots: OptimizerSlots; state: CheckpointState }> {
  const model = await readCheckpointModel(tf, dir);
  const specs = JSON.parse(readFileSync(join(dir, 'optimizer.json'), 'utf8')) as tfType.io.WeightsManifestEntry[];
  const slotMap = tf.io.decodeWeights(toArrayBuffer(readFileSync(join(dir, 'optimizer.bin'))), specs);
  const optimizerSlots = specs.map((spec) => ({ name: spec.name, tensor: slotMap[spec.name] }));
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as CheckpointState;
  return { model, optimizerSlots, state };
}

/** Puts a checkpoint's optimizer state into a fresh optimizer of the same kind, so training continues exactly. */
export async function restoreOptimizer(
  tf: typeof tfType,
  optimizer: tfType.Optimizer,
  checkpoint: { optimizerSlots: OptimizerSlots; state: CheckpointState },
): Promise<void> {
  await optimizer.setWeights(checkpoint.optimizerSlots);
  const powers = adamPowers(optimizer);
  // Checkpoints written before adamPowers was stored keep tfjs's recomputed powers.
  if (powers && checkpoint.state.adamPowers) {
    const [beta1Power, beta2Power] = checkpoint.state.adamPowers;
    tf.tidy(() => {
      powers.accBeta1.assign(tf.scalar(beta1Power));
      powers.accBeta2.assign(tf.scalar(beta2Power));
    });
  }
}

/** A checkpoint's model weights by name (`encoder_conv_1/kernel`), read without tfjs: every weight is float32. */
export function readCheckpointWeights(dir: string): Map<string, { shape: number[]; data: Float32Array }> {
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: Array<{ weights: tfType.io.WeightsManifestEntry[] }>;
  };
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const spec of modelJson.weightsManifest[0].weights) {
    if (spec.dtype !== 'float32') throw new Error(`Weight ${spec.name} is ${spec.dtype}, not float32.`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    Buffer.from(data.buffer).set(bytes.subarray(offset, offset + count * 4));
    weights.set(spec.name, { shape: spec.shape, data });
    offset += count * 4;
  }
  if (offset !== bytes.length) throw new Error(`weights.bin holds ${bytes.length} bytes; model.json names ${offset}.`);
  return weights;
}

import type * as tfType from '@tensorflow/tfjs';
import { customLayers } from '../models/custom-layers';
import { UserError } from '../api/errors';
import type { CheckpointBytes, CheckpointState, ModelBytes } from './trainer';

/**
 * A model and its optimizer to bytes and back, in tfjs's layers format, without touching files: the run host writes
 * the bytes (training/checkpoint-files.ts), wherever the core runs.
 */

/** The optimizer state tfjs keeps outside its weights (see CheckpointState.adamPowers). */
interface AdamPowers {
  accBeta1: tfType.Variable;
  accBeta2: tfType.Variable;
}

function adamPowers(optimizer: tfType.Optimizer): AdamPowers | undefined {
  // By class name: tfjs's optimizers answer instanceof by duck typing, so every optimizer "is" an AdamOptimizer.
  return optimizer.getClassName() === 'Adam' ? (optimizer as unknown as AdamPowers) : undefined;
}

/** The model, the optimizer's slots and `state` as they are now. */
export async function snapshotModel(
  tf: typeof tfType,
  model: tfType.LayersModel,
  optimizer: tfType.Optimizer,
  state: CheckpointState,
): Promise<CheckpointBytes> {
  let saved: ModelBytes | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = {
        modelTopology: artifacts.modelTopology as object,
        weightSpecs: artifacts.weightSpecs!,
        weightData: artifacts.weightData as ArrayBuffer,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const slots = await optimizer.getWeights();
  const encoded = await tf.io.encodeWeights(slots);
  // getWeights() makes a new scalar for the iteration count each time (the slots are the live variables): free it,
  // or every checkpoint leaks a tensor.
  for (const slot of slots) if (!(slot.tensor instanceof tf.Variable)) slot.tensor.dispose();
  const powers = adamPowers(optimizer);
  return {
    ...saved!,
    optimizerSpecs: encoded.specs,
    optimizerData: encoded.data,
    state: powers
      ? { ...state, adamPowers: [(await powers.accBeta1.data())[0], (await powers.accBeta2.data())[0]] }
      : state,
  };
}

/** A model from its bytes (for training on, encoding and reconstructing). */
export async function loadModel(tf: typeof tfType, bytes: ModelBytes): Promise<tfType.LayersModel> {
  // Our own layers (unpooling, seeded dropout, VAE sampling) must be registered before a model can name them.
  customLayers(tf);
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: bytes.modelTopology,
        weightSpecs: bytes.weightSpecs,
        weightData: bytes.weightData,
      }),
    );
  } catch (err) {
    // A checkpoint whose weights do not fit its model (changed by hand, or crafted): tfjs's words, framed as such.
    const why = ((err as Error)?.message ?? String(err)).split('\n')[0];
    throw new UserError(
      'file_error',
      `A checkpoint is damaged or was changed: its weights do not fit its model (${why}). ` +
        'Resume from an earlier checkpoint, or train the run again.',
    );
  }
}

/** Puts a checkpoint's optimizer state into a fresh optimizer of the same kind, so training continues exactly. */
export async function restoreOptimizer(
  tf: typeof tfType,
  optimizer: tfType.Optimizer,
  checkpoint: CheckpointBytes,
): Promise<void> {
  const slotMap = tf.io.decodeWeights(checkpoint.optimizerData, checkpoint.optimizerSpecs);
  await optimizer.setWeights(
    checkpoint.optimizerSpecs.map((spec) => ({ name: spec.name, tensor: slotMap[spec.name] })),
  );
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

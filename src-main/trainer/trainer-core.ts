import type * as tfType from '@tensorflow/tfjs';
import type { TrainingConfig } from '../api/contract';
import { UserError } from '../api/errors';
import { epochOrder, seededRandom } from '../app/random';
import type { GpuWatch } from '../engine/webgpu-device';
import { buildModel } from '../models/build-model';
import { hasPenalty } from '../models/training-config';
import { latentLogVarLayerName, latentMeanLayerName, type ImageShape } from '../models/model-plan';
import { nextStepSeed, setRandomStep } from '../models/step-random';
import { remeasureBatchNorm, statisticsSampleSize } from './batch-norm-statistics';
import { corruptBatch } from './corruption';
import { augmentBatch } from './augment';
import { registerLeanGradients } from './lean-gradients';
import { useFusedBatchNorm } from '../engine/native-batch-norm';
import { loadModel, restoreOptimizer, snapshotModel } from './model-state';
import { makeOptimizer, setLearningRate } from './optimizers';
import {
  TrainerError,
  type BatchLoss,
  type CheckpointState,
  type GpuFaults,
  type MemorySnapshot,
  type PixelSource,
  type StepResult,
  type Trainer,
  type TrainerSetup,
} from './trainer';

/**
 * The trainer core: the training loop's tfjs half, and nothing else — no files, no store, no Node APIs — so the same
 * code trains in the run host's process (CPU engines, Dawn) and in a Chromium worker on the desktop app's GPU. The
 * host (training/train-run.ts) decides what to train when; the core builds the model and does it.
 */

const evalBatch = 256;
/** The batch size the evaluation passes use, which a GPU buffer must hold as well as a training batch. */
export const evaluationBatch = evalBatch;

export function reconstructionLoss(
  tf: typeof tfType,
  loss: TrainingConfig['loss'],
  prediction: tfType.Tensor,
  target: tfType.Tensor,
): tfType.Scalar {
  return tf.tidy(() => {
    if (loss === 'mse') return tf.mean(tf.squaredDifference(prediction, target)) as tfType.Scalar;
    const p = tf.clipByValue(prediction, 1e-7, 1 - 1e-7);
    const ones = tf.onesLike(target);
    return tf.neg(
      tf.mean(tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(ones, target), tf.log(tf.sub(ones, p))))),
    ) as tfType.Scalar;
  });
}

/** The model's outputs during training: the reconstruction, then the VAE's mean and log-variance, then sparse layers. */
interface TrainingModel {
  model: tfType.LayersModel;
  variational: boolean;
  sparseLayers: number;
}

/**
 * Wraps the autoencoder so one forward pass also returns the activations the loss needs (the VAE's code statistics,
 * the layers under a sparsity penalty). It shares the autoencoder's layers and weights.
 */
function trainingModel(tf: typeof tfType, model: tfType.LayersModel, config: TrainingConfig): TrainingModel {
  const variational = config.model.variant === 'variational';
  const sparse = config.sparsity?.layers ?? [];
  if (sparse.length === 0) return { model, variational, sparseLayers: 0 };
  const outputs = [
    model.outputs[0],
    ...(variational ? [model.getLayer(latentMeanLayerName).output, model.getLayer(latentLogVarLayerName).output] : []),
    ...sparse.map((name) => model.getLayer(name).output),
  ] as tfType.SymbolicTensor[];
  return { model: tf.model({ inputs: model.inputs, outputs }), variational, sparseLayers: sparse.length };
}

/** The objective's value: the sum that is minimised, and its terms (a tensor of [reconstruction, penalty]). */
interface Objective {
  total: tfType.Scalar;
  terms: tfType.Tensor1D;
}

/**
 * The loss the optimiser minimises: reconstruction (MSE or BCE, per pixel) of the clean image, plus the sparsity
 * penalty (weight × Σ|activation| per image), plus for a VAE β × KL / pixels, which keeps the ELBO's balance between
 * its two terms while the reconstruction stays a per-pixel mean. The terms come back apart too: runs are compared on
 * the reconstruction, which a penalty would otherwise hide inside the number.
 */
function objective(
  tf: typeof tfType,
  config: TrainingConfig,
  training: TrainingModel,
  input: tfType.Tensor,
  clean: tfType.Tensor,
  isTraining: boolean,
): Objective {
  const raw = training.model.apply(input, { training: isTraining }) as tfType.Tensor | tfType.Tensor[];
  const outputs = Array.isArray(raw) ? raw : [raw];
  const reconstruction = reconstructionLoss(tf, config.loss, outputs[0], clean);
  let penalty: tfType.Scalar | null = null;
  const addPenalty = (term: tfType.Scalar) => (penalty = penalty ? (tf.add(penalty, term) as tfType.Scalar) : term);
  let next = 1;
  if (training.variational) {
    const [mean, logVar] = [outputs[next++], outputs[next++]];
    const kl = tf.mul(-0.5, tf.mean(tf.sum(tf.sub(tf.add(1, logVar), tf.add(tf.square(mean), tf.exp(logVar))), -1)));
    const pixels = clean.size / clean.shape[0];
    addPenalty(tf.mul(kl, config.klWeight / pixels));
  }
  for (let i = 0; i < training.sparseLayers; i++) {
    const activations = outputs[next++];
    const perImage = tf.div(tf.sum(tf.abs(activations)), activations.shape[0]!);
    addPenalty(tf.mul(perImage, config.sparsity!.weight));
  }
  if (!penalty) return { total: reconstruction, terms: tf.reshape(reconstruction, [1]) };
  return { total: tf.add(reconstruction, penalty), terms: tf.stack([reconstruction, penalty]) as tfType.Tensor1D };
}

/**
 * A batch as tensors: the clean images as the target and, for a denoising run, a corrupted copy (made in `noisy`,
 * seeded by the current step) as the input; otherwise the input is the target.
 */
function batchTensors(
  tf: typeof tfType,
  config: TrainingConfig,
  clean: Float32Array,
  noisy: Float32Array,
  count: number,
  shape: ImageShape,
): { input: tfType.Tensor4D; target: tfType.Tensor4D } {
  const length = count * shape[0] * shape[1] * shape[2];
  const target = tf.tensor4d(clean.subarray(0, length), [count, ...shape]);
  if (!config.corruption) return { input: target, target };
  noisy.set(clean.subarray(0, length));
  corruptBatch(noisy, count, shape, config.corruption, seededRandom(nextStepSeed()));
  return { input: tf.tensor4d(noisy.subarray(0, length), [count, ...shape]), target };
}

export function memoryNow(tf: typeof tfType): MemorySnapshot {
  const memory = tf.memory() as tfType.MemoryInfo & { numBytesAllocatedInGPU?: number };
  return { tensors: memory.numTensors, bytes: memory.numBytes, gpuBytes: memory.numBytesAllocatedInGPU ?? null };
}

/** What the core holds between init and dispose. */
interface Session {
  config: TrainingConfig;
  shape: ImageShape;
  model: tfType.LayersModel;
  training: TrainingModel;
  optimizer: tfType.Optimizer;
  trainable: tfType.Variable[];
  train: PixelSource;
  test: PixelSource;
  batches: number;
  batchBuffer: Float32Array;
  noisyBuffer: Float32Array;
  /** One image's worth, for augmentation's resampling. */
  augmentScratch: Float32Array;
  faults: GpuFaults;
  order?: { epoch: number; order: Int32Array };
  /** Trained batches whose loss terms are still on the device, oldest first. */
  unread: Array<Omit<BatchLoss, 'loss' | 'penalty'> & { terms: tfType.Tensor1D }>;
  /** The read of the group before them, started but not awaited (GPU only). */
  reading: Promise<BatchLoss[]> | null;
}

/**
 * How many batches' losses a GPU core reads back at once. Each read waits for the device's queue to drain, so a read
 * per batch leaves a fast GPU idle between steps; with the losses read a group at a time, and the read of one group
 * awaited only after the next group is queued, the GPU always has work. The cost: on Stop the host waits for at most
 * this many steps, and the live curve arrives in groups (every batch still has its point).
 */
export const gpuReadEvery = 16;

/**
 * A core that trains with `tf` in this process. On a GPU engine `gpu` watches the device: its faults become
 * TrainerErrors of kind `gpu`, so the host keeps the run resumable.
 */
export function createTrainerCore(tf: typeof tfType, env: { gpu?: GpuWatch; readEvery?: number } = {}): Trainer {
  const { gpu } = env;
  registerLeanGradients(tf);
  useFusedBatchNorm(tf);
  // On the CPU a read costs nothing, so every batch's loss comes back with its step.
  const readEvery = Math.max(1, env.readEvery ?? (gpu ? gpuReadEvery : 1));
  let session: Session | undefined;
  const open = (): Session => {
    if (!session) throw new TrainerError('failed', 'The trainer has no run: init was not called.');
    return session;
  };

  /** Every failure as a TrainerError; on the GPU, anything but a bad setting or a diverging loss is the GPU's. */
  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    const fault = gpu?.fault();
    if (fault) throw new TrainerError('gpu', fault);
    try {
      return await work();
    } catch (err) {
      if (err instanceof TrainerError) throw err;
      if (err instanceof UserError) throw new TrainerError('invalid', err.message, err.code);
      const message = (err as Error)?.message ?? String(err);
      if (gpu) throw new TrainerError('gpu', gpu.fault() ?? `the GPU failed: ${message.split('\n')[0]}`);
      throw new TrainerError('failed', message);
    }
  }

  /** Reads these batches' loss terms back in one read, then frees them. */
  async function readLosses(batches: Session['unread']): Promise<BatchLoss[]> {
    if (batches.length === 0) return [];
    const joined = batches.length === 1 ? batches[0].terms : tf.concat(batches.map((b) => b.terms));
    try {
      const values = await joined.data();
      const width = values.length / batches.length;
      return batches.map(({ terms: _, ...batch }, i) => {
        const [loss, penalty] = [values[i * width], width > 1 ? values[i * width + 1] : null];
        for (const value of [loss, penalty]) {
          if (value !== null && !Number.isFinite(value)) {
            throw new TrainerError(
              'diverged',
              `The loss became ${value} in epoch ${batch.epoch}; try a smaller learning rate.`,
            );
          }
        }
        return { ...batch, loss, penalty };
      });
    } finally {
      tf.dispose([joined, ...batches.map((b) => b.terms)]);
    }
  }

  /** Every loss not returned yet: the group being read, then the batches after it. */
  async function drain(s: Session): Promise<BatchLoss[]> {
    const reading = s.reading;
    s.reading = null;
    const done = reading ? await reading : [];
    return [...done, ...(await readLosses(s.unread.splice(0)))];
  }

  /** Batch-norm statistics over a fixed sample of training images, as the model is given them in training. */
  async function remeasure(s: Session): Promise<void> {
    const { config, shape, train } = s;
    const sample = epochOrder(train.count, config.seed, 0).subarray(0, Math.min(train.count, statisticsSampleSize));
    const buffer = new Float32Array(evalBatch * shape[0] * shape[1] * shape[2]);
    const noisy = config.corruption ? new Float32Array(buffer.length) : buffer;
    await remeasureBatchNorm(tf, s.model, Math.ceil(sample.length / evalBatch), (b) => {
      const start = b * evalBatch;
      const n = train.fill(sample, start, Math.min(start + evalBatch, sample.length), buffer);
      setRandomStep(config.seed, 0, start);
      return batchTensors(tf, config, buffer, noisy, n, shape).input;
    });
  }

  return {
    init: (setup: TrainerSetup, data) =>
      guarded(async () => {
        const { config, shape, checkpoint } = setup;
        const optimizer = makeOptimizer(tf, config);
        let model: tfType.LayersModel;
        if (checkpoint) {
          model = await loadModel(tf, checkpoint);
          await restoreOptimizer(tf, optimizer, checkpoint);
        } else {
          model = buildModel(tf, config.model, shape, config.seed);
        }
        const imageBytes = shape[0] * shape[1] * shape[2];
        const batchBuffer = new Float32Array(config.batchSize * imageBytes);
        session = {
          config,
          shape,
          model,
          training: trainingModel(tf, model, config),
          optimizer,
          trainable: model.trainableWeights.map((w) => w.read() as tfType.Variable),
          train: data.train,
          test: data.test,
          batches: Math.ceil(data.train.count / config.batchSize),
          batchBuffer,
          noisyBuffer: config.corruption ? new Float32Array(batchBuffer.length) : batchBuffer,
          augmentScratch: new Float32Array(imageBytes),
          faults: setup.faults ?? {},
          unread: [],
          reading: null,
        };
        return { hasBatchNorm: model.layers.some((layer) => layer.getClassName() === 'BatchNormalization') };
      }),

    trainBatch: (epoch, b, learningRate) =>
      guarded(async () => {
        const s = open();
        const { config, shape } = s;
        setLearningRate(s.optimizer, learningRate);
        if (s.order?.epoch !== epoch) s.order = { epoch, order: epochOrder(s.train.count, config.seed, epoch) };
        const { order } = s.order;
        const n = s.train.fill(
          order,
          b * config.batchSize,
          Math.min((b + 1) * config.batchSize, order.length),
          s.batchBuffer,
        );
        setRandomStep(config.seed, epoch, b);
        if (config.augment) {
          augmentBatch(s.batchBuffer, n, shape, config.augment, seededRandom(nextStepSeed()), s.augmentScratch);
        }
        const { input, target } = batchTensors(tf, config, s.batchBuffer, s.noisyBuffer, n, shape);
        const step = (epoch - 1) * s.batches + b + 1;
        if (gpu && s.faults.failReadbackAfterSteps && step > s.faults.failReadbackAfterSteps) gpu.failReadback();
        // The terms leave the gradient's scope (keep) and stay on the device until their group is read.
        let terms: tfType.Tensor1D | undefined;
        const cost = s.optimizer.minimize(
          () => {
            const value = objective(tf, config, s.training, input, target, true);
            terms = tf.keep(value.terms);
            return value.total;
          },
          false,
          s.trainable,
        );
        tf.dispose([input, target, ...(cost ? [cost] : [])]);
        s.unread.push({ epoch, batch: b, images: n, terms: terms! });
        if (gpu && s.faults.loseDeviceAfterSteps && step >= s.faults.loseDeviceAfterSteps) gpu.loseDevice();
        let done: BatchLoss[] = [];
        if (readEvery === 1) {
          done = await readLosses(s.unread.splice(0));
        } else if (s.unread.length >= readEvery) {
          // Start reading this group, which is queued behind the one being read, then wait for that one.
          const previous = s.reading;
          s.reading = readLosses(s.unread.splice(0));
          s.reading.catch(() => {}); // awaited by the next group or flush; not an unhandled rejection meanwhile
          done = previous ? await previous : [];
        }
        return { done, memory: memoryNow(tf) } satisfies StepResult;
      }),

    flush: () => guarded(() => drain(open())),

    remeasureBatchNorm: () => guarded(() => remeasure(open())),

    /**
     * Mean test loss over the split, in inference mode (no dropout, a VAE decodes its mean). A denoising run is
     * scored on corrupted test images, with the same corruption every epoch so the curve compares like with like.
     */
    testLoss: () =>
      guarded(async () => {
        const { config, shape, test, training } = open();
        const count = test.count;
        if (count === 0) return null;
        const buffer = new Float32Array(evalBatch * shape[0] * shape[1] * shape[2]);
        const noisy = config.corruption ? new Float32Array(buffer.length) : buffer;
        const identity = Int32Array.from({ length: count }, (_, i) => i);
        let lossSum = 0;
        let penaltySum = 0;
        for (let start = 0; start < count; start += evalBatch) {
          const n = test.fill(identity, start, Math.min(start + evalBatch, count), buffer);
          setRandomStep(config.seed, 0, start);
          const terms = tf.tidy(() => {
            const { input, target } = batchTensors(tf, config, buffer, noisy, n, shape);
            return objective(tf, config, training, input, target, false).terms;
          });
          // Read asynchronously: a GPU backend cannot read back synchronously (and should not block).
          const [loss, penalty] = await terms.data();
          terms.dispose();
          lossSum += loss * n;
          penaltySum += (penalty ?? 0) * n;
        }
        return { loss: lossSum / count, penalty: hasPenalty(config) ? penaltySum / count : null };
      }),

    reconstruct: (positions) =>
      guarded(async () => {
        const { model, shape, test } = open();
        const n = positions.length;
        const inputs = new Float32Array(n * shape[0] * shape[1] * shape[2]);
        test.fill(positions, 0, n, inputs);
        const [pixelsOut, errorsOut] = tf.tidy(() => {
          const x = tf.tensor4d(inputs, [n, ...shape]);
          const out = model.predict(x);
          const y = Array.isArray(out) ? out[0] : out;
          return [tf.round(tf.mul(y, 255)), tf.mean(tf.squaredDifference(x, y), [1, 2, 3])];
        });
        try {
          const [pixels, errors] = [await pixelsOut.data(), await errorsOut.data()];
          return { pixels: Uint8Array.from(pixels), mse: Float32Array.from(errors) };
        } finally {
          tf.dispose([pixelsOut, errorsOut]);
        }
      }),

    snapshot: (state: CheckpointState) =>
      guarded(() => {
        const s = open();
        // A checkpoint's loop position counts every trained batch's loss, so they must have been read.
        if (s.unread.length || s.reading) throw new TrainerError('failed', 'A snapshot was asked for before a flush.');
        return snapshotModel(tf, s.model, s.optimizer, state);
      }),

    memory: () => Promise.resolve(memoryNow(tf)),

    dispose: async () => {
      if (session) tf.dispose(session.unread.map((b) => b.terms));
      session = undefined;
      tf.disposeVariables();
    },
  };
}

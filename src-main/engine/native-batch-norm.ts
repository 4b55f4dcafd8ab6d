import type * as tfType from '@tensorflow/tfjs';

/**
 * Training-mode batch norm as one kernel each way, on engines that have the kernels (the native engine registers
 * them: native-array-kernels.ts, src-main/engine/native/batch_norm.c). Through tfjs-layers, a BatchNormalization layer
 * in training is tf.moments and tf.batchNorm, and its gradient about a dozen tensor-sized kernels (the gradients of
 * the normalisation, of the variance's squared differences and of both means): 18–29% of a CPU training step of
 * seed 001's CAE and the photo stack (`npm run bench:train -- --profile`).
 *
 * The names live here, apart from the addon, so the trainer core can ask for them in Node and in the browser alike.
 */
export const batchNormTrainKernel = 'AeBatchNormTrain';
export const batchNormTrainGradKernel = 'AeBatchNormTrainGrad';

/** The parts of tfjs-layers' BatchNormalization the fused path reads. */
interface BatchNormInternals {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tfType.Tensor };
  beta: { read(): tfType.Tensor };
  movingMean: { read(): tfType.Tensor; write(value: tfType.Tensor): void };
  movingVariance: { read(): tfType.Tensor; write(value: tfType.Tensor): void };
}

type Call = (inputs: tfType.Tensor | tfType.Tensor[], kwargs: { training?: boolean }) => tfType.Tensor;

const patched = new WeakSet<object>();

/**
 * The kernel's gradient: dx through the batch's own mean and variance, and the scale's and offset's gradients, from
 * one native pass. The mean and variance outputs feed only the moving averages (variables written outside the
 * loss), so no gradient reaches them and none is taken.
 */
function registerGradient(tf: typeof tfType): void {
  tf.registerGradient({
    kernelName: batchNormTrainKernel,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x, scale, mean, variance] = saved;
      // One kernel gives all three; backprop asks for each in turn (in its own tidy), so they are made here, once.
      const [dx, dscale, doffset] = tf
        .engine()
        .runKernel(batchNormTrainGradKernel, { dy, x, scale, mean, variance }, attrs) as tfType.Tensor[];
      return { x: () => dx, scale: () => dscale, offset: () => doffset };
    },
  });
}

/**
 * Makes every tfjs-layers BatchNormalization (built now or loaded from a checkpoint) train through the fused kernels
 * when the current backend has them and the layer normalises its last axis with a scale and an offset, as every
 * preset's does; otherwise, and in inference, the layer runs as before. The moving averages are updated exactly as
 * tfjs-layers does. Idempotent.
 */
export function useFusedBatchNorm(tf: typeof tfType): void {
  const prototype = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call };
  if (patched.has(prototype)) return;
  patched.add(prototype);
  registerGradient(tf);
  const original = prototype.call;
  prototype.call = function (this: BatchNormInternals, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = this.axis === -1 || this.axis === x.rank - 1;
    const fused =
      kwargs?.training === true &&
      lastAxis &&
      this.center &&
      this.scale &&
      x.dtype === 'float32' &&
      tf.getKernel(batchNormTrainKernel, tf.getBackend()) !== undefined;
    if (!fused) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = tf
        .engine()
        .runKernel(
          batchNormTrainKernel,
          { x, scale: this.gamma.read(), offset: this.beta.read() },
          { epsilon: this.epsilon },
        ) as tfType.Tensor[];
      const decay = 1 - this.momentum;
      for (const [variable, value] of [
        [this.movingMean, mean],
        [this.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const current = variable.read();
          variable.write(tf.sub(current, tf.mul(tf.sub(current, value), decay)));
        });
      }
      return y;
    });
  };
}

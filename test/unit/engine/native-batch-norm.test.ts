import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { randomData, rng, sizeOf, useNativeKernels } from '../../helpers/native-kernels';
import { relativeError } from '../../helpers/relative-error';
import { batchNormTrainKernel, useFusedBatchNorm } from '../../../src-main/engine/native-batch-norm';

/**
 * The fused training-mode batch norm (one native kernel forward, one backward) against tfjs-layers' own
 * BatchNormalization on the pure-JS cpu backend, which has no fused kernel and so runs the layer as tfjs wrote it:
 * the output, the gradients of x, gamma and beta, and the moving averages after the step all agree within float32
 * tolerance, for image-shaped and flat inputs. Inference is left to the layer's own path.
 */

beforeAll(async () => {
  await useNativeKernels();
  useFusedBatchNorm(tf);
});

interface Step {
  values: Float32Array[];
  kernels: string[];
}

/** One training-mode call of a BatchNormalization layer with the given weights, and Σ r·y's gradients. */
async function step(backend: 'cpu' | 'wasm', shape: number[], seed: number): Promise<Step> {
  await tf.setBackend(backend);
  const channels = shape[shape.length - 1];
  const data = rng(seed);
  const layer = tf.layers.batchNormalization({ momentum: 0.9 });
  layer.build(shape);
  const weights = [1.5, 0.3, 0.2, 2].map((spread, i) =>
    tf.tensor1d(Float32Array.from(randomData(channels, data), (v) => (i === 3 ? 1 + v : v * spread))),
  );
  layer.setWeights(weights);
  tf.dispose(weights);
  // An offset and a spread per channel, as a conv layer's activations have.
  const x = tf.tidy(() => tf.add(tf.mul(tf.tensor(randomData(sizeOf(shape), data), shape), 3), 0.7));
  const r = tf.tensor(randomData(sizeOf(shape), rng(seed + 1)), shape);
  const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  let outputs: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    const y = tf.tidy(() => layer.apply(x, { training: true }) as tf.Tensor);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar,
      [gamma, beta],
    );
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, r)))(x);
    outputs = [
      y,
      dx,
      grads[gamma.name],
      grads[beta.name],
      ...layer
        .getWeights()
        .slice(2)
        .map((w) => w.clone()),
    ];
    value.dispose();
    return [];
  });
  const values = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([...outputs, x, r]);
  layer.weights.forEach((w) => w.dispose());
  return { values, kernels: profile.kernelNames };
}

describe('fused training-mode batch norm', () => {
  it.each([
    { shape: [4, 6, 5, 8], seed: 3 },
    { shape: [2, 3, 3, 33], seed: 5 },
    { shape: [16, 64, 64, 3], seed: 7 },
    { shape: [32, 30], seed: 11 },
  ])('matches tfjs-layers’ BatchNormalization on the cpu backend: $shape', async ({ shape, seed }) => {
    const reference = await step('cpu', shape, seed);
    const fused = await step('wasm', shape, seed);
    expect(reference.kernels).not.toContain(batchNormTrainKernel);
    expect(fused.kernels).toContain(batchNormTrainKernel);
    const names = ['y', 'dx', 'dgamma', 'dbeta', 'moving mean', 'moving variance'];
    names.forEach((name, i) => {
      expect(fused.values[i].length, name).toBe(reference.values[i].length);
      expect(relativeError(fused.values[i], reference.values[i]), name).toBeLessThan(1e-4);
    });
  });

  it('leaves inference to the layer’s own path', async () => {
    const infer = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const layer = tf.layers.batchNormalization({});
      const x = tf.tensor(randomData(2 * 4 * 4 * 3, rng(13)), [2, 4, 4, 3]);
      let y: tf.Tensor | undefined;
      const profile = await tf.profile(() => {
        y = layer.apply(x, { training: false }) as tf.Tensor;
      });
      const values = (await y!.data()) as Float32Array;
      tf.dispose([x, y!]);
      return { values, kernels: profile.kernelNames };
    };
    const reference = await infer('cpu');
    const native = await infer('wasm');
    expect(native.kernels).toContain('FusedBatchNorm');
    expect(native.kernels).not.toContain(batchNormTrainKernel);
    expect(relativeError(native.values, reference.values)).toBeLessThan(1e-5);
  });
});

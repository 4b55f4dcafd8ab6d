import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadNativeAddon } from '../../../src-main/engine/native-addon';
import { nativeAdam } from '../../../src-main/engine/native-adam';
import { buildModel } from '../../../src-main/models/build-model';
import type { ModelConfig } from '../../../src-main/api/contract';
import { relativeError } from '../../helpers/relative-error';
import { randomData, rng, useNativeKernels } from '../../helpers/native-kernels';

/** The native engine as training uses it: its fused Adam, a whole model learning, and the addon's argument checks. */

beforeAll(useNativeKernels);

describe('native Adam', () => {
  /** A few Adam steps on a small quadratic problem; returns the variables after each step. */
  async function adamSteps(backend: 'cpu' | 'wasm', fused: boolean): Promise<number[][]> {
    await tf.setBackend(backend);
    const data = rng(99);
    const w = tf.variable(tf.tensor2d(randomData(12, data), [3, 4]));
    const b = tf.variable(tf.tensor1d(randomData(4, data)));
    const x = tf.tensor2d(randomData(15, data), [5, 3]);
    const target = tf.tensor2d(randomData(20, data), [5, 4]);
    const optimizer = fused ? nativeAdam(tf, 0.05) : tf.train.adam(0.05);
    expect(optimizer).not.toBeNull();
    const history: number[][] = [];
    for (let step = 0; step < 6; step++) {
      optimizer!.minimize(() => tf.mean(tf.squaredDifference(tf.add(tf.matMul(x, w), b), target)) as tf.Scalar);
      history.push([...w.dataSync(), ...b.dataSync()]);
    }
    const weights = await optimizer!.getWeights();
    history.push(...(await Promise.all(weights.map(async (n) => Array.from(await n.tensor.data())))));
    tf.dispose([w, b, x, target]);
    optimizer!.dispose();
    return history;
  }

  it('takes the same steps as tf.train.adam on the cpu backend and keeps the same optimizer state', async () => {
    const reference = await adamSteps('cpu', false);
    const native = await adamSteps('wasm', true);
    expect(native.length).toBe(reference.length);
    for (let i = 0; i < reference.length; i++) expect(relativeError(native[i], reference[i])).toBeLessThan(1e-4);
  });

  it('is not offered on a backend without the fused kernel', async () => {
    await tf.setBackend('cpu');
    expect(nativeAdam(tf, 0.01)).toBeNull();
    await tf.setBackend('wasm');
  });
});

describe('training on the native kernels', () => {
  const model: ModelConfig = {
    variant: 'standard',
    encoder: [
      { type: 'conv', filters: 8, kernel: 3, stride: 2, padding: 'same' },
      { type: 'conv', filters: 16, kernel: 3, stride: 2, padding: 'same' },
    ],
    latent: 8,
    latentActivation: 'linear',
    decoder: [
      { type: 'dense', units: 4 * 4 * 16 },
      { type: 'reshape', height: 4, width: 4, channels: 16 },
      { type: 'deconv', filters: 8, kernel: 3, stride: 2, padding: 'same' },
      { type: 'deconv', filters: 1, kernel: 3, stride: 2, padding: 'same' },
    ],
    activation: 'relu',
    outputActivation: 'sigmoid',
  };

  /** Blurry blobs at random places: learnable structure, different in every image. */
  function images(count: number): tf.Tensor4D {
    const next = rng(2024);
    const data = new Float32Array(count * 16 * 16);
    for (let n = 0; n < count; n++) {
      const [cy, cx] = [3 + next() * 10, 3 + next() * 10];
      for (let y = 0; y < 16; y++)
        for (let x = 0; x < 16; x++) data[n * 256 + y * 16 + x] = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 8);
    }
    return tf.tensor4d(data, [count, 16, 16, 1]);
  }

  async function train(): Promise<number[]> {
    await tf.setBackend('wasm');
    const net = buildModel(tf, model, [16, 16, 1], 5);
    const optimizer = nativeAdam(tf, 2e-3)!;
    const x = images(64);
    const losses: number[] = [];
    for (let step = 0; step < 300; step++) {
      const cost = optimizer.minimize(
        () => tf.mean(tf.squaredDifference(net.apply(x) as tf.Tensor, x)) as tf.Scalar,
        true,
      );
      losses.push(cost!.dataSync()[0]);
      cost!.dispose();
    }
    const meanImageLoss = tf.tidy(() => tf.mean(tf.squaredDifference(tf.mean(x, 0, true), x)).dataSync()[0]);
    x.dispose();
    net.dispose();
    optimizer.dispose();
    losses.push(meanImageLoss);
    return losses;
  }

  it('learns (loss falls below the mean image) and repeats the same losses exactly', async () => {
    const first = await train();
    const second = await train();
    const meanImageLoss = first.pop()!;
    second.pop();
    expect(first.at(-1)!).toBeLessThan(first[0] / 4);
    expect(first.at(-1)!).toBeLessThan(meanImageLoss);
    expect(second).toEqual(first);
  });
});

describe('the native addon refuses bad arguments instead of touching memory it does not own', () => {
  const addon = loadNativeAddon();

  it('names a wrong array type, too few parameters and arrays too small for the stated shapes', () => {
    const geometry = Int32Array.from([1, 4, 4, 1, 3, 3, 2, 4, 4, 1, 1, 1, 1, 1, 1]);
    const [x, w, out] = [new Float32Array(16), new Float32Array(18), new Float32Array(32)];
    expect(() => addon.conv2d(new Int32Array(16) as never, w, out, geometry)).toThrow(/expected a Float32Array/);
    expect(() => addon.conv2d(x, w, out, new Int32Array(3))).toThrow(/Int32Array of parameters/);
    expect(() => addon.conv2d(x, w, new Float32Array(31), geometry)).toThrow(/output too small/);
    expect(() => addon.conv2dBackpropFilter(x, out, new Float32Array(17), geometry)).toThrow(/dw too small/);
    expect(() => addon.matmul(x, w, out, Int32Array.from([1, 1, 4, 8, 5, 0, 0]))).toThrow(/a too small/);
    expect(() => addon.matmul(x, w, out, Int32Array.from([2, 3, 1, 1, 1, 0, 0]))).toThrow(/do not broadcast/);
    expect(() => addon.tile(x, out, Int32Array.from([9]))).toThrow(/rank must be 1 to 8/);
    expect(() => addon.adam(x, x, x, x, x, x, new Float32Array(15), new Float64Array(6))).toThrow(/differ in size/);
    expect(() => addon.elementwise(x, w, out, Int32Array.from([16, 3]))).toThrow(/op must be/);
    expect(() => addon.elementwise(x, w, out, Int32Array.from([17, 0]))).toThrow(/a too small/);
    const pool = Int32Array.from([1, 4, 4, 2, 2, 2, 2, 2, 2, 2, 0, 0]);
    expect(() => addon.maxPoolGrad(x, w, out, pool)).toThrow(/x too small/);
    const resize = Int32Array.from([1, 2, 2, 1, 4, 4]);
    expect(() =>
      addon.resizeNearestGrad(w, out, resize, Int32Array.from([0, 0, 1, 2]), Int32Array.from([0, 0, 1, 1])),
    ).toThrow(/outside the input/);
    expect(() =>
      addon.resizeNearestGrad(w, out, resize, Int32Array.from([0, 0]), Int32Array.from([0, 0, 1, 1])),
    ).toThrow(/Int32Array of parameters/);
    expect(() => addon.batchNorm(x, w, w, null, null, out, Int32Array.from([4, 4]), 'small' as never)).toThrow(
      /epsilon as a number/,
    );
    expect(() => addon.batchNorm(x, w, w, null, new Float32Array(2), out, Int32Array.from([4, 4]), 1e-3)).toThrow(
      /scale too small/,
    );
    // The output of a refused call is left as it was.
    expect(out.every((v) => v === 0)).toBe(true);
  });
});

import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmConvGradients } from '../../../src-main/engine/wasm-conv-gradients';
import { relativeError } from '../../helpers/relative-error';

async function filterGradOn(
  backend: string,
  x: Float32Array,
  xShape: [number, number, number, number],
  dy: Float32Array,
  dyShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: 'same' | 'valid',
): Promise<Float32Array> {
  await tf.setBackend(backend);
  // d/dW of sum(conv2d(x, W) * dy) is exactly Conv2DBackpropFilter(x, dy): the path training takes.
  const weights = tf.tensor4d(
    seeded(
      filterShape.reduce((a, b) => a * b),
      3,
    ),
    filterShape,
  );
  const result = tf.tidy(() =>
    tf.grad((w: tf.Tensor) =>
      tf
        .conv2d(tf.tensor4d(x, xShape), w as tf.Tensor4D, strides, pad)
        .mul(tf.tensor4d(dy, dyShape))
        .sum(),
    )(weights),
  );
  weights.dispose();
  const data = (await result.data()) as Float32Array;
  result.dispose();
  return data;
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

describe('wasm Conv2DBackpropFilter', () => {
  beforeAll(() => registerWasmConvGradients());

  const cases: Array<{
    x: [number, number, number, number];
    k: number;
    ci: number;
    co: number;
    s: number;
    pad: 'same' | 'valid';
  }> = [
    { x: [4, 28, 28, 1], k: 3, ci: 1, co: 8, s: 2, pad: 'same' },
    { x: [3, 14, 14, 8], k: 3, ci: 8, co: 5, s: 2, pad: 'same' },
    { x: [2, 9, 11, 3], k: 3, ci: 3, co: 4, s: 1, pad: 'same' },
    { x: [2, 9, 11, 3], k: 2, ci: 3, co: 4, s: 3, pad: 'valid' },
    { x: [5, 10, 10, 2], k: 4, ci: 2, co: 3, s: 2, pad: 'same' },
    { x: [2, 13, 7, 2], k: 5, ci: 2, co: 6, s: 1, pad: 'valid' },
    { x: [1, 32, 32, 3], k: 1, ci: 3, co: 13, s: 1, pad: 'valid' },
  ];

  it.each(cases)('matches the cpu backend for x=$x k=$k s=$s $pad', async ({ x: xShape, k, ci, co, s, pad }) => {
    const filterShape: [number, number, number, number] = [k, k, ci, co];
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, s, 1, pad);
    const dyShape: [number, number, number, number] = [xShape[0], info.outHeight, info.outWidth, co];
    const x = seeded(
      xShape.reduce((a, b) => a * b),
      7,
    );
    const dy = seeded(
      dyShape.reduce((a, b) => a * b),
      11,
    );
    const expected = await filterGradOn('cpu', x, xShape, dy, dyShape, filterShape, [s, s], pad);
    const actual = await filterGradOn('wasm', x, xShape, dy, dyShape, filterShape, [s, s], pad);
    expect(actual.length).toBe(expected.length);
    expect(relativeError(actual, expected)).toBeLessThan(1e-4);
  });

  it('frees its intermediate tensors', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numBytes;
    const x = tf.randomNormal([4, 12, 12, 3]);
    const dy = tf.randomNormal([4, 6, 6, 5]);
    const w = tf.randomNormal([3, 3, 3, 5]);
    const grad = tf.grad((v: tf.Tensor) =>
      tf
        .conv2d(x as tf.Tensor4D, v as tf.Tensor4D, 2, 'same')
        .mul(dy)
        .sum(),
    )(w as tf.Tensor4D);
    tf.dispose([x, dy, w, grad]);
    expect(tf.memory().numBytes).toBe(before);
  });
});

import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { registerLeanGradients } from '../../../src-main/trainer/lean-gradients';

/**
 * The lean Sum and Mean gradients against tfjs's own, on the cpu backend: the same values bit for bit (they are the
 * same float operations), for reductions over every axis, some axes, negative axes and with kept dimensions.
 */

const cases: Array<{ op: 'sum' | 'mean'; shape: number[]; axis: number | number[] | undefined; keepDims: boolean }> = [
  { op: 'mean', shape: [4, 5, 6, 3], axis: undefined, keepDims: false },
  { op: 'mean', shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: false },
  { op: 'mean', shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: true },
  { op: 'mean', shape: [7, 9], axis: -1, keepDims: false },
  { op: 'sum', shape: [4, 5, 6, 3], axis: [1, 2], keepDims: false },
  { op: 'sum', shape: [4, 5, 6, 3], axis: 0, keepDims: true },
  { op: 'sum', shape: [7, 9], axis: undefined, keepDims: false },
];

/** dx of Σ r · reduce(x), with a random r so that every output's gradient differs. */
function gradient(op: 'sum' | 'mean', shape: number[], axis: number | number[] | undefined, keepDims: boolean) {
  return tf.tidy(() => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
    const reduced = tf[op](x, axis, keepDims);
    const r = tf.randomUniform(reduced.shape, 0.5, 3, 'float32', 5);
    return tf
      .grad((v: tf.Tensor) => tf.sum(tf.mul(tf[op](v, axis, keepDims), r)))(x)
      .dataSync()
      .slice();
  });
}

describe('lean Sum and Mean gradients', () => {
  it('equal tfjs’s own gradients bit for bit', async () => {
    await tf.setBackend('cpu');
    const original = cases.map((c) => gradient(c.op, c.shape, c.axis, c.keepDims));
    const sumGrad = tf.getGradient('Sum')!;
    const meanGrad = tf.getGradient('Mean')!;
    registerLeanGradients(tf);
    try {
      expect(tf.getGradient('Mean')).not.toBe(meanGrad);
      cases.forEach((c, i) => {
        const lean = gradient(c.op, c.shape, c.axis, c.keepDims);
        expect(lean.length).toBe(original[i].length);
        expect(Array.from(lean), `${c.op} over ${JSON.stringify(c.axis)} of [${c.shape}]`).toEqual(
          Array.from(original[i]),
        );
      });
    } finally {
      // Leave the registry as the other tests in this process found it.
      tf.registerGradient(sumGrad);
      tf.registerGradient(meanGrad);
    }
  });
});

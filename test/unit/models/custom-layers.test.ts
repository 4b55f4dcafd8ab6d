import { beforeAll, describe, expect, it } from 'vitest';
import type * as tfType from '@tensorflow/tfjs';
import { selectEngine } from '../../../src-main/engine/select-engine';
import { unpool } from '../../../src-main/models/custom-layers';
import { seededRandom } from '../../../src-main/app/random';

let tf: typeof tfType;

beforeAll(async () => {
  process.env.AE_STUDIO_ENGINE = 'wasm';
  ({ tf } = await selectEngine());
});

/** PyTorch's MaxUnpool2d(MaxPool2d(k, return_indices=True)) written out directly: first maximum of each window. */
function referenceUnpool(source: Float32Array, shape: number[], values: Float32Array, k: number): Float32Array {
  const [b, h, w, c] = shape;
  const [ph, pw] = [Math.floor(h / k), Math.floor(w / k)];
  const out = new Float32Array(source.length);
  for (let n = 0; n < b; n++)
    for (let y = 0; y < ph; y++)
      for (let x = 0; x < pw; x++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const index = ((n * h + y * k + i) * w + x * k + j) * c + ch;
              if (source[index] > best) [best, at] = [source[index], index];
            }
          out[at] = values[((n * ph + y) * pw + x) * c + ch];
        }
  return out;
}

describe('max-unpooling with the pooling indices', () => {
  it.each([
    [2, [2, 7, 7, 3]],
    [2, [1, 8, 6, 2]],
    [3, [1, 9, 10, 1]],
  ])('puts each value where its window held the maximum (k=%i, %j), ties going to the first', (k, shape) => {
    const random = seededRandom(k * 31 + shape[1]);
    // Rounded values make ties common, as after a ReLU.
    const source = Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => Math.round(random() * 3));
    const pooledShape = [shape[0], Math.floor(shape[1] / k), Math.floor(shape[2] / k), shape[3]];
    const values = Float32Array.from({ length: pooledShape.reduce((a, b) => a * b) }, () => random() - 0.5);
    const got = tf.tidy(() =>
      unpool(
        tf,
        tf.tensor4d(source, shape as [number, number, number, number]),
        tf.tensor4d(values, pooledShape as [number, number, number, number]),
        k,
      ).dataSync(),
    );
    // +0 folds -0 (0 times a negative value) into 0.
    expect(Array.from(got, (v) => v + 0)).toEqual(Array.from(referenceUnpool(source, shape, values, k)));
  });

  it('passes gradients to the unpooled values, routed back from the same positions', () => {
    const shape: [number, number, number, number] = [2, 6, 6, 2];
    const random = seededRandom(5);
    const source = tf.tensor4d(
      Float32Array.from({ length: 144 }, () => random()),
      shape,
    );
    const values = tf.tensor4d(
      Float32Array.from({ length: 36 }, () => random()),
      [2, 3, 3, 2],
    );
    const weights = tf.tensor4d(
      Float32Array.from({ length: 144 }, () => random() - 0.5),
      shape,
    );
    const loss = (v: tfType.Tensor) => tf.sum(tf.mul(unpool(tf, source, v as tfType.Tensor4D, 2), weights));
    const analytic = tf.grad(loss)(values).dataSync();
    // d loss / d value = the weight at the position that value was put.
    const placed = referenceUnpool(
      source.dataSync() as Float32Array,
      shape,
      Float32Array.from({ length: 36 }, (_, i) => i + 1),
      2,
    );
    const expected = new Float32Array(36);
    placed.forEach((slot, index) => {
      if (slot > 0) expected[slot - 1] = weights.dataSync()[index];
    });
    expect(Array.from(analytic).map((v) => +v.toFixed(6))).toEqual(Array.from(expected).map((v) => +v.toFixed(6)));
    // And a finite-difference check of the same gradient.
    const eps = 1e-2;
    const i = 7;
    const bump = (d: number) => {
      const copy = values.dataSync().slice();
      copy[i] += d;
      return loss(tf.tensor4d(copy, [2, 3, 3, 2])).dataSync()[0];
    };
    expect((bump(eps) - bump(-eps)) / (2 * eps)).toBeCloseTo(analytic[i], 3);
    tf.dispose([source, values, weights]);
  });
});

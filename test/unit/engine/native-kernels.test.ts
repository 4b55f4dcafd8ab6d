import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { expectSameOnBoth, randomData, rng, sizeOf, useNativeKernels } from '../../helpers/native-kernels';

/**
 * Every native kernel against tfjs's pure-JS cpu backend, the reference: forward values and the gradients training
 * takes (through tf.grads, so the same kernels run as in a real step), on seeded random shapes, strides and paddings.
 * The wasm backend here has the native kernels registered, exactly as the "native" engine sets it up.
 */

beforeAll(useNativeKernels);

describe('native convolution kernels', () => {
  const next = rng(42);
  const pick = <T>(options: T[]) => options[Math.floor(next() * options.length)];
  const cases = Array.from({ length: 24 }, (_, i) => {
    const kernel = pick([1, 2, 3, 4, 5]);
    return {
      i,
      batch: pick([1, 2, 3]),
      height: kernel + pick([0, 1, 3, 6, 9]),
      width: kernel + pick([0, 2, 5, 8]),
      channels: pick([1, 2, 3, 5]),
      filters: pick([1, 3, 4, 8]),
      kernel,
      stride: pick([1, 2, 3]),
      pad: pick<'same' | 'valid' | number>(['same', 'valid', 1]),
    };
  });

  it.each(cases)(
    'conv2d forward, input gradient and filter gradient match the cpu backend (case $i: $batch x $height x $width x $channels, $filters filters $kernel x $kernel, stride $stride, pad $pad)',
    async ({ batch, height, width, channels, filters, kernel, stride, pad }) => {
      const data = rng(1000 + batch * height * width);
      const x = randomData(batch * height * width * channels, data);
      const w = randomData(kernel * kernel * channels * filters, data);
      const xShape: [number, number, number, number] = [batch, height, width, channels];
      const wShape: [number, number, number, number] = [kernel, kernel, channels, filters];
      await expectSameOnBoth(() => {
        const xt = tf.tensor4d(x, xShape);
        const wt = tf.tensor4d(w, wShape);
        const y = tf.conv2d(xt, wt, stride, pad);
        // A fixed random weighting of the output makes every output position's gradient distinct.
        const r = tf.tensor(randomData(y.size, rng(7)), y.shape);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), r)),
        )([xt, wt]);
        return [y, dx, dw];
      });
    },
  );

  it.each([
    { stride: 2, kernel: 3, pad: 'same' as const, size: 7, filters: 32 },
    { stride: 2, kernel: 2, pad: 'valid' as const, size: 5, filters: 4 },
    { stride: 1, kernel: 3, pad: 'same' as const, size: 6, filters: 3 },
    { stride: 3, kernel: 4, pad: 'valid' as const, size: 4, filters: 2 },
  ])(
    'transposed conv (Conv2DBackpropInput forward) and its gradients match: kernel $kernel, stride $stride, $pad',
    async ({ stride, kernel, pad, size, filters }) => {
      const data = rng(size * 31 + kernel);
      const inChannels = 3;
      const outSize = pad === 'same' ? size * stride : (size - 1) * stride + kernel;
      const x = randomData(2 * size * size * inChannels, data);
      const w = randomData(kernel * kernel * filters * inChannels, data);
      const outShape: [number, number, number, number] = [2, outSize, outSize, filters];
      await expectSameOnBoth(() => {
        const xt = tf.tensor4d(x, [2, size, size, inChannels]);
        const wt = tf.tensor4d(w, [kernel, kernel, filters, inChannels]);
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape, stride, pad);
        const y = f(xt, wt);
        const r = tf.tensor(randomData(y.size, rng(9)), y.shape);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([xt, wt]);
        return [y, dx, dw];
      });
    },
  );

  it('dilated conv2d forward matches', async () => {
    const data = rng(5);
    const x = randomData(2 * 11 * 9 * 3, data);
    const w = randomData(3 * 3 * 3 * 4, data);
    await expectSameOnBoth(() => [
      tf.conv2d(tf.tensor4d(x, [2, 11, 9, 3]), tf.tensor4d(w, [3, 3, 3, 4]), 1, 'same', 'NHWC', [2, 3]),
    ]);
  });

  it.each(['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid'] as const)(
    'fused conv2d with a bias and %s matches, with its gradients where tfjs has them',
    async (activation) => {
      const data = rng(11);
      const x = randomData(2 * 8 * 8 * 3, data);
      const w = randomData(3 * 3 * 3 * 5, data);
      const bias = randomData(5, data);
      await expectSameOnBoth(() => {
        const args = (a: tf.Tensor, b: tf.Tensor) => ({
          x: a as tf.Tensor4D,
          filter: b as tf.Tensor4D,
          strides: 2,
          pad: 'same' as const,
          bias: tf.tensor1d(bias),
          activation,
          leakyreluAlpha: 0.1,
        });
        const [xt, wt] = [tf.tensor4d(x, [2, 8, 8, 3]), tf.tensor4d(w, [3, 3, 3, 5])];
        const y = tf.fused.conv2d(args(xt, wt));
        if (activation !== 'linear' && activation !== 'relu') return [y];
        return [y, ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.fused.conv2d(args(a, b))))([xt, wt])];
      });
    },
  );
});

describe('native matrix products', () => {
  it.each([
    { a: [5, 7], b: [7, 3], ta: false, tb: false },
    { a: [7, 5], b: [7, 3], ta: true, tb: false },
    { a: [5, 7], b: [3, 7], ta: false, tb: true },
    { a: [7, 5], b: [3, 7], ta: true, tb: true },
    { a: [4, 5, 7], b: [4, 7, 3], ta: false, tb: false },
    { a: [2, 3, 5, 7], b: [2, 3, 7, 6], ta: false, tb: false },
    { a: [128, 784], b: [784, 512], ta: false, tb: false },
  ])('matMul $a x $b (transpose $ta, $tb) and its gradients match', async ({ a, b, ta, tb }) => {
    const data = rng(sizeOf(a) + sizeOf(b));
    const av = randomData(sizeOf(a), data);
    const bv = randomData(sizeOf(b), data);
    await expectSameOnBoth(() => {
      const [at, bt] = [tf.tensor(av, a), tf.tensor(bv, b)];
      const y = tf.matMul(at, bt, ta, tb);
      const r = tf.tensor(randomData(y.size, rng(3)), y.shape);
      return [y, ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), r)))([at, bt])];
    });
  });

  // tfjs's own BatchMatMul gradient does not reduce a broadcast batch (on any backend), so these check the forward.
  it.each([
    { a: [4, 5, 7], b: [1, 7, 3], ta: false, tb: false },
    { a: [1, 7, 5], b: [4, 3, 7], ta: true, tb: true },
    { a: [3, 5, 7], b: [7, 2], ta: false, tb: false },
  ])('matMul $a x $b with a broadcast batch matches', async ({ a, b, ta, tb }) => {
    const data = rng(sizeOf(a) * 7 + sizeOf(b));
    const [av, bv] = [randomData(sizeOf(a), data), randomData(sizeOf(b), data)];
    await expectSameOnBoth(() => [tf.matMul(tf.tensor(av, a), tf.tensor(bv, b), ta, tb)]);
  });

  it.each(['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid'] as const)(
    'fused matMul with a bias and %s matches',
    async (activation) => {
      const data = rng(17);
      const [av, bv, bias] = [randomData(6 * 9, data), randomData(9 * 4, data), randomData(4, data)];
      await expectSameOnBoth(() => {
        const args = (p: tf.Tensor, q: tf.Tensor) => ({
          a: p,
          b: q,
          bias: tf.tensor1d(bias),
          activation,
          leakyreluAlpha: 0.3,
        });
        const [at, bt] = [tf.tensor2d(av, [6, 9]), tf.tensor2d(bv, [9, 4])];
        const y = tf.fused.matMul(args(at, bt));
        if (activation !== 'linear' && activation !== 'relu') return [y];
        return [y, ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.fused.matMul(args(p, q))))([at, bt])];
      });
    },
  );
});

describe('native reductions, bias additions and copies', () => {
  it.each([
    { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: true },
    { shape: [4, 5, 6, 3], axis: [1, 2], keepDims: false },
    { shape: [4, 5, 6, 3], axis: [-1], keepDims: false },
    { shape: [4, 5, 6, 3], axis: [0, 1, 2, 3], keepDims: false },
    { shape: [4, 5, 6, 3], axis: [0, 2], keepDims: false },
    { shape: [128, 3136], axis: [0], keepDims: false },
  ])('sum and mean over $axis of $shape (keepDims $keepDims) match', async ({ shape, axis, keepDims }) => {
    const x = randomData(sizeOf(shape), rng(sizeOf(shape)));
    await expectSameOnBoth(() => [
      tf.sum(tf.tensor(x, shape), axis, keepDims),
      tf.mean(tf.tensor(x, shape), axis, keepDims),
    ]);
  });

  it.each([
    { a: [4, 3, 3, 5], b: [5] },
    { a: [5], b: [4, 3, 3, 5] },
    { a: [4, 3, 3, 5], b: [1, 1, 1, 5] },
    { a: [6, 5], b: [6, 5] },
    { a: [6, 5], b: [6, 1] },
    { a: [6, 5], b: [] },
  ])('add $a + $b matches', async ({ a, b }) => {
    const data = rng(sizeOf(a) + 3 * sizeOf(b));
    const [av, bv] = [randomData(sizeOf(a), data), randomData(sizeOf(b), data)];
    await expectSameOnBoth(() => [tf.add(tf.tensor(av, a), tf.tensor(bv, b))], 1e-7);
  });

  it.each([
    { a: [4, 3, 3, 5], b: [5] },
    { a: [1, 1, 1, 5], b: [4, 3, 3, 5] },
    { a: [6, 5], b: [6, 1] },
  ])('multiply $a * $b matches', async ({ a, b }) => {
    const data = rng(sizeOf(a) * 5 + sizeOf(b));
    const [av, bv] = [randomData(sizeOf(a), data), randomData(sizeOf(b), data)];
    await expectSameOnBoth(() => [tf.mul(tf.tensor(av, a), tf.tensor(bv, b))], 1e-7);
  });

  it.each([
    { shape: [1, 1, 1, 7], reps: [3, 4, 5, 1] },
    { shape: [2, 3], reps: [2, 3] },
    { shape: [5], reps: [4] },
    { shape: [2, 1, 3], reps: [1, 4, 2] },
    { shape: [2, 3], reps: [0, 2] },
  ])('tile $shape by $reps matches', async ({ shape, reps }) => {
    const x = randomData(sizeOf(shape), rng(sizeOf(shape) + 11));
    await expectSameOnBoth(() => [tf.tile(tf.tensor(x, shape), reps)], 1e-7);
  });

  it('a clone shares memory safely: disposing either side leaves the other intact', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    const z = tf.cast(y, 'float32');
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    y.dispose();
    expect(Array.from(await z.data())).toEqual([1, 2, 3]);
    z.dispose();
    expect(Array.from(await tf.cast(tf.tensor1d([1.7, -2.2]), 'int32').data())).toEqual([1, -2]);
  });
});

describe('native pooling and upsampling gradients, batch norm and same-shape arithmetic', () => {
  it.each([
    { shape: [2, 6, 6, 3], size: 2, stride: 2, pad: 'valid' as const },
    { shape: [3, 7, 5, 4], size: 2, stride: 2, pad: 'same' as const },
    { shape: [2, 9, 9, 2], size: 3, stride: 2, pad: 'valid' as const },
    { shape: [1, 8, 6, 5], size: 3, stride: 1, pad: 'same' as const },
    { shape: [2, 5, 5, 1], size: 2, stride: 3, pad: 1 },
  ])(
    'max pooling $size x $size, stride $stride, pad $pad: forward and gradient match on $shape',
    async ({ shape, size, stride, pad }) => {
      const x = randomData(sizeOf(shape), rng(sizeOf(shape) + size));
      await expectSameOnBoth(() => {
        const xt = tf.tensor4d(x, shape as [number, number, number, number]);
        const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, size, stride, pad);
        const y = f(xt);
        const r = tf.tensor(randomData(y.size, rng(5)), y.shape);
        return [y, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(xt)];
      }, 1e-6);
    },
  );

  it("max pooling sends a tied window's gradient to its first maximum only, as the cpu backend does", async () => {
    // Whole 2x2 windows of equal values: the gradient lands on the top-left pixel of each.
    await expectSameOnBoth(() => {
      const x = tf.ones([1, 4, 4, 2]);
      return [tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(x)];
    }, 1e-12);
  });

  /**
   * The cpu backend's own ResizeNearestNeighborGrad mixes up images beyond the first in a batch (tfjs 4.22), so the
   * reference gradient comes from an equivalent gather, whose index maps are read off the cpu forward resize itself.
   */
  it.each([
    { shape: [2, 3, 4, 3], size: [6, 8], alignCorners: false, halfPixelCenters: false },
    { shape: [2, 4, 4, 2], size: [12, 12], alignCorners: false, halfPixelCenters: false },
    { shape: [1, 5, 3, 2], size: [7, 4], alignCorners: true, halfPixelCenters: false },
    { shape: [1, 4, 6, 3], size: [9, 5], alignCorners: false, halfPixelCenters: true },
    { shape: [2, 6, 6, 1], size: [3, 4], alignCorners: false, halfPixelCenters: false },
  ])(
    'nearest resize of $shape to $size (alignCorners $alignCorners, halfPixelCenters $halfPixelCenters): forward and gradient match',
    async ({ shape, size, alignCorners, halfPixelCenters }) => {
      const x = randomData(sizeOf(shape), rng(sizeOf(shape) * 3));
      const [height, width] = [shape[1], shape[2]];
      const resize = (a: tf.Tensor, to: number[]) =>
        tf.image.resizeNearestNeighbor(a as tf.Tensor4D, to as [number, number], alignCorners, halfPixelCenters);
      await expectSameOnBoth(() => {
        const xt = tf.tensor4d(x, shape as [number, number, number, number]);
        const y = resize(xt, size);
        const r = tf.tensor(randomData(y.size, rng(3)), y.shape);
        if (tf.getBackend() === 'wasm') return [y, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(resize(a, size), r)))(xt)];
        const rows = resize(tf.range(0, height).reshape([1, height, 1, 1]), [size[0], 1])
          .flatten()
          .toInt();
        const cols = resize(tf.range(0, width).reshape([1, 1, width, 1]), [1, size[1]])
          .flatten()
          .toInt();
        const gathered = (a: tf.Tensor) => tf.gather(tf.gather(a, rows, 1), cols, 2);
        return [y, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gathered(a), r)))(xt)];
      }, 1e-6);
    },
  );

  it.each([
    { shape: [4, 3, 3, 5], withOffset: true, withScale: true },
    { shape: [6, 7], withOffset: false, withScale: true },
    { shape: [2, 2, 2, 3], withOffset: true, withScale: false },
    { shape: [3, 4], withOffset: false, withScale: false },
  ])(
    'batch norm of $shape (offset $withOffset, scale $withScale) matches, and its gradients with both',
    async ({ shape, withOffset, withScale }) => {
      const channels = shape[shape.length - 1];
      const data = rng(sizeOf(shape) + channels);
      const x = randomData(sizeOf(shape), data);
      const [mean, offset, scale] = [0, 1, 2].map(() => randomData(channels, data));
      const variance = Float32Array.from(randomData(channels, data), (v) => v + 0.6);
      await expectSameOnBoth(() => {
        const [xt, mt, vt, ot, st] = [x, mean, variance, offset, scale].map((v, i) =>
          i === 0 ? tf.tensor(v, shape) : tf.tensor1d(v),
        );
        const y = tf.batchNorm(xt, mt, vt, withOffset ? ot : undefined, withScale ? st : undefined, 1e-3);
        // tfjs cannot differentiate batch norm without both offset and scale (on any backend); layers pass both.
        if (!withOffset || !withScale) return [y];
        const r = tf.tensor(randomData(y.size, rng(11)), y.shape);
        const f = (a: tf.Tensor, o: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(a, mt, vt, o, s, 1e-3), r));
        return [y, ...tf.grads(f)([xt, ot, st])];
      }, 1e-5);
    },
  );

  it.each([{ shape: [4, 5, 6, 3] }, { shape: [7] }, { shape: [2, 1, 3] }])(
    'add, subtract and multiply of two $shape tensors match',
    async ({ shape }) => {
      const data = rng(sizeOf(shape) * 13);
      const [a, b] = [randomData(sizeOf(shape), data), randomData(sizeOf(shape), data)];
      await expectSameOnBoth(() => {
        const [at, bt] = [tf.tensor(a, shape), tf.tensor(b, shape)];
        return [tf.add(at, bt), tf.sub(at, bt), tf.mul(at, bt), tf.sub(bt, at)];
      }, 1e-7);
    },
  );

  it('leaves integer arithmetic and broadcasting subtraction to wasm, with the same results', async () => {
    await expectSameOnBoth(() => {
      const ints = tf.sub(tf.tensor1d([5, 7, 9], 'int32'), tf.tensor1d([1, 2, 3], 'int32'));
      const broadcast = tf.sub(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor1d([1, 1, 2]));
      return [tf.cast(ints, 'float32'), broadcast];
    }, 1e-12);
  });
});

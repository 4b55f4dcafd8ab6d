import type * as tfType from '@tensorflow/tfjs';
import { nextStepSeed } from './step-random';

/**
 * Layers tfjs does not have, built only from ops that have gradients on every engine, so training needs no new
 * kernels. They are registered by class name, so checkpoints that use them load back.
 *
 * - MaxUnpooling2D: puts each value back where its window's maximum was in the encoder (seed 002's MaxUnpool2d with
 *   the pooling indices). The "indices" are recomputed from the encoder's feature maps as a first-maximum mask, which
 *   is what PyTorch's argmax picks.
 * - SeededDropout: dropout whose masks come from the step's seed, so runs are reproducible and resumable (tfjs's own
 *   Dropout draws from Math.random, or repeats one mask forever when given a seed).
 * - GaussianSample: the VAE's reparameterisation z = mean + exp(logVar / 2) · ε; at inference it returns the mean.
 */
export interface CustomLayers {
  maxUnpool(config: { size: number; name: string }): tfType.layers.Layer;
  seededDropout(config: { rate: number; name: string }): tfType.layers.Layer;
  gaussianSample(config: { name: string }): tfType.layers.Layer;
}

type Kwargs = Record<string, unknown>;
const registered = new WeakMap<object, CustomLayers>();

export function customLayers(tf: typeof tfType): CustomLayers {
  const known = registered.get(tf);
  if (known) return known;

  class MaxUnpooling2D extends tf.layers.Layer {
    static className = 'MaxUnpooling2D';
    readonly size: number;
    constructor(config: { size: number; name?: string }) {
      super(config);
      this.size = config.size;
    }
    override computeOutputShape(inputShape: tfType.Shape[]): tfType.Shape {
      return inputShape[0];
    }
    override call(inputs: tfType.Tensor | tfType.Tensor[]): tfType.Tensor {
      const [source, values] = inputs as tfType.Tensor4D[];
      return tf.tidy(() => unpool(tf, source, values, this.size));
    }
    override getConfig(): tfType.serialization.ConfigDict {
      return { ...super.getConfig(), size: this.size };
    }
  }

  class SeededDropout extends tf.layers.Layer {
    static className = 'SeededDropout';
    readonly rate: number;
    constructor(config: { rate: number; name?: string }) {
      super(config);
      this.rate = config.rate;
    }
    override call(inputs: tfType.Tensor | tfType.Tensor[], kwargs: Kwargs): tfType.Tensor {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!kwargs.training || this.rate === 0) return x.clone();
      return tf.tidy(() => {
        const keep = tf.cast(
          tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', nextStepSeed()), this.rate),
          'float32',
        );
        return tf.mul(x, tf.mul(keep, 1 / (1 - this.rate)));
      });
    }
    override getConfig(): tfType.serialization.ConfigDict {
      return { ...super.getConfig(), rate: this.rate };
    }
  }

  class GaussianSample extends tf.layers.Layer {
    static className = 'GaussianSample';
    override computeOutputShape(inputShape: tfType.Shape[]): tfType.Shape {
      return inputShape[0];
    }
    override call(inputs: tfType.Tensor | tfType.Tensor[], kwargs: Kwargs): tfType.Tensor {
      const [mean, logVar] = inputs as tfType.Tensor[];
      if (!kwargs.training) return mean.clone();
      return tf.tidy(() => {
        const epsilon = tf.randomNormal(mean.shape, 0, 1, 'float32', nextStepSeed());
        return tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), epsilon));
      });
    }
  }

  for (const layer of [MaxUnpooling2D, SeededDropout, GaussianSample]) tf.serialization.registerClass(layer);
  const layers: CustomLayers = {
    maxUnpool: (config) => new MaxUnpooling2D(config),
    seededDropout: (config) => new SeededDropout(config),
    gaussianSample: (config) => new GaussianSample(config),
  };
  registered.set(tf, layers);
  return layers;
}

/**
 * Max-unpooling of `values` ([b, ph, pw, c]) into the shape of `source` ([b, h, w, c]), the encoder tensor that was
 * max-pooled with window and stride `k`. Each value goes to the first position (row-major) of its window that held the
 * maximum; everything else is zero. Uses only slice/maximum/greaterEqual/mul/stack/reshape/pad, which have gradients.
 */
export function unpool(
  tf: typeof tfType,
  source: tfType.Tensor4D,
  values: tfType.Tensor4D,
  k: number,
): tfType.Tensor4D {
  const [b, h, w, c] = source.shape;
  const [, ph, pw] = values.shape;
  // Window offset (i, j) as a plain slice. Every tensor stays at rank 4 or less: tfjs's WebGPU kernels fail to
  // compile for rank 6 ("cannot index type 'vec6'"), and this way no backend needs more.
  const rowsOf = tf.reshape(tf.slice(source, [0, 0, 0, 0], [b, ph * k, pw * k, c]), [b * ph, k, pw * k, c]);
  const at = (i: number, j: number) => {
    const row = tf.reshape(tf.slice(rowsOf, [0, i, 0, 0], [b * ph, 1, pw * k, c]), [b * ph, pw, k, c]);
    return tf.reshape(tf.slice(row, [0, 0, j, 0], [b * ph, pw, 1, c]), [b, ph, pw, c]);
  };
  const offsets: Array<[number, number]> = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) offsets.push([i, j]);
  const slices = offsets.map(([i, j]) => at(i, j));
  const maximum = slices.reduce((a, s) => tf.maximum(a, s));
  let taken: tfType.Tensor = tf.zerosLike(maximum);
  const placed = slices.map((s) => {
    const hit = tf.cast(tf.greaterEqual(s, maximum), 'float32');
    const first = tf.mul(hit, tf.sub(1, taken));
    taken = tf.maximum(taken, hit);
    return tf.mul(first, values);
  });
  // Interleave back: the k values of a window row side by side, then the k rows of each window one under another.
  const row = (i: number) =>
    tf.reshape(
      tf.concat(
        placed.slice(i * k, (i + 1) * k).map((p) => tf.reshape(p, [b * ph * pw, 1, c])),
        1,
      ),
      [b * ph, 1, pw * k, c],
    );
  const out = tf.reshape(
    tf.concat(
      Array.from({ length: k }, (_, i) => row(i)),
      1,
    ),
    [b, ph * k, pw * k, c],
  );
  return tf.pad(out, [
    [0, 0],
    [0, h - ph * k],
    [0, w - pw * k],
    [0, 0],
  ]) as tfType.Tensor4D;
}

import type * as tfType from '@tensorflow/tfjs';
import type { ModelConfig } from './training-config';
import { UserError } from '../api/errors';

export type ImageShape = [height: number, width: number, channels: number];

/** Name of the bottleneck layer, used to read latent codes out of a trained model. */
export const latentLayerName = 'latent';

/** Spatial sizes after each stride-2 'same' convolution; explains a too-deep stack before anything is built. */
export function convFeatureSizes(shape: ImageShape, layers: number): Array<[number, number]> {
  const sizes: Array<[number, number]> = [[shape[0], shape[1]]];
  for (let i = 0; i < layers; i++) {
    const [h, w] = sizes[sizes.length - 1];
    sizes.push([Math.ceil(h / 2), Math.ceil(w / 2)]);
  }
  return sizes;
}

/** Checks a config against an image shape; throws a UserError saying what to change. */
export function validateModelForShape(config: ModelConfig, shape: ImageShape): void {
  if (config.architecture === 'conv') {
    if (config.encoder.length === 0)
      throw new UserError('invalid_argument', 'A convolutional model needs at least one conv layer.');
    const sizes = convFeatureSizes(shape, config.encoder.length);
    const [h, w] = sizes[sizes.length - 1];
    if (h < 2 && w < 2 && config.encoder.length > 1) {
      throw new UserError(
        'invalid_argument',
        `${config.encoder.length} stride-2 conv layers shrink a ${shape[0]}x${shape[1]} image to ${h}x${w}; use at most ` +
          `${sizes.findIndex(([a, b]) => a < 2 && b < 2) - 1} layers for this dataset.`,
      );
    }
  }
}

/**
 * Builds the autoencoder as one Sequential model; initialisers are seeded so the same config and seed give the
 * same starting weights on the same engine.
 */
export function buildModel(tf: typeof tfType, config: ModelConfig, shape: ImageShape, seed: number): tfType.Sequential {
  validateModelForShape(config, shape);
  const [height, width, channels] = shape;
  let layerSeed = seed * 1000;
  const init = () => tf.initializers.glorotUniform({ seed: layerSeed++ });
  const activation = config.activation;
  const model = tf.sequential();

  if (config.architecture === 'dense') {
    model.add(tf.layers.flatten({ inputShape: shape, name: 'flatten' }));
    config.encoder.forEach((units, i) =>
      model.add(tf.layers.dense({ units, activation, kernelInitializer: init(), name: `encoder_dense_${i + 1}` })),
    );
    model.add(tf.layers.dense({ units: config.latent, kernelInitializer: init(), name: latentLayerName }));
    [...config.encoder]
      .reverse()
      .forEach((units, i) =>
        model.add(tf.layers.dense({ units, activation, kernelInitializer: init(), name: `decoder_dense_${i + 1}` })),
      );
    model.add(
      tf.layers.dense({
        units: height * width * channels,
        activation: 'sigmoid',
        kernelInitializer: init(),
        name: 'output',
      }),
    );
    model.add(tf.layers.reshape({ targetShape: shape, name: 'image' }));
    return model;
  }

  const sizes = convFeatureSizes(shape, config.encoder.length);
  // Every conv layer is 3x3 with stride 2: each halves the image on the way in and doubles it on the way out.
  const conv = { kernelSize: 3, strides: 2, padding: 'same' } as const;
  config.encoder.forEach((filters, i) =>
    model.add(
      tf.layers.conv2d({
        ...conv,
        ...(i === 0 ? { inputShape: shape } : {}),
        filters,
        activation,
        kernelInitializer: init(),
        name: `encoder_conv_${i + 1}`,
      }),
    ),
  );
  const [bh, bw] = sizes[sizes.length - 1];
  const bottleneckFilters = config.encoder[config.encoder.length - 1];
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ units: config.latent, kernelInitializer: init(), name: latentLayerName }));
  model.add(
    tf.layers.dense({
      units: bh * bw * bottleneckFilters,
      activation,
      kernelInitializer: init(),
      name: 'decoder_dense',
    }),
  );
  model.add(tf.layers.reshape({ targetShape: [bh, bw, bottleneckFilters], name: 'decoder_reshape' }));
  const decoderFilters = [...config.encoder].reverse().slice(1);
  decoderFilters.forEach((filters, i) =>
    model.add(
      tf.layers.conv2dTranspose({
        ...conv,
        filters,
        activation,
        kernelInitializer: init(),
        name: `decoder_deconv_${i + 1}`,
      }),
    ),
  );
  model.add(
    tf.layers.conv2dTranspose({
      ...conv,
      filters: channels,
      activation: 'sigmoid',
      kernelInitializer: init(),
      name: 'output',
    }),
  );
  // Doubling from the bottleneck can overshoot odd sizes (28 -> 14 -> 7 -> 4 -> ... -> 32); crop back.
  const outH = bh * 2 ** config.encoder.length;
  const outW = bw * 2 ** config.encoder.length;
  if (outH !== height || outW !== width) {
    model.add(
      tf.layers.cropping2D({
        cropping: [
          [0, outH - height],
          [0, outW - width],
        ],
        name: 'crop',
      }),
    );
  }
  return model;
}

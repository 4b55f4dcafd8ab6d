import { describe, expect, it } from 'vitest';
import { planModel } from '../../../src-main/models/model-plan';
import type { LayerSpec, ModelConfig } from '../../../src-main/api/contract';

const model = (overrides: Partial<ModelConfig>): ModelConfig => ({
  variant: 'standard',
  encoder: [],
  latent: 8,
  latentActivation: 'linear',
  decoder: [],
  activation: 'relu',
  outputActivation: 'sigmoid',
  ...overrides,
});
const conv = (filters: number, kernel: number, stride = 1, padding: 'same' | 'valid' = 'valid'): LayerSpec => ({
  type: 'conv',
  filters,
  kernel,
  stride,
  padding,
});

describe('planModel explains configs that cannot work', () => {
  it('a kernel larger than its feature map', () => {
    const config = model({ encoder: [conv(8, 3, 2), conv(8, 3, 2), conv(8, 3, 2), conv(8, 5)] });
    expect(() => planModel(config, [28, 28, 1])).toThrowError(
      /Encoder layer 4 \(conv\): its 5x5 kernel is larger than its 2x2 input\. Use a smaller kernel/,
    );
  });

  it('pooling that does not fit', () => {
    const config = model({ encoder: [conv(4, 3, 1, 'same'), { type: 'maxPool', size: 8 }] });
    expect(() => planModel(config, [6, 6, 1])).toThrowError(/8x8 pooling does not fit its 6x6 input/);
  });

  it('an unpooling layer without a max-pool to pair with', () => {
    const config = model({ latent: null, encoder: [conv(4, 3, 1, 'same')], decoder: [{ type: 'unpool' }] });
    expect(() => planModel(config, [8, 8, 1])).toThrowError(
      /Decoder layer 1 \(unpool\) has no encoder max-pooling layer/,
    );
  });

  it('an unpooling layer whose input does not match its pooling', () => {
    const config = model({
      latent: null,
      encoder: [conv(4, 3, 1, 'same'), { type: 'maxPool', size: 2 }],
      decoder: [{ type: 'upsample', size: 2 }, { type: 'unpool' }],
    });
    expect(() => planModel(config, [8, 8, 1])).toThrowError(
      /receives 8x8x4 feature maps, but its matching encoder layer 2 \(maxpool\) produced 4x4x4/,
    );
  });

  it('a decoder that ends smaller than the image', () => {
    const config = model({ encoder: [conv(4, 3, 2, 'same')], decoder: [conv(4, 3, 1, 'valid')] });
    expect(() => planModel(config, [16, 16, 1])).toThrowError(/ends with 6x6 feature maps, but the images are 16x16/);
  });

  it('a spatial encoder layer after a dense one', () => {
    const config = model({ encoder: [{ type: 'dense', units: 32 }, conv(4, 3)] });
    expect(() => planModel(config, [16, 16, 1])).toThrowError(
      /Encoder layer 2 \(conv\) needs feature maps.*Add a reshape layer/,
    );
  });

  it('a VAE without a latent size, and a model too large to train', () => {
    expect(() => planModel(model({ variant: 'variational', latent: null }), [8, 8, 1])).toThrowError(
      /needs a latent size/,
    );
    const huge = model({ encoder: [{ type: 'dense', units: 60_000 }] });
    expect(() => planModel(huge, [64, 64, 3])).toThrowError(
      /parameters; the most Autoencoder Studio trains is 100,000,000/,
    );
  });
});

describe('planModel fits shapes together', () => {
  it('adds a flatten before dense layers, a projection before decoder convs, and crops an oversized output', () => {
    const config = model({
      encoder: [conv(4, 3, 2, 'same'), conv(8, 3, 2, 'same')],
      decoder: [
        { type: 'deconv', filters: 4, kernel: 3, stride: 2, padding: 'same' },
        { type: 'deconv', filters: 1, kernel: 3, stride: 2, padding: 'same' },
      ],
    });
    const { layers, summary } = planModel(config, [30, 30, 1]);
    const automatic = summary.layers.filter((l) => l.automatic).map((l) => [l.kind, l.outputShape.join('x')]);
    expect(automatic).toEqual([
      ['Flatten', '512'],
      ['Dense', '512'],
      ['Reshape', '8x8x8'],
      ['Cropping2D', '30x30x1'],
    ]);
    // The last deconv has one filter, as many as the image has channels: it is the output layer.
    const output = layers.find((l) => l.name === 'decoder_deconv_2')!;
    expect(output.section).toBe('output');
    expect(output.op === 'deconv' && output.activation).toBe('sigmoid');
    expect(summary.latentSize).toBe(8);
    expect(summary.totalParams).toBe(layers.reduce((a, l) => a + l.params, 0));
  });

  it('counts parameters as Keras does (dense, conv, transposed conv, batch norm)', () => {
    const config = model({
      latent: 3,
      encoder: [conv(5, 3), { type: 'batchNorm' }],
      decoder: [
        { type: 'reshape', height: 2, width: 2, channels: 6 },
        { type: 'deconv', filters: 2, kernel: 2, stride: 2, padding: 'valid' },
      ],
    });
    const { summary } = planModel(config, [4, 4, 1]);
    const params = Object.fromEntries(summary.layers.map((l) => [l.name, l.params]));
    expect(params.encoder_conv_1).toBe(3 * 3 * 1 * 5 + 5);
    expect(params.encoder_bn_1).toBe(4 * 5);
    expect(params.latent).toBe(2 * 2 * 5 * 3 + 3);
    expect(params.decoder_project).toBe(3 * 24 + 24);
    expect(params.decoder_deconv_1).toBe(2 * 2 * 6 * 2 + 2);
    expect(params.output).toBe(2 * 1 + 1);
    expect(summary.nonTrainableParams).toBe(10);
  });
});

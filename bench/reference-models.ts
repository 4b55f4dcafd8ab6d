import type { TrainingConfig } from '../src-main/api/contract';
import { presetConfig } from '../src-main/models/presets';
import { resampleToSquare } from '../src-main/datasets/resample';

/**
 * Issue 5's reference conv AE in the app's model language, for any square image size (a multiple of 4) and channel
 * count: bench:train uses 28x28 grey, bench:gallery 64x64 RGB. bench/torch_reference.py's reference_conv is the same.
 */
export function referenceConv(size: number, channels: number): TrainingConfig['model'] {
  const quarter = size / 4;
  return {
    variant: 'standard',
    encoder: [
      { type: 'conv', filters: 32, kernel: 3, stride: 2, padding: 'same' },
      { type: 'conv', filters: 64, kernel: 3, stride: 2, padding: 'same' },
    ],
    latent: 16,
    latentActivation: 'linear',
    decoder: [
      { type: 'dense', units: quarter * quarter * 64 },
      { type: 'reshape', height: quarter, width: quarter, channels: 64 },
      { type: 'deconv', filters: 32, kernel: 3, stride: 2, padding: 'same' },
      { type: 'deconv', filters: channels, kernel: 3, stride: 2, padding: 'same' },
    ],
    activation: 'relu',
    outputActivation: 'sigmoid',
  };
}

export interface BenchModel {
  model: TrainingConfig['model'];
  loss: TrainingConfig['loss'];
  batch: number;
  /** The data it trains on: Fashion-MNIST as it is, or upscaled to 64x64 RGB (photosFromFashion). */
  data: 'fashion' | 'photos';
}

export const photoShape = [64, 64, 3] as const;

/**
 * The training benchmarks' models, written in the app's model language; bench/torch_reference.py builds the same
 * ones. Issue 5's reference conv AE and dense AE (batch 128), seed 001's CAE (the fashion-cae-2d preset, BCE, batch
 * 100) and seed 004's photo stack (photos-stride2-bn at 64x64 RGB, batch 32).
 */
export const benchModels: Record<string, BenchModel> = {
  conv: { model: referenceConv(28, 1), loss: 'mse', batch: 128, data: 'fashion' },
  dense: {
    model: {
      variant: 'standard',
      encoder: [512, 256, 128].map((units) => ({ type: 'dense' as const, units })),
      latent: 30,
      latentActivation: 'linear',
      decoder: [128, 256, 512].map((units) => ({ type: 'dense' as const, units })),
      activation: 'relu',
      outputActivation: 'sigmoid',
    },
    loss: 'mse',
    batch: 128,
    data: 'fashion',
  },
  cae001: { model: presetConfig('fashion-cae-2d', [28, 28, 1])!.model, loss: 'bce', batch: 100, data: 'fashion' },
  photos004: {
    model: presetConfig('photos-stride2-bn', [...photoShape])!.model,
    loss: 'mse',
    batch: 32,
    data: 'photos',
  },
};

/**
 * Fashion-MNIST images (28x28 grey, back to back: the training part, then the test part) upscaled to 64x64 and
 * repeated over three channels, in the same order: a stand-in photo set of a known size, the same bytes for us and
 * for PyTorch.
 */
export function photosFromFashion(train: Uint8Array, test: Uint8Array): Uint8Array {
  const grey = new Uint8Array(train.length + test.length);
  grey.set(train);
  grey.set(test, train.length);
  const count = grey.length / 784;
  const size = photoShape[0] * photoShape[1] * photoShape[2];
  const out = new Uint8Array(count * size);
  const rgb = new Uint8Array(784 * 3);
  for (let i = 0; i < count; i++) {
    const image = grey.subarray(i * 784, (i + 1) * 784);
    for (let p = 0; p < 784; p++) rgb.fill(image[p], p * 3, p * 3 + 3);
    out.set(resampleToSquare(rgb, 28, 28, 3, photoShape[0], 'stretch', '#000000'), i * size);
  }
  return out;
}

/** The same layers with at most `filters` filters per convolution (small enough for a software GPU). */
export function narrowModel(model: TrainingConfig['model'], filters: number): TrainingConfig['model'] {
  const cap = (layers: TrainingConfig['model']['encoder']) =>
    layers.map((layer) =>
      (layer.type === 'conv' || layer.type === 'deconv') && layer.filters > filters ? { ...layer, filters } : layer,
    );
  return { ...model, encoder: cap(model.encoder), decoder: cap(model.decoder) };
}

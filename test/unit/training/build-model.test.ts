import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildModel, latentLayerName, type ImageShape } from '../../../src-main/training/build-model';
import { presets, type ModelConfig } from '../../../src-main/training/training-config';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shapes: ImageShape[] = [
  [28, 28, 1],
  [32, 32, 3],
  [48, 40, 1],
];

describe('buildModel', () => {
  it.each(presets.flatMap((preset) => shapes.map((shape) => [preset.id, shape, preset.config.model] as const)))(
    '%s reconstructs images of shape %j at their own size',
    (_, shape, config) => {
      const model = buildModel(tf, config, shape, 1);
      const x = tf.zeros([2, ...shape]);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, ...shape]);
      expect(model.getLayer(latentLayerName).outputShape).toEqual([null, config.latent]);
      const values = y.dataSync();
      // A sigmoid output: every pixel in (0, 1).
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values)).toBeLessThanOrEqual(1);
      tf.dispose([x, y]);
      model.dispose();
    },
  );

  it('starts from the same weights for the same seed, and different ones for another', () => {
    const config = presets[0].config.model;
    const weights = (seed: number) => {
      const model = buildModel(tf, config, [28, 28, 1], seed);
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    expect(weights(7)).toEqual(weights(7));
    expect(weights(7)).not.toEqual(weights(8));
  });

  it('explains a conv stack too deep for the image', () => {
    const deep: ModelConfig = { architecture: 'conv', encoder: [8, 8, 8, 8, 8, 8], latent: 4, activation: 'relu' };
    expect(() => buildModel(tf, deep, [28, 28, 1], 1)).toThrowError(/shrink a 28x28 image .* use at most \d+ layers/);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildModel, latentLayerName, planModel, type ImageShape } from '../../../src-main/models/build-model';
import { listPresets } from '../../../src-main/models/presets';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shapes: ImageShape[] = [
  [28, 28, 1],
  [32, 32, 3],
  [48, 40, 1],
  [64, 64, 3],
];

const cases = shapes.flatMap((shape) => listPresets(shape).map((preset) => [preset.id, shape, preset.config] as const));

describe('buildModel', () => {
  it.each(cases)('%s for %j follows its plan: same layers, shapes and parameter counts', (_, shape, config) => {
    const plan = planModel(config.model, shape);
    const model = buildModel(tf, config.model, shape, 1);
    try {
      for (const layer of plan.layers.slice(1)) {
        expect(model.getLayer(layer.name).outputShape, layer.name).toEqual([null, ...layer.shape]);
        expect(model.getLayer(layer.name).countParams(), layer.name).toBe(layer.params);
      }
      expect(model.countParams()).toBe(plan.summary.totalParams);
      const trainable = model.trainableWeights.reduce(
        (a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1),
        0,
      );
      expect(trainable).toBe(plan.summary.trainableParams);

      const x = tf.randomUniform([2, ...shape]);
      const outputs = model.predict(x);
      const y = Array.isArray(outputs) ? outputs[0] : outputs;
      expect(y.shape).toEqual([2, ...shape]);
      expect(model.getLayer(latentLayerName).outputShape).toEqual([
        null,
        ...plan.layers.find((l) => l.name === latentLayerName)!.shape,
      ]);
      const values = y.dataSync();
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values)).toBeLessThanOrEqual(1);
      tf.dispose([x, outputs]);
    } finally {
      model.dispose();
    }
  });

  it("rebuilds seed 001's Keras CAE with its 306,699 parameters", () => {
    const config = listPresets([28, 28, 1]).find((p) => p.id === 'fashion-cae-2d')!.config;
    const summary = planModel(config.model, [28, 28, 1]).summary;
    expect(summary.totalParams).toBe(306_699);
    // Keras counts BN moving mean and variance as non-trainable: 2 per channel.
    expect(summary.nonTrainableParams).toBe((112 + 112 + 2 + 1024 + 64 + 112 + 112) * 2);
    const shapes = summary.layers.filter((l) => !l.automatic).map((l) => l.outputShape.join('x'));
    expect(shapes).toContain('26x26x112');
    expect(shapes).toContain('5x5x112');
    expect(shapes).toContain('30x30x112');
  });

  it("rebuilds seed 000's CIFAR model: 405 features into a 10-D code, a 9196-wide flatten", () => {
    const config = listPresets([32, 32, 3]).find((p) => p.id === 'cifar-conv-latent10')!.config;
    const layers = planModel(config.model, [32, 32, 3]).layers;
    expect(layers.filter((l) => l.op === 'flatten').map((l) => l.shape[0])).toEqual([405, 9196]);
    expect(layers.find((l) => l.name === latentLayerName)!.shape).toEqual([10]);
  });

  it('starts from the same weights for the same seed, and different ones for another', () => {
    const config = listPresets([28, 28, 1])[0].config.model;
    const weights = (seed: number) => {
      const model = buildModel(tf, config, [28, 28, 1], seed);
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    expect(weights(7)).toEqual(weights(7));
    expect(weights(7)).not.toEqual(weights(8));
  });
});

import type * as tfType from '@tensorflow/tfjs';
import type { ModelConfig } from './model-config';
import { customLayers } from './custom-layers';
import {
  latentLayerName,
  latentLogVarLayerName,
  latentMeanLayerName,
  planModel,
  type ImageShape,
  type ModelPlan,
  type PlannedLayer,
} from './model-plan';

export { latentLayerName, latentMeanLayerName, planModel, type ImageShape, type ModelPlan };

type SymbolicTensor = tfType.SymbolicTensor;

/** PyTorch's default slope, which the notebooks used (Keras's default is 0.3). */
const leakySlope = 0.01;

/** tfjs has no leaky-ReLU activation option, so a leaky-ReLU layer's activation is a layer of its own, named so. */
export const leakyReluLayerName = (layer: string) => `${layer}_leaky_relu`;

/**
 * Builds the autoencoder as one functional tfjs model following the plan exactly (same names, shapes and parameter
 * counts). Its first output is the reconstruction; a VAE also outputs the code's mean and log-variance. Initialisers
 * are seeded, so the same config and seed start from the same weights on the same engine.
 */
export function buildModel(
  tf: typeof tfType,
  config: ModelConfig,
  shape: ImageShape,
  seed: number,
): tfType.LayersModel {
  const plan = planModel(config, shape);
  const custom = customLayers(tf);
  let layerSeed = seed * 1000;
  const init = (activation: string) =>
    activation === 'selu'
      ? tf.initializers.leCunNormal({ seed: layerSeed++ })
      : tf.initializers.glorotUniform({ seed: layerSeed++ });
  const tensors = new Map<string, SymbolicTensor>();
  const input = tf.input({ shape, name: 'input' });
  tensors.set('input', input);

  const activated = (layer: PlannedLayer & { activation: string }, x: SymbolicTensor): SymbolicTensor =>
    layer.activation === 'leakyRelu'
      ? (tf.layers.leakyReLU({ alpha: leakySlope, name: leakyReluLayerName(layer.name) }).apply(x) as SymbolicTensor)
      : x;
  const activation = (name: string) => (name === 'leakyRelu' ? 'linear' : name) as 'linear';

  for (const layer of plan.layers.slice(1)) {
    const [x, y] = layer.inputs.map((name) => tensors.get(name)!);
    let out: SymbolicTensor;
    switch (layer.op) {
      case 'flatten':
        out = tf.layers.flatten({ name: layer.name }).apply(x) as SymbolicTensor;
        break;
      case 'reshape':
        out = tf.layers.reshape({ targetShape: layer.target, name: layer.name }).apply(x) as SymbolicTensor;
        break;
      case 'dense':
        out = tf.layers
          .dense({
            units: layer.units,
            activation: activation(layer.activation),
            kernelInitializer: init(layer.activation),
            name: layer.name,
          })
          .apply(x) as SymbolicTensor;
        out = activated(layer, out);
        break;
      case 'conv':
      case 'deconv': {
        const args = {
          filters: layer.filters,
          kernelSize: layer.kernel,
          strides: layer.stride,
          padding: layer.padding,
          activation: activation(layer.activation),
          kernelInitializer: init(layer.activation),
          name: layer.name,
        };
        out = (layer.op === 'conv' ? tf.layers.conv2d(args) : tf.layers.conv2dTranspose(args)).apply(
          x,
        ) as SymbolicTensor;
        out = activated(layer, out);
        break;
      }
      case 'maxPool':
      case 'avgPool': {
        const args = { poolSize: layer.size, strides: layer.size, padding: 'valid' as const, name: layer.name };
        out = (layer.op === 'maxPool' ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args)).apply(
          x,
        ) as SymbolicTensor;
        break;
      }
      case 'upsample':
        out = tf.layers.upSampling2d({ size: [layer.size, layer.size], name: layer.name }).apply(x) as SymbolicTensor;
        break;
      case 'unpool':
        out = custom.maxUnpool({ size: layer.size, name: layer.name }).apply([x, y]) as SymbolicTensor;
        break;
      case 'batchNorm':
        out = tf.layers.batchNormalization({ momentum: layer.momentum, name: layer.name }).apply(x) as SymbolicTensor;
        break;
      case 'dropout':
        out = custom.seededDropout({ rate: layer.rate, name: layer.name }).apply(x) as SymbolicTensor;
        break;
      case 'identity':
        out = tf.layers.activation({ activation: 'linear', name: layer.name }).apply(x) as SymbolicTensor;
        break;
      case 'sample':
        out = custom.gaussianSample({ name: layer.name }).apply([x, y]) as SymbolicTensor;
        break;
      case 'crop':
        out = tf.layers
          .cropping2D({
            cropping: [
              [layer.top, layer.bottom],
              [layer.left, layer.right],
            ],
            name: layer.name,
          })
          .apply(x) as SymbolicTensor;
        break;
      case 'input':
        throw new Error('Only the first planned layer is the input.');
    }
    tensors.set(layer.name, out);
  }

  const image = tensors.get(plan.layers[plan.layers.length - 1].name)!;
  const outputs = plan.variational
    ? [image, tensors.get(latentMeanLayerName)!, tensors.get(latentLogVarLayerName)!]
    : [image];
  return tf.model({ inputs: input, outputs, name: 'autoencoder' });
}

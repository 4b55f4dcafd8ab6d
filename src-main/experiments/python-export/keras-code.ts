import type { ModelPlan, PlannedLayer } from '../../models/model-plan';
import type { Layouts, VectorOrder } from './layouts';
import { pythonHeader, type ExportInfo } from './python-text';

const leakySlope = 0.01;

/** Why a model cannot be written as Keras code, or null when it can. */
export function kerasBlocker(plan: ModelPlan): string | null {
  if (plan.layers.some((layer) => layer.op === 'unpool')) {
    return "Keras has no max-unpooling layer (putting values back at the encoder's pooling positions), so no Keras code was written for this run; use the PyTorch model.";
  }
  return null;
}

const shapeArg = (order: VectorOrder) => (order ? `(${order.join(', ')})` : 'None');

/**
 * The same model as Keras 3 functional code (channels-last, like the app, so no layout changes in the graph), with a
 * loader that reads the PyTorch-layout weights.safetensors and converts each tensor back. Call kerasBlocker first.
 */
export function kerasModelCode(plan: ModelPlan, layouts: Layouts, info: ExportInfo): string {
  const lines: string[] = [];
  const loads: string[] = [];
  const byName = new Map(plan.layers.map((layer) => [layer.name, layer]));
  const orderOf = (name: string) => layouts.order.get(name) ?? null;
  /** `call` is "Class(args)"; the activation (when the layer has one) and the layer's name are added to its args. */
  const apply = (layer: PlannedLayer, call: string, activation?: string) => {
    const leaky = activation === 'leakyRelu';
    const [, cls, args] = /^(\w+)\((.*)\)$/.exec(call)!;
    const extra = [
      args,
      activation && !leaky && activation !== 'linear' ? `activation="${activation}"` : '',
      `name="${layer.name}"`,
    ];
    lines.push(`x = layers.${cls}(${extra.filter(Boolean).join(', ')})(x)`);
    if (leaky) lines.push(`x = layers.LeakyReLU(negative_slope=${leakySlope}, name="${layer.name}_leaky_relu")(x)`);
  };
  const w = (layer: PlannedLayer, name: string) => `w["${layer.name}.${name}"]`;

  for (const layer of plan.layers.slice(1)) {
    const input = byName.get(layer.inputs[0])!;
    switch (layer.op) {
      case 'dense': {
        const inOrder = orderOf(input.name);
        const outOrder = orderOf(layer.name);
        loads.push(
          `model.get_layer("${layer.name}").set_weights([dense_kernel(${w(layer, 'weight')}, ${shapeArg(inOrder)}, ` +
            `${shapeArg(outOrder)}), channels_last(${w(layer, 'bias')}, ${shapeArg(outOrder)})])`,
        );
        if (plan.variational && (layer.name === 'z_mean' || layer.name === 'z_log_var')) {
          const variable = layer.name === 'z_mean' ? 'mean' : 'log_var';
          lines.push(`${variable} = layers.Dense(${layer.units}, name="${layer.name}")(x)`);
        } else apply(layer, `Dense(${layer.units})`, layer.activation);
        break;
      }
      case 'conv':
      case 'deconv':
        loads.push(
          `model.get_layer("${layer.name}").set_weights([conv_kernel(${w(layer, 'weight')}), ${w(layer, 'bias')}])`,
        );
        apply(
          layer,
          `${layer.op === 'conv' ? 'Conv2D' : 'Conv2DTranspose'}(${layer.filters}, ${layer.kernel}, strides=${layer.stride}, padding="${layer.padding}")`,
          layer.activation,
        );
        break;
      case 'maxPool':
        apply(layer, `MaxPooling2D(${layer.size})`);
        break;
      case 'avgPool':
        apply(layer, `AveragePooling2D(${layer.size})`);
        break;
      case 'upsample':
        apply(layer, `UpSampling2D(${layer.size})`);
        break;
      case 'batchNorm': {
        const order = layer.shape.length === 1 ? orderOf(input.name) : null;
        const param = (name: string) => `channels_last(${w(layer, name)}, ${shapeArg(order)})`;
        loads.push(
          `model.get_layer("${layer.name}").set_weights([${['weight', 'bias', 'running_mean', 'running_var'].map(param).join(', ')}])`,
        );
        apply(layer, `BatchNormalization(momentum=${layer.momentum}, epsilon=1e-3)`);
        break;
      }
      case 'dropout':
        apply(layer, `Dropout(${layer.rate})`);
        break;
      case 'flatten':
        apply(layer, `Flatten()`);
        break;
      case 'reshape':
        apply(layer, `Reshape((${layer.target.join(', ')}))`);
        break;
      case 'crop':
        apply(layer, `Cropping2D(((${layer.top}, ${layer.bottom}), (${layer.left}, ${layer.right})))`);
        break;
      case 'identity':
        apply(layer, `Identity()`);
        break;
      case 'sample':
        lines.push(`x = GaussianSample(name="${layer.name}")([mean, log_var])`);
        break;
      case 'unpool':
        throw new Error(kerasBlocker(plan)!);
      case 'input':
        break;
    }
  }
  const [height, width, channels] = plan.input;
  const outputs = plan.variational ? '[x, mean, log_var]' : 'x';
  const sampleLayer = plan.variational
    ? `

class GaussianSample(layers.Layer):
    """The VAE's reparameterisation: mean + exp(log_var / 2) * noise while training, the mean itself otherwise."""

    def call(self, inputs, training=False):
        mean, log_var = inputs
        if not training:
            return mean
        return mean + keras.ops.exp(0.5 * log_var) * keras.random.normal(keras.ops.shape(mean))
`
    : '';

  return `${pythonHeader(info, 'Keras 3')}
import json
from pathlib import Path

import keras
import numpy as np
from keras import layers

HERE = Path(__file__).resolve().parent
IMAGE_SHAPE = (${height}, ${width}, ${channels})  # height, width, channels: Keras is channels-last, like the app
${sampleLayer}

def build_model():
    """The untrained model, layer for layer as the app built it (same names). Outputs the reconstruction${plan.variational ? ", the code's mean and its log-variance" : ''}."""
    x = inputs = keras.Input(shape=IMAGE_SHAPE, name="input")
${lines.map((line) => `    ${line}`).join('\n')}
    return keras.Model(inputs, ${outputs}, name="autoencoder")


def read_safetensors(path):
    """A safetensors file as a dict of numpy arrays: 8 bytes of header length, a JSON header, then raw data."""
    data = Path(path).read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    dtypes = {"F32": np.float32, "I64": np.int64}
    return {
        name: np.frombuffer(data, dtypes[entry["dtype"]], offset=8 + length + entry["data_offsets"][0],
                            count=int(np.prod(entry["shape"], dtype=np.int64))).reshape(entry["shape"])
        for name, entry in header.items()
        if name != "__metadata__"
    }


def conv_kernel(weight):
    """PyTorch's [out, in, kh, kw] (or a transposed conv's [in, out, kh, kw]) → Keras's [kh, kw, in, out] ([kh, kw, out, in])."""
    return weight.transpose(2, 3, 1, 0)


def channels_last(vector, shape):
    """A vector in PyTorch's channels-first order of an [h, w, c] map → Keras's channels-last order."""
    if shape is None:
        return vector
    h, w, c = shape
    return vector.reshape(c, h, w).transpose(1, 2, 0).reshape(-1)


def dense_kernel(weight, inputs, outputs):
    """PyTorch's [out, in] → Keras's [in, out], with channels-first inputs or outputs put back in channels-last order."""
    kernel = weight.T
    if inputs is not None:
        h, w, c = inputs
        kernel = kernel.reshape(c, h, w, -1).transpose(1, 2, 0, 3).reshape(h * w * c, -1)
    if outputs is not None:
        h, w, c = outputs
        kernel = kernel.reshape(-1, c, h, w).transpose(0, 2, 3, 1).reshape(kernel.shape[0], -1)
    return kernel


def load_model(weights=HERE / "weights.safetensors"):
    """The trained model: built, then given the exported weights converted back to Keras's layouts."""
    model = build_model()
    w = read_safetensors(weights)
${loads.map((line) => `    ${line}`).join('\n')}
    return model
`;
}

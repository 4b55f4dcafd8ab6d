import type { ModelPlan, PlannedLayer } from '../../models/model-plan';
import type { Activation } from '../../models/model-config';
import type { Layouts, MapShape } from './layouts';
import { pythonHeader, type ExportInfo } from './python-text';

/** PyTorch's default leaky-ReLU slope, which the app uses too (models/build-model.ts). */
const leakySlope = 0.01;

const activate = (activation: Activation, call: string): string => {
  switch (activation) {
    case 'relu':
      return `F.relu(${call})`;
    case 'leakyRelu':
      return `F.leaky_relu(${call}, ${leakySlope})`;
    case 'elu':
      return `F.elu(${call})`;
    case 'selu':
      return `F.selu(${call})`;
    case 'tanh':
      return `torch.tanh(${call})`;
    case 'sigmoid':
      return `torch.sigmoid(${call})`;
    case 'linear':
      return call;
  }
};

const channels = (shape: number[]) => shape[shape.length - 1];
const sameOrder = (a: MapShape | null, b: number[]) => a !== null && a.join() === b.join();

const helpers = {
  sameConv: `
class SameConv2d(nn.Conv2d):
    """Conv2d with Keras's "same" padding, as the app trains it: the output is ceil(input / stride), and when the
    padding needed is odd the extra row and column go at the bottom and right. (PyTorch's own padding="same" allows
    stride 1 only and cannot express that.)"""

    def forward(self, x):
        pad_h = same_padding(x.shape[2], self.kernel_size[0], self.stride[0])
        pad_w = same_padding(x.shape[3], self.kernel_size[1], self.stride[1])
        x = F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
        return super().forward(x)


def same_padding(size, kernel, stride):
    return max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
`,
  deconv: `
class KerasConvTranspose2d(nn.ConvTranspose2d):
    """ConvTranspose2d sized as Keras's Conv2DTranspose, as the app trains it: "same" gives input x stride (trimming
    max(kernel - stride, 0) rows, the odd one at the bottom), "valid" gives input x stride + max(kernel - stride, 0).
    Rows the transposed convolution does not reach are zeros before the bias is added, as in Keras."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, keras_padding):
        super().__init__(in_channels, out_channels, kernel_size, stride)
        self.keras_padding = keras_padding

    def forward(self, x):
        y = F.conv_transpose2d(x, self.weight, None, self.stride)
        for dim in (2, 3):
            kernel, stride = self.kernel_size[dim - 2], self.stride[dim - 2]
            extra = max(kernel - stride, 0)
            size = x.shape[dim] * stride + (extra if self.keras_padding == "valid" else 0)
            start = extra // 2 if self.keras_padding == "same" else 0
            y = y.narrow(dim, start, min(size, y.shape[dim] - start))
            if y.shape[dim] < size:
                pad = [0, 0, 0, 0]
                pad[1 if dim == 3 else 3] = size - y.shape[dim]
                y = F.pad(y, pad)
        return y + self.bias.view(1, -1, 1, 1)
`,
};

/** The model as a readable PyTorch module: one attribute per app layer (same names), encode, decode and forward. */
export function torchModelCode(plan: ModelPlan, layouts: Layouts, info: ExportInfo): string {
  const byName = new Map(plan.layers.map((layer) => [layer.name, layer]));
  const inputOf = (layer: PlannedLayer) => byName.get(layer.inputs[0])!;
  const modules: string[] = [];
  const encode: string[] = [];
  const decode: string[] = [];
  const used = new Set<keyof typeof helpers>();
  const unpooled = new Set(layouts.poolOf.values());
  const hasUnpool = unpooled.size > 0;
  const [height, width, depth] = plan.input;

  for (const layer of plan.layers.slice(1)) {
    const lines = layer.section === 'encoder' || layer.section === 'latent' ? encode : decode;
    const input = inputOf(layer);
    const self = `self.${layer.name}`;
    const declare = (module: string) => modules.push(`        ${self} = ${module}`);
    /** A module applied to `x` as it is. */
    const module = (declaration: string) => {
      declare(declaration);
      lines.push(`x = ${self}(x)`);
    };
    switch (layer.op) {
      case 'dense':
        declare(`nn.Linear(${input.shape[0]}, ${layer.units})`);
        if (plan.variational && (layer.name === 'z_mean' || layer.name === 'z_log_var')) break;
        lines.push(`x = ${activate(layer.activation, `${self}(x)`)}`);
        break;
      case 'conv':
      case 'deconv': {
        const { kernel: k, stride: st, padding } = layer;
        const args = `${channels(input.shape)}, ${layer.filters}, kernel_size=${k}, stride=${st}`;
        // PyTorch's own layers where they size and pad exactly as the app does, explicit Keras-style ones elsewhere.
        if (layer.op === 'conv') {
          if (padding === 'valid') declare(`nn.Conv2d(${args})`);
          else if (st === 1 && k % 2 === 1) declare(`nn.Conv2d(${args}, padding=${(k - 1) / 2})`);
          else {
            used.add('sameConv');
            declare(`SameConv2d(${args})`);
          }
        } else if (k >= st && (padding === 'valid' || (k - st) % 2 === 0)) {
          declare(`nn.ConvTranspose2d(${args}${padding === 'same' && k > st ? `, padding=${(k - st) / 2}` : ''})`);
        } else {
          used.add('deconv');
          declare(`KerasConvTranspose2d(${args}, keras_padding="${padding}")`);
        }
        lines.push(`x = ${activate(layer.activation, `${self}(x)`)}`);
        break;
      }
      case 'maxPool':
        if (unpooled.has(layer.name)) {
          declare(`nn.MaxPool2d(${layer.size}, return_indices=True)`);
          lines.push(`size = x.shape[2:]`, `x, indices = ${self}(x)`, `pooling["${layer.name}"] = (indices, size)`);
        } else module(`nn.MaxPool2d(${layer.size})`);
        break;
      case 'avgPool':
        module(`nn.AvgPool2d(${layer.size})`);
        break;
      case 'upsample':
        module(`nn.Upsample(scale_factor=${layer.size}, mode="nearest")`);
        break;
      case 'unpool':
        declare(`nn.MaxUnpool2d(${layer.size})`);
        lines.push(
          `indices, size = pooling["${layouts.poolOf.get(layer.name)}"]`,
          `x = ${self}(x, indices, output_size=size)`,
        );
        break;
      case 'batchNorm':
        // tfjs's epsilon (1e-3) and the layer's momentum, which PyTorch counts the other way (the share of the batch).
        module(
          `nn.BatchNorm${layer.shape.length === 3 ? '2d' : '1d'}(${channels(layer.shape)}, eps=1e-3, momentum=${Number((1 - layer.momentum).toFixed(6))})`,
        );
        break;
      case 'dropout':
        module(`nn.Dropout(${layer.rate})`);
        break;
      case 'flatten':
        lines.push(`x = torch.flatten(x, 1)`);
        break;
      case 'reshape': {
        const [h, w, c] = layer.target;
        const order = layouts.order.get(input.name) ?? null;
        let channelsLast = order === null;
        if (order !== null && !sameOrder(order, layer.target)) {
          const [oh, ow, oc] = order;
          lines.push(
            `x = x.unflatten(1, (${oc}, ${oh}, ${ow})).permute(0, 2, 3, 1).flatten(1)  # back to the app's order`,
          );
          channelsLast = true;
        }
        if (channelsLast && c > 1 && h * w > 1) {
          lines.push(`x = x.unflatten(1, (${h}, ${w}, ${c})).permute(0, 3, 1, 2)  # the app's channels-last order`);
        } else lines.push(`x = x.unflatten(1, (${c}, ${h}, ${w}))`);
        break;
      }
      case 'crop': {
        const [h, w] = input.shape;
        lines.push(`x = x[:, :, ${layer.top}:${h - layer.bottom}, ${layer.left}:${w - layer.right}]  # centre crop`);
        break;
      }
      case 'identity':
        lines.push(`# The code is the encoder's output itself (no latent layer).`);
        break;
      case 'sample':
      case 'input':
        break;
    }
  }

  const imageShape = `[batch, ${depth}, ${height}, ${width}]`;
  const codeShape = plan.summary.layers.find((l) => l.name === 'latent')!.outputShape;
  const codeText =
    codeShape.length === 3 ? `[batch, ${codeShape[2]}, ${codeShape[0]}, ${codeShape[1]}]` : `[batch, ${codeShape[0]}]`;
  const body = (lines: string[]) => lines.map((line) => `        ${line}`).join('\n');
  const poolingNote = hasUnpool
    ? "\n\n        `pooling` holds each max-pooling layer's indices and input size: the decoder's unpooling layers put\n" +
      "        each value back where its window's maximum was."
    : '';
  const encodeReturn = plan.variational
    ? `return self.z_mean(x), self.z_log_var(x)${hasUnpool ? ', pooling' : ''}`
    : `return x${hasUnpool ? ', pooling' : ''}`;
  const encodeDoc = plan.variational
    ? `Images ${imageShape} in 0..1 → the code's mean and log-variance, each [batch, ${codeShape[0]}]${hasUnpool ? ', and the pooling indices' : ''}.\n\n        The app's latent maps show the mean.`
    : `Images ${imageShape} in 0..1 → codes ${codeText}${hasUnpool ? ', and the pooling indices' : ''}.`;
  const decodeArgs = hasUnpool ? 'z, pooling' : 'z';
  const forward = plan.variational
    ? [
        hasUnpool ? 'mean, log_var, pooling = self.encode(x)' : 'mean, log_var = self.encode(x)',
        `return self.decode(self.sample(mean, log_var)${hasUnpool ? ', pooling' : ''}), mean, log_var`,
      ]
    : [
        hasUnpool ? 'z, pooling = self.encode(x)' : '',
        hasUnpool ? 'return self.decode(z, pooling)' : 'return self.decode(self.encode(x))',
      ].filter(Boolean);
  const sample = plan.variational
    ? `

    def sample(self, mean, log_var):
        """The reparameterisation trick while training: mean + exp(log_var / 2) * noise. In eval mode the mean
        itself, as the app reconstructs and maps."""
        if not self.training:
            return mean
        return mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)`
    : '';

  return `${pythonHeader(info, 'PyTorch')}
import json
${used.has('sameConv') ? 'import math\n' : ''}from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

HERE = Path(__file__).resolve().parent
IMAGE_SHAPE = (${depth}, ${height}, ${width})  # channels, height, width
${(['sameConv', 'deconv'] as const)
  .filter((h) => used.has(h))
  .map((h) => `\n${helpers[h]}`)
  .join('')}

class Autoencoder(nn.Module):
    """${info.runName} (${plan.variational ? 'variational' : 'standard'} autoencoder, ${plan.summary.totalParams.toLocaleString('en-US')} parameters).

    Attribute names are the layer names Autoencoder Studio shows in its model summary.
    """

    def __init__(self):
        super().__init__()
${modules.join('\n')}

    def encode(self, x):
        """${encodeDoc}${poolingNote}"""
${hasUnpool ? '        pooling = {}\n' : ''}${body(encode)}
        ${encodeReturn}

    def decode(self, ${decodeArgs}):
        """Codes${plan.variational ? '' : ` ${codeText}`} → reconstructed images ${imageShape} in the output activation's range."""
        x = z
${body(decode)}
        return x${sample}

    def forward(self, x):
${body(forward)}


def load_safetensors(path):
    """Reads a safetensors file into a dict of tensors (safetensors.torch.load_file does the same, where installed):
    8 bytes of header length, a JSON header of dtypes, shapes and byte offsets, then the raw little-endian data."""
    data = Path(path).read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    dtypes = {"F32": torch.float32, "I64": torch.int64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = bytearray(data[8 + length + begin : 8 + length + end])
        tensors[name] = torch.frombuffer(raw, dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors


def load_model(weights=HERE / "weights.safetensors"):
    """The trained model, in eval mode."""
    model = Autoencoder()
    model.load_state_dict(load_safetensors(weights))
    return model.eval()
`;
}

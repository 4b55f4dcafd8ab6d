import type { ModelPlan } from '../../models/model-plan';
import type { SafeTensor } from './safetensors';
import { channelsFirstIndex, type Layouts, type VectorOrder } from './layouts';

/** A checkpoint's weights by tfjs name (`encoder_conv_1/kernel`), in tfjs's layout. */
export type TfjsWeights = Map<string, { shape: number[]; data: Float32Array }>;

/** Axes of a rank-4 array reordered: out[i0][i1][i2][i3] = in[...] with out's axis k being in's axis perm[k]. */
function transpose4(data: Float32Array, shape: number[], perm: [number, number, number, number]) {
  const outShape = perm.map((p) => shape[p]);
  const strides = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const s = perm.map((p) => strides[p]);
  const out = new Float32Array(data.length);
  let i = 0;
  for (let a = 0; a < outShape[0]; a++)
    for (let b = 0; b < outShape[1]; b++)
      for (let c = 0; c < outShape[2]; c++)
        for (let d = 0; d < outShape[3]; d++) out[i++] = data[a * s[0] + b * s[1] + c * s[2] + d * s[3]];
  return { shape: outShape, data: out };
}

const positions = (order: VectorOrder, n: number) =>
  order ? channelsFirstIndex(order) : Int32Array.from({ length: n }, (_, i) => i);
const reorder = (data: Float32Array, index: Int32Array) => Float32Array.from(index, (i) => data[i]);

/**
 * The checkpoint's weights as a PyTorch state dict of the exported module (attribute names are the app's layer
 * names), converted to PyTorch's layouts:
 * - Conv2d kernels [kh, kw, in, out] → [out, in, kh, kw]; ConvTranspose2d kernels [kh, kw, out, in] → [in, out, kh, kw]
 *   (both are the same axis permutation; neither framework flips the kernel);
 * - Linear kernels [in, out] → [out, in], with inputs and outputs reordered where a vector is channels-first;
 * - batch norm's gamma, beta and moving statistics → weight, bias, running_mean, running_var (reordered likewise
 *   on a channels-first vector), plus the num_batches_tracked counter PyTorch's state dict expects.
 */
export function torchStateDict(plan: ModelPlan, layouts: Layouts, weights: TfjsWeights): SafeTensor[] {
  const out: SafeTensor[] = [];
  const get = (layer: string, name: string) => {
    const found = weights.get(`${layer}/${name}`);
    if (!found) throw new Error(`The checkpoint has no weight ${layer}/${name}.`);
    return found;
  };
  for (const layer of plan.layers) {
    const inputOrder = layouts.order.get(layer.inputs[0]) ?? null;
    switch (layer.op) {
      case 'conv':
      case 'deconv': {
        const kernel = get(layer.name, 'kernel');
        const { shape, data } = transpose4(kernel.data, kernel.shape, [3, 2, 0, 1]);
        out.push({ name: `${layer.name}.weight`, shape, data });
        out.push({ name: `${layer.name}.bias`, shape: [layer.filters], data: get(layer.name, 'bias').data });
        break;
      }
      case 'dense': {
        const kernel = get(layer.name, 'kernel');
        const [inputs, units] = kernel.shape;
        const rows = positions(inputOrder, inputs);
        const cols = positions(layouts.order.get(layer.name) ?? null, units);
        const data = new Float32Array(inputs * units);
        for (let o = 0; o < units; o++) {
          for (let i = 0; i < inputs; i++) data[o * inputs + i] = kernel.data[rows[i] * units + cols[o]];
        }
        out.push({ name: `${layer.name}.weight`, shape: [units, inputs], data });
        out.push({ name: `${layer.name}.bias`, shape: [units], data: reorder(get(layer.name, 'bias').data, cols) });
        break;
      }
      case 'batchNorm': {
        const features = layer.shape[layer.shape.length - 1];
        const index = layer.shape.length === 1 ? positions(inputOrder, features) : positions(null, features);
        const param = (from: string, to: string) =>
          out.push({
            name: `${layer.name}.${to}`,
            shape: [features],
            data: reorder(get(layer.name, from).data, index),
          });
        param('gamma', 'weight');
        param('beta', 'bias');
        param('moving_mean', 'running_mean');
        param('moving_variance', 'running_var');
        out.push({ name: `${layer.name}.num_batches_tracked`, shape: [], data: new BigInt64Array(1) });
        break;
      }
      default:
        break;
    }
  }
  return out;
}

import type { ModelPlan, PlannedLayer } from '../../models/model-plan';

/**
 * Where the app's tensor layout and PyTorch's differ, and how each exported layer bridges it.
 *
 * The app is channels-last: feature maps are [h, w, c], so flattening one lists each pixel's channels together.
 * PyTorch is channels-first: nn.Flatten of a [c, h, w] map lists each channel's pixels together. Rather than fill
 * model.py with permutes, the exported weights are permuted: a vector produced by nn.Flatten is "channels-first"
 * (its order is the [c, h, w] flattening of the app's map), a dense layer reading one gets its input columns
 * reordered, and a dense layer whose output is reshaped back into a map (the decoder's projection, the output layer)
 * gets its output rows reordered so a plain unflatten to [c, h, w] is right. Batch norm and dropout between them keep
 * whichever order they are given. The code (the latent layer, a VAE's mean and log-variance) always keeps the app's
 * order, so codes match the app's latent maps exactly.
 */
export type MapShape = [height: number, width: number, channels: number];
/** null: same order as the app; a shape: the channels-first flattening of that [h, w, c] map. */
export type VectorOrder = MapShape | null;

export interface Layouts {
  /** The order of every vector-valued layer's output, by layer name. */
  order: Map<string, VectorOrder>;
  /** The max-pooling layer (by name) whose indices each unpooling layer takes, by unpooling layer name. */
  poolOf: Map<string, string>;
}

/** Flattening a map whose channels or pixels are one long has the same order either way. */
const matters = (shape: number[]): shape is MapShape => shape.length === 3 && shape[2] > 1 && shape[0] * shape[1] > 1;
const perFeature = (layer: PlannedLayer) =>
  layer.op === 'batchNorm' || layer.op === 'dropout' || layer.op === 'identity';
const codeLayers = new Set(['latent', 'z_mean', 'z_log_var']);

export function planLayouts(plan: ModelPlan): Layouts {
  const byName = new Map(plan.layers.map((layer) => [layer.name, layer]));
  const consumers = new Map<string, PlannedLayer[]>();
  for (const layer of plan.layers) {
    for (const input of layer.inputs) consumers.set(input, [...(consumers.get(input) ?? []), layer]);
  }

  // Dense layers whose output reaches a reshape through per-feature layers only: they produce that map's order.
  const produces = new Map<string, MapShape>();
  for (const layer of plan.layers) {
    if (layer.op !== 'reshape' || !matters(layer.target)) continue;
    let source = byName.get(layer.inputs[0]);
    while (source && perFeature(source) && consumers.get(source.name)?.length === 1) {
      source = byName.get(source.inputs[0]);
    }
    if (source?.op === 'dense' && !codeLayers.has(source.name) && consumers.get(source.name)?.length === 1) {
      produces.set(source.name, layer.target);
    }
  }

  const order = new Map<string, VectorOrder>();
  const poolOf = new Map<string, string>();
  for (const layer of plan.layers) {
    if (layer.shape.length !== 1) {
      if (layer.op === 'unpool') {
        const pool = plan.layers.find((l) => l.op === 'maxPool' && l.inputs[0] === layer.indices);
        if (!pool) throw new Error(`No max-pooling layer pooled ${layer.indices}.`);
        poolOf.set(layer.name, pool.name);
      }
      continue;
    }
    const input = byName.get(layer.inputs[0]);
    if (layer.op === 'flatten') order.set(layer.name, matters(input!.shape) ? (input!.shape as MapShape) : null);
    else if (layer.op === 'dense') order.set(layer.name, produces.get(layer.name) ?? null);
    else if (perFeature(layer)) order.set(layer.name, order.get(layer.inputs[0]) ?? null);
    else order.set(layer.name, null);
  }
  return { order, poolOf };
}

/**
 * For a vector in channels-first order of `shape`, the app's (channels-last) index of each PyTorch position:
 * PyTorch position c·h·w + y·w + x holds the app's y·w·c + x·c + c.
 */
export function channelsFirstIndex([h, w, c]: MapShape): Int32Array {
  const out = new Int32Array(h * w * c);
  let i = 0;
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[i++] = (y * w + x) * c + ch;
  return out;
}

import type * as tfType from '@tensorflow/tfjs';
import { UserError } from '../api/errors';
import type { Activations, ActivationsQuery, CheckpointRef, Filters } from '../api/contract';
import { datasetImages } from './eval-images';
import { toModelInput } from './run-model';
import { imageSources, type EvaluationContext } from './evaluation-context';
import { b64, toBytes } from './image-bytes';
import { quietScope } from './request-scope';

/** Looking inside a trained model: its first layer's filters, and any layer's activations. */

/** The first layer with weights: a dense layer's units or a conv layer's kernels, each as a small image. */
export async function filters(ctx: EvaluationContext, ref: CheckpointRef): Promise<Filters> {
  const parts = await ctx.models.load(ref);
  const layer = parts.model.layers.find((l) => ['Dense', 'Conv2D'].includes(l.getClassName()));
  if (!layer) throw new UserError('unsupported', `Run ${parts.runId}'s model has no dense or convolutional layer.`);
  const kernel = layer.getWeights()[0];
  const values = (await kernel.data()) as Float32Array;
  let count: number;
  let height: number;
  let width: number;
  let inChannels: number;
  /** The w-th weight of filter f, walking the filter's pixels in HWC order. */
  let at: (f: number, w: number) => number;
  if (layer.getClassName() === 'Conv2D') {
    [height, width, inChannels, count] = kernel.shape as [number, number, number, number];
    at = (f, w) => values[w * count + f];
  } else {
    const [inputs, units] = kernel.shape as [number, number];
    count = units;
    // A dense layer straight after the flattened image: each unit's weights have the image's shape.
    if (inputs !== parts.shape[0] * parts.shape[1] * parts.shape[2]) {
      throw new UserError('unsupported', `The first dense layer of run ${parts.runId} does not read the image pixels.`);
    }
    [height, width, inChannels] = parts.shape;
    at = (f, w) => values[w * units + f];
  }
  // Colour kernels stay colour; other channel counts are shown as their mean.
  const channels = inChannels === 3 ? 3 : 1;
  const size = height * width * channels;
  const pixels = new Uint8Array(count * size);
  const ranges: Array<[number, number]> = [];
  for (let f = 0; f < count; f++) {
    const filter = new Float32Array(size);
    for (let p = 0; p < height * width; p++) {
      if (channels === 3) for (let c = 0; c < 3; c++) filter[p * 3 + c] = at(f, p * 3 + c);
      else {
        let sum = 0;
        for (let c = 0; c < inChannels; c++) sum += at(f, p * inChannels + c);
        filter[p] = sum / inChannels;
      }
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of filter) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const span = hi - lo || 1;
    for (let i = 0; i < size; i++) pixels[f * size + i] = Math.round(((filter[i] - lo) / span) * 255);
    ranges.push([lo, hi]);
  }
  return {
    runId: parts.runId,
    epoch: parts.epoch,
    layer: layer.name,
    kind: layer.getClassName() === 'Conv2D' ? 'conv' : 'dense',
    count,
    width,
    height,
    channels,
    pixels: b64(pixels),
    ranges,
  };
}

/** One layer's outputs for some dataset images, scaled to bytes over their range. */
export async function activations(ctx: EvaluationContext, query: ActivationsQuery): Promise<Activations> {
  const parts = await ctx.models.load(query);
  const layer = parts.model.layers.find((l) => l.name === query.layer);
  if (!layer) {
    throw new UserError('not_found', `Run ${parts.runId}'s model has no layer "${query.layer}".`);
  }
  const batch = datasetImages(imageSources(ctx, parts, quietScope()), query.cacheIndices);
  const n = batch.items.length;
  const { tf } = ctx;
  const probe = tf.model({ inputs: parts.model.inputs, outputs: layer.output as tfType.SymbolicTensor });
  const output = tf.tidy(
    () => probe.predict(tf.tensor4d(toModelInput(batch.pixels), [n, ...parts.shape])) as tfType.Tensor,
  );
  const values = (await output.data()) as Float32Array;
  output.dispose();
  let min = Infinity;
  let max = -Infinity;
  let zeros = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    if (v === 0) zeros++;
  }
  const span = max - min || 1;
  return {
    runId: parts.runId,
    epoch: parts.epoch,
    layer: layer.name,
    shape: (probe.outputs[0].shape as number[]).slice(1),
    images: n,
    values: b64(toBytes(values.map((v) => (v - min) / span))),
    min,
    max,
    zeroShare: zeros / values.length,
  };
}

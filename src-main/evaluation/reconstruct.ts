import type { CheckpointRef, EvalImages, ModelInfo, ReconstructQuery, Reconstructions } from '../api/contract';
import { seededRandom } from '../app/random';
import { corruptBatch } from '../trainer/corruption';
import { resolveImages, type ImageBatch } from './eval-images';
import { encodeAndReconstruct, toModelInput } from './run-model';
import { imageQuality } from '../app/image-quality';
import { imageShape, imageSources, type EvaluationContext } from './evaluation-context';
import { b64, toBytes } from './image-bytes';
import type { RequestScope } from './request-scope';

export interface EncodedImages {
  epoch: number;
  dims: number;
  codes: number[][];
  items: ImageBatch['items'];
}

/** The checkpoint's model, described for the results views. */
export async function modelInfo(ctx: EvaluationContext, ref: CheckpointRef): Promise<ModelInfo> {
  const parts = await ctx.models.load(ref);
  return {
    ...imageShape(parts),
    latentDims: parts.latentDims,
    variational: parts.variational,
    decodeBlocker: parts.decodeBlocker,
    layers: parts.layers,
    engine: ctx.engine,
  };
}

/** Images through the model (corrupted first, for a denoising view), each with its error against the clean image. */
export async function reconstruct(
  ctx: EvaluationContext,
  query: ReconstructQuery,
  scope: RequestScope,
): Promise<Reconstructions> {
  const started = performance.now();
  const parts = await ctx.models.load(query);
  const batch = await resolveImages(imageSources(ctx, parts, scope), query.images);
  const n = batch.items.length;
  const clean = toModelInput(batch.pixels);
  let inputs = clean;
  if (query.corruption) {
    inputs = clean.slice();
    corruptBatch(inputs, n, parts.shape, query.corruption, seededRandom(query.seed ?? 1));
  }
  const { outputs } = await encodeAndReconstruct(ctx.tf, parts, inputs, n);
  const { mse, psnr, ssim } = imageQuality(clean, outputs, n, parts.shape);
  const mean = (values: Float32Array) => values.reduce((a, e) => a + e, 0) / Math.max(1, n);
  return {
    ...imageShape(parts),
    items: batch.items.map((item, i) => ({ ...item, mse: mse[i], psnr: psnr[i], ssim: ssim ? ssim[i] : null })),
    originals: b64(batch.pixels),
    inputs: query.corruption ? b64(toBytes(inputs)) : null,
    reconstructions: b64(toBytes(outputs)),
    meanMse: mean(mse),
    meanPsnr: mean(psnr),
    meanSsim: ssim ? mean(ssim) : null,
    elapsedMs: performance.now() - started,
  };
}

/** The codes of any images (similarity search from a file). */
export async function encode(
  ctx: EvaluationContext,
  args: CheckpointRef & { images: EvalImages },
  scope: RequestScope,
): Promise<EncodedImages> {
  const parts = await ctx.models.load(args);
  const batch = await resolveImages(imageSources(ctx, parts, scope), args.images);
  const n = batch.items.length;
  const { codes } = await encodeAndReconstruct(ctx.tf, parts, toModelInput(batch.pixels), n);
  const d = parts.latentDims;
  return {
    epoch: parts.epoch,
    dims: d,
    codes: Array.from({ length: n }, (_, i) => Array.from(codes.subarray(i * d, (i + 1) * d))),
    items: batch.items,
  };
}

import type { Database } from '../store/database';
import { getDataset, type DatasetRow } from '../store/datasets';
import { getImagesAt, splitIndex } from '../store/images';
import { openPixelCache } from '../datasets/dataset-store';
import { decodeImageBytes, SkipImage } from '../datasets/image-decode';
import { maxFileBytes } from '../datasets/image-header';
import { readUserFile } from '../app/user-file';
import { resampleToSquare } from '../datasets/resample';
import { UserError } from '../api/errors';
import type { EvalImages, EvalItem, Split } from '../api/contract';
import { seededRandom } from '../app/random';
import type { ImageShape } from '../models/model-plan';
import { stratifiedPick } from '../datasets/split';

/** Images ready for the model: uint8 HWC back to back, and what each one is. */
export interface ImageBatch {
  pixels: Uint8Array;
  items: Array<Omit<EvalItem, 'mse' | 'psnr' | 'ssim'>>;
}

/** Every image of a split with its reconstruction error, for picking the worst or best. */
export interface SplitErrorTable {
  cacheIndices: Int32Array;
  labels: Int32Array;
  /** Each image's MSE, PSNR and SSIM (null for images too small for SSIM's window). */
  errors: Float32Array;
  psnr: Float32Array;
  ssim: Float32Array | null;
}

export interface ImageSourceContext {
  db: Database;
  dataDir: string;
  dataset: DatasetRow;
  shape: ImageShape;
  /** Errors of a whole split, computed on demand (only 'worst' and 'best' need them). */
  splitErrors(split: Split): Promise<SplitErrorTable>;
}

const labelName = (dataset: DatasetRow, label: number) => dataset.classNames[label] ?? String(label);

/** `count` distinct positions out of 0..n-1, in a seeded random order. */
export function samplePositions(n: number, count: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const take = Math.min(count, n);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (n - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, take);
}

/** Images of the run's own dataset, read from its pixel cache. */
export function datasetImages(ctx: ImageSourceContext, cacheIndices: readonly number[]): ImageBatch {
  const { db, dataDir, dataset } = ctx;
  const rows = getImagesAt(db, dataset.id, cacheIndices);
  if (rows.length !== cacheIndices.length) {
    const found = new Set(rows.map((row) => row.idx));
    const missing = cacheIndices.find((i) => !found.has(i));
    throw new UserError('not_found', `The dataset "${dataset.name}" has no image at position ${missing}.`);
  }
  const cache = openPixelCache(dataDir, dataset);
  try {
    return {
      pixels: cache.read(cacheIndices),
      items: rows.map((row) => ({
        label: row.label,
        labelName: labelName(dataset, row.label),
        fileName: row.fileName,
        split: row.split,
        cacheIndex: row.idx,
      })),
    };
  } finally {
    cache.close();
  }
}

async function splitImages(ctx: ImageSourceContext, spec: Extract<EvalImages, { from: 'split' }>): Promise<ImageBatch> {
  const { idx, labels } = splitIndex(ctx.db, ctx.dataset.id, spec.split);
  if (idx.length === 0)
    throw new UserError('not_found', `The dataset "${ctx.dataset.name}" has no ${spec.split} images.`);
  let picked: number[];
  if (spec.order === 'stratified') picked = Array.from(stratifiedPick(labels, spec.count), (i) => idx[i]);
  else if (spec.order === 'first') picked = Array.from(idx.subarray(0, spec.count));
  else if (spec.order === 'random')
    picked = Array.from(samplePositions(idx.length, spec.count, spec.seed ?? 1), (i) => idx[i]);
  else {
    const table = await ctx.splitErrors(spec.split);
    const order = Array.from(table.errors.keys()).sort((a, b) =>
      spec.order === 'worst' ? table.errors[b] - table.errors[a] : table.errors[a] - table.errors[b],
    );
    picked = order.slice(0, spec.count).map((i) => table.cacheIndices[i]);
  }
  return datasetImages(ctx, picked);
}

/** Uniform noise: the plainest off-distribution input. */
function noiseImages(shape: ImageShape, count: number, seed: number): ImageBatch {
  const random = seededRandom(seed);
  const size = shape[0] * shape[1] * shape[2];
  const pixels = new Uint8Array(count * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 256);
  const items = Array.from({ length: count }, (_, i) => ({
    label: null,
    labelName: 'noise',
    fileName: `uniform noise ${i + 1}`,
    split: null,
    cacheIndex: null,
  }));
  return { pixels, items };
}

/** Grey ↔ RGB by ITU-R BT.601 luma (what libvips and PIL use), so another set's images match the run's channels. */
function convertChannels(src: Uint8Array, from: number, to: number): Uint8Array {
  if (from === to) return src;
  const n = src.length / from;
  const out = new Uint8Array(n * to);
  for (let p = 0; p < n; p++) {
    if (to === 1) out[p] = Math.round(0.299 * src[p * 3] + 0.587 * src[p * 3 + 1] + 0.114 * src[p * 3 + 2]);
    else out.fill(src[p], p * 3, p * 3 + 3);
  }
  return out;
}

/** Another dataset's images, resized (stretched: both are square) and converted to the run's image shape. */
function otherDatasetImages(ctx: ImageSourceContext, spec: Extract<EvalImages, { from: 'dataset' }>): ImageBatch {
  const other = getDataset(ctx.db, spec.datasetId);
  if (!other || other.status !== 'ready')
    throw new UserError('not_found', `There is no dataset with id ${spec.datasetId}.`);
  const { idx } = splitIndex(ctx.db, other.id, spec.split);
  if (idx.length === 0) throw new UserError('not_found', `The dataset "${other.name}" has no ${spec.split} images.`);
  const picked = Array.from(samplePositions(idx.length, spec.count, spec.seed), (i) => idx[i]);
  const source = datasetImages({ ...ctx, dataset: other }, picked);
  const [height, width, channels] = ctx.shape;
  const fromBytes = other.width * other.height * other.channels;
  const pixels = new Uint8Array(picked.length * height * width * channels);
  for (let i = 0; i < picked.length; i++) {
    const image = source.pixels.subarray(i * fromBytes, (i + 1) * fromBytes);
    const resized =
      other.width === width && other.height === height
        ? image
        : resampleToSquare(image, other.width, other.height, other.channels, width, 'stretch', '#000000');
    pixels.set(convertChannels(resized, other.channels, channels), i * height * width * channels);
  }
  // Their labels are the other set's classes: shown by name, but they are not classes of this run's dataset.
  const items = source.items.map((item) => ({ ...item, label: null, labelName: `${other.name}: ${item.labelName}` }));
  return { pixels, items: items.map((item) => ({ ...item, cacheIndex: null })) };
}

/** One image file, decoded like a folder import would (cover fit, white behind transparency). */
async function fileImage(shape: ImageShape, name: string, bytes: Buffer): Promise<ImageBatch> {
  try {
    const decoded = await decodeImageBytes(bytes, {
      size: shape[1],
      channels: shape[2] as 1 | 3,
      fit: 'cover',
      background: '#ffffff',
    });
    return {
      pixels: decoded.pixels,
      items: [{ label: null, labelName: 'your image', fileName: name, split: null, cacheIndex: null }],
    };
  } catch (err) {
    if (err instanceof SkipImage) throw new UserError('invalid_argument', `"${name}" cannot be used: ${err.message}.`);
    throw err;
  }
}

/** Resolves any of the views' image sources to pixels in the run's image shape. */
export async function resolveImages(ctx: ImageSourceContext, spec: EvalImages): Promise<ImageBatch> {
  switch (spec.from) {
    case 'split':
      return splitImages(ctx, spec);
    case 'images':
      return datasetImages(ctx, spec.cacheIndices);
    case 'noise':
      return noiseImages(ctx.shape, spec.count, spec.seed);
    case 'dataset':
      return otherDatasetImages(ctx, spec);
    case 'file':
      return fileImage(ctx.shape, spec.path, readUserFile(spec.path, maxFileBytes, 'The image'));
    case 'upload': {
      const bytes = Buffer.from(spec.data, 'base64');
      if (bytes.length > maxFileBytes) {
        throw new UserError('invalid_argument', `"${spec.name}" is too large (the limit is ${maxFileBytes / 1e6} MB).`);
      }
      return fileImage(ctx.shape, spec.name, bytes);
    }
  }
}

import type * as tfType from '@tensorflow/tfjs';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type { Database } from '../store/database';
import type { DatasetRow } from '../store/datasets';
import { listCheckpoints } from '../store/checkpoints';
import { splitIndex } from '../store/images';
import { openPixelCache } from '../datasets/dataset-store';
import { UserError } from '../api/errors';
import { countOf } from '../api/units';
import type {
  EngineName,
  Activations,
  ActivationsQuery,
  ApiMethods,
  CheckpointImages,
  CheckpointRef,
  CodeRecipe,
  DecodedCodes,
  DecodeQuery,
  EvalImages,
  Filters,
  ModelInfo,
  PcaComparison,
  PcaQuery,
  ReconstructQuery,
  Reconstructions,
  Split,
  SplitErrors,
  SplitErrorsQuery,
} from '../api/contract';
import { seededNormal, seededRandom } from '../app/random';
import { corruptBatch } from '../trainer/corruption';
import { datasetImages, resolveImages, samplePositions, type ImageBatch, type SplitErrorTable } from './eval-images';
import {
  disposeRunModel,
  encodeAndReconstruct,
  loadRunModel,
  meanSquaredErrors,
  toModelInput,
  type RunModel,
} from './run-model';
import { fitRandomizedPca, pcaReconstruct, type PcaBasis } from './pca-baseline';

/** What the evaluation worker answers: the results views' API methods, and encoding images for other services. */
export type EvaluationMethods = Pick<
  ApiMethods,
  | 'results:model'
  | 'results:reconstruct'
  | 'results:errors'
  | 'results:pca'
  | 'results:filters'
  | 'results:activations'
  | 'results:decode'
> & {
  /** Codes of any images (similarity search from a file). */
  encode: { args: CheckpointRef & { images: EvalImages }; result: EncodedImages };
};
export type EvaluationChannel = keyof EvaluationMethods;

export type EvaluationRequest = {
  [C in EvaluationChannel]: { channel: C; args: EvaluationMethods[C]['args'] };
}[EvaluationChannel];

/** Whether images come from a whole split's error table (the worst or best reconstructed), which takes long. */
const needsErrorTable = (images: EvalImages) =>
  images.from === 'split' && (images.order === 'worst' || images.order === 'best');

/**
 * Whether a request reconstructs a whole split (the per-image error table behind the error chart, the worst/best
 * picks, PCA's test comparison): seconds to minutes on a large set. The worker answers the others — a gallery, a
 * decode, filters — between its chunks, so they never wait behind it.
 */
export function isLongRequest(request: EvaluationRequest): boolean {
  switch (request.channel) {
    case 'results:errors':
    case 'results:pca':
      return true;
    case 'results:reconstruct':
    case 'encode':
      return needsErrorTable(request.args.images);
    default:
      return false;
  }
}

export interface EncodedImages {
  epoch: number;
  dims: number;
  codes: number[][];
  items: ImageBatch['items'];
}

/** Models kept loaded: the run being looked at and one more (comparing epochs). */
const modelsKept = 2;
/** PCA is fitted on at most this many training images, and on no more than this many pixel values in all. */
const pcaMaxImages = 20_000;
const pcaMaxValues = 32_000_000;
/**
 * Training codes fitted to for the random codes of a plain AE: enough for a good covariance estimate (20 per number
 * in the code), at least 200, at most 2,000 — encoding more only makes the playground slower to open.
 */
const codeSampleSize = (dims: number) => Math.min(2_000, Math.max(200, 20 * dims));
/** Beyond this many numbers per code, random codes use each dimension's own spread instead of a full covariance. */
const fullCovarianceDims = 128;

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const toBytes = (values: Float32Array) => {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, values[i])) * 255);
  return out;
};
interface CodeDistribution {
  mean: Float64Array;
  std: Float64Array;
  /** Lower-triangular L with LLᵀ = covariance, or null to draw each dimension on its own. */
  cholesky: Matrix | null;
}

/**
 * Everything the results views compute from a stored run, in the evaluation worker process: it keeps the last models
 * loaded (a view that changes a slider should not reload a checkpoint) and caches the slow parts per checkpoint: a
 * split's errors, the PCA fit, the training codes' distribution.
 */
/** How far a long request has got, in words and counts (relayed to the window as `results:progress`). */
export interface EvaluationStep {
  what: string;
  done: number;
  total: number;
}

/** Images per chunk of a whole split's reconstruction: short enough that a gallery asked for meanwhile waits little. */
const errorChunk = 128;

export class Evaluator {
  /** Told how far the request being answered has got; requests are answered one at a time. */
  onStep: (step: EvaluationStep) => void = () => {};
  /**
   * Called between the chunks of a long request: the worker answers quick requests that arrived meanwhile here.
   * (A quick request never waits on a long one's result, so this cannot wait on itself.)
   */
  between: () => Promise<void> = () => Promise.resolve();
  private readonly models = new Map<string, Promise<RunModel>>();
  private readonly splitErrorCache = new Map<string, Promise<SplitErrorTable>>();
  private readonly pcaCache = new Map<string, { basis: PcaBasis; fittedOn: number }>();
  private readonly codeCache = new Map<string, CodeDistribution>();

  constructor(
    private readonly tf: typeof tfType,
    private readonly db: Database,
    private readonly dataDir: string,
    private readonly engine: EngineName,
  ) {}

  handle(request: EvaluationRequest): Promise<unknown> {
    switch (request.channel) {
      case 'results:model':
        return this.modelInfo(request.args);
      case 'results:reconstruct':
        return this.reconstruct(request.args);
      case 'results:errors':
        return this.errors(request.args);
      case 'results:pca':
        return this.pca(request.args);
      case 'results:filters':
        return this.filters(request.args);
      case 'results:activations':
        return this.activations(request.args);
      case 'results:decode':
        return this.decode(request.args);
      case 'encode':
        return this.encode(request.args);
    }
  }

  dispose(): void {
    for (const loading of this.models.values()) void loading.then(disposeRunModel, () => undefined);
    this.models.clear();
  }

  /** The run's model at a checkpoint, loaded once and kept while it is among the last few used. */
  private async load(ref: CheckpointRef): Promise<RunModel> {
    const key = `${ref.runId}@${ref.epoch ?? 'latest'}`;
    let loading = this.models.get(key);
    if (!loading) {
      loading = loadRunModel(this.tf, this.db, this.dataDir, ref.runId, ref.epoch);
      loading.catch(() => this.models.delete(key));
      this.models.set(key, loading);
    } else {
      // Most recently used last.
      this.models.delete(key);
      this.models.set(key, loading);
    }
    const parts = await loading;
    // "latest" may have moved on while training continues: reload when a newer checkpoint exists.
    if (ref.epoch === undefined && parts.epochs.length > 0) {
      const latest = listCheckpoints(this.db, ref.runId).at(-1)?.epoch;
      if (latest !== undefined && latest !== parts.epoch) {
        this.models.delete(key);
        disposeRunModel(parts);
        return this.load(ref);
      }
    }
    while (this.models.size > modelsKept) {
      const [oldest, old] = this.models.entries().next().value!;
      this.models.delete(oldest);
      void old.then(disposeRunModel, () => undefined);
    }
    return parts;
  }

  private checkpointKey(parts: RunModel): string {
    return `${parts.runId}:${parts.epoch}`;
  }

  private async decodeCodes(parts: RunModel, codes: Float32Array, n: number): Promise<Float32Array> {
    if (!parts.decoder)
      throw new UserError('unsupported', `Run ${parts.runId} cannot decode codes: ${parts.decodeBlocker}`);
    const { tf } = this;
    const decoder = parts.decoder;
    const codeShape = decoder.inputs[0].shape.slice(1) as number[];
    const out = tf.tidy(() => decoder.predict(tf.tensor(codes, [n, ...codeShape])) as tfType.Tensor);
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  }

  private sources(parts: RunModel) {
    return {
      db: this.db,
      dataDir: this.dataDir,
      dataset: parts.dataset,
      shape: parts.shape,
      splitErrors: (split: Split) => this.splitErrors(parts, split),
    };
  }

  /** Every image of a split reconstructed once per checkpoint; the worst/best picks and per-class means use it. */
  private splitErrors(parts: RunModel, split: Split): Promise<SplitErrorTable> {
    const key = `${this.checkpointKey(parts)}:${split}`;
    let table = this.splitErrorCache.get(key);
    if (!table) {
      table = Promise.resolve().then(async () => {
        const { idx, labels } = splitIndex(this.db, parts.dataset.id, split);
        const cache = openPixelCache(this.dataDir, parts.dataset);
        const errors = new Float32Array(idx.length);
        const what = `Reconstructing the ${countOf(idx.length, split === 'train' ? 'training image' : 'test image')}`;
        const report = this.onStep;
        try {
          for (let start = 0; start < idx.length; start += errorChunk) {
            await this.between();
            report({ what, done: start, total: idx.length });
            const n = Math.min(errorChunk, idx.length - start);
            const inputs = toModelInput(cache.read(idx.subarray(start, start + n)));
            errors.set(
              meanSquaredErrors(inputs, (await encodeAndReconstruct(this.tf, parts, inputs, n)).outputs, n),
              start,
            );
          }
        } finally {
          cache.close();
        }
        return { cacheIndices: idx, labels, errors };
      });
      table.catch(() => this.splitErrorCache.delete(key));
      this.splitErrorCache.set(key, table);
    }
    return table;
  }

  async encode(args: EvaluationMethods['encode']['args']): Promise<EncodedImages> {
    const parts = await this.load(args);
    const batch = await resolveImages(this.sources(parts), args.images);
    const n = batch.items.length;
    const { codes } = await encodeAndReconstruct(this.tf, parts, toModelInput(batch.pixels), n);
    const d = parts.latentDims;
    return {
      epoch: parts.epoch,
      dims: d,
      codes: Array.from({ length: n }, (_, i) => Array.from(codes.subarray(i * d, (i + 1) * d))),
      items: batch.items,
    };
  }

  async modelInfo(ref: CheckpointRef): Promise<ModelInfo> {
    const parts = await this.load(ref);
    return {
      ...this.imageShape(parts),
      latentDims: parts.latentDims,
      variational: parts.variational,
      decodeBlocker: parts.decodeBlocker,
      layers: parts.layers,
      engine: this.engine,
    };
  }

  async reconstruct(query: ReconstructQuery): Promise<Reconstructions> {
    const started = performance.now();
    const parts = await this.load(query);
    const batch = await resolveImages(this.sources(parts), query.images);
    const n = batch.items.length;
    const clean = toModelInput(batch.pixels);
    let inputs = clean;
    if (query.corruption) {
      inputs = clean.slice();
      corruptBatch(inputs, n, parts.shape, query.corruption, seededRandom(query.seed ?? 1));
    }
    const { outputs } = await encodeAndReconstruct(this.tf, parts, inputs, n);
    const mse = meanSquaredErrors(clean, outputs, n);
    return {
      ...this.imageShape(parts),
      items: batch.items.map((item, i) => ({ ...item, mse: mse[i] })),
      originals: b64(batch.pixels),
      inputs: query.corruption ? b64(toBytes(inputs)) : null,
      reconstructions: b64(toBytes(outputs)),
      meanMse: mse.reduce((a, e) => a + e, 0) / Math.max(1, n),
      elapsedMs: performance.now() - started,
    };
  }

  private imageShape(parts: RunModel): CheckpointImages {
    return {
      runId: parts.runId,
      epoch: parts.epoch,
      epochs: parts.epochs,
      inside: parts.inside,
      height: parts.shape[0],
      width: parts.shape[1],
      channels: parts.shape[2] as 1 | 3,
    };
  }

  async errors(query: SplitErrorsQuery): Promise<SplitErrors> {
    const started = performance.now();
    const parts = await this.load(query);
    const table = await this.splitErrors(parts, query.split);
    const count = table.errors.length;
    if (count === 0)
      throw new UserError('not_found', `The dataset "${parts.dataset.name}" has no ${query.split} images.`);
    const sums = new Map<number, { sum: number; count: number }>();
    let total = 0;
    let max = 0;
    for (let i = 0; i < count; i++) {
      const entry = sums.get(table.labels[i]) ?? { sum: 0, count: 0 };
      entry.sum += table.errors[i];
      entry.count++;
      sums.set(table.labels[i], entry);
      total += table.errors[i];
      max = Math.max(max, table.errors[i]);
    }
    const bins = 20;
    const histogramMax = max > 0 ? max : 1;
    const histogram = new Array<number>(bins).fill(0);
    for (const e of table.errors) histogram[Math.min(bins - 1, Math.floor((e / histogramMax) * bins))]++;
    return {
      runId: parts.runId,
      epoch: parts.epoch,
      split: query.split,
      count,
      meanMse: total / count,
      perClass: [...sums.entries()]
        .sort(([a], [b]) => a - b)
        .map(([label, s]) => ({
          label,
          name: parts.dataset.classNames[label] ?? String(label),
          count: s.count,
          meanMse: s.sum / s.count,
        })),
      histogram,
      histogramMax,
      elapsedMs: performance.now() - started,
    };
  }

  /** PCA fitted on (a seeded sample of) the training images, once per dataset and number of components. */
  private async pcaBasis(dataset: DatasetRow, components: number): Promise<{ basis: PcaBasis; fittedOn: number }> {
    const key = `${dataset.id}:${components}`;
    const cached = this.pcaCache.get(key);
    if (cached) return cached;
    const { idx } = splitIndex(this.db, dataset.id, 'train');
    if (idx.length === 0) throw new UserError('not_found', `The dataset "${dataset.name}" has no training images.`);
    const d = dataset.width * dataset.height * dataset.channels;
    const take = Math.min(idx.length, pcaMaxImages, Math.max(1, Math.floor(pcaMaxValues / d)));
    const picked = take === idx.length ? idx : Int32Array.from(samplePositions(idx.length, take, 1), (i) => idx[i]);
    const cache = openPixelCache(this.dataDir, dataset);
    let rows: Float32Array;
    try {
      rows = toModelInput(cache.read(Int32Array.from(picked).sort()));
    } finally {
      cache.close();
    }
    const what = `Fitting PCA on ${countOf(take, 'training image')}`;
    const basis = await fitRandomizedPca(this.tf, rows, take, d, components, 1, (done, total) =>
      this.onStep({ what, done, total }),
    );
    const fit = { basis, fittedOn: take };
    this.pcaCache.set(key, fit);
    return fit;
  }

  async pca(query: PcaQuery): Promise<PcaComparison> {
    const started = performance.now();
    const parts = await this.load(query);
    const components = query.components ?? parts.latentDims;
    const { basis, fittedOn } = await this.pcaBasis(parts.dataset, components);
    const batch = await resolveImages(this.sources(parts), query.images);
    const n = batch.items.length;
    const inputs = toModelInput(batch.pixels);
    const ae = (await encodeAndReconstruct(this.tf, parts, inputs, n)).outputs;
    const linear = await pcaReconstruct(this.tf, basis, inputs, n);
    const aeMse = meanSquaredErrors(inputs, ae, n);
    const pcaMse = meanSquaredErrors(inputs, linear, n);
    return {
      ...this.imageShape(parts),
      components: basis.k,
      fittedOn,
      explainedVariance: basis.explainedVariance,
      items: batch.items.map((item, i) => ({ ...item, mse: aeMse[i], pcaMse: pcaMse[i] })),
      originals: b64(batch.pixels),
      reconstructions: b64(toBytes(ae)),
      pcaReconstructions: b64(toBytes(linear)),
      test: await this.testComparison(parts, basis),
      elapsedMs: performance.now() - started,
    };
  }

  /** Both methods' mean error over the whole test split. */
  private async testComparison(parts: RunModel, basis: PcaBasis): Promise<PcaComparison['test']> {
    const table = await this.splitErrors(parts, 'test');
    const count = table.errors.length;
    if (count === 0) return { count: 0, aeMse: 0, pcaMse: 0 };
    const cache = openPixelCache(this.dataDir, parts.dataset);
    let pcaSum = 0;
    const what = `Reconstructing the ${countOf(count, 'test image')} with PCA`;
    try {
      for (let start = 0; start < count; start += 1024) {
        this.onStep({ what, done: start, total: count });
        const n = Math.min(1024, count - start);
        const inputs = toModelInput(cache.read(table.cacheIndices.subarray(start, start + n)));
        pcaSum += meanSquaredErrors(inputs, await pcaReconstruct(this.tf, basis, inputs, n), n).reduce(
          (a, e) => a + e,
          0,
        );
      }
    } finally {
      cache.close();
    }
    return { count, aeMse: table.errors.reduce((a, e) => a + e, 0) / count, pcaMse: pcaSum / count };
  }

  /** The first layer with weights: a dense layer's units or a conv layer's kernels, each as a small image. */
  async filters(ref: CheckpointRef): Promise<Filters> {
    const parts = await this.load(ref);
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
        throw new UserError(
          'unsupported',
          `The first dense layer of run ${parts.runId} does not read the image pixels.`,
        );
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

  async activations(query: ActivationsQuery): Promise<Activations> {
    const parts = await this.load(query);
    const layer = parts.model.layers.find((l) => l.name === query.layer);
    if (!layer) {
      throw new UserError('not_found', `Run ${parts.runId}'s model has no layer "${query.layer}".`);
    }
    const batch = datasetImages(this.sources(parts), query.cacheIndices);
    const n = batch.items.length;
    const { tf } = this;
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

  /** Mean and spread of the training images' codes (a seeded sample), and their covariance's Cholesky factor. */
  private async codeDistribution(parts: RunModel): Promise<CodeDistribution> {
    const key = this.checkpointKey(parts);
    const cached = this.codeCache.get(key);
    if (cached) return cached;
    const { idx } = splitIndex(this.db, parts.dataset.id, 'train');
    if (idx.length === 0)
      throw new UserError('not_found', `The dataset "${parts.dataset.name}" has no training images.`);
    const d = parts.latentDims;
    const picked = Array.from(samplePositions(idx.length, codeSampleSize(d), 7), (i) => idx[i]).sort((a, b) => a - b);
    const n = picked.length;
    this.onStep({ what: `Encoding ${countOf(n, 'training image')} to fit the codes' spread`, done: 0, total: n });
    const batch = datasetImages(this.sources(parts), picked);
    const { codes } = await encodeAndReconstruct(this.tf, parts, toModelInput(batch.pixels), n);
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += codes[i * d + j] / n;
    const std = new Float64Array(d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) std[j] += (codes[i * d + j] - mean[j]) ** 2 / Math.max(1, n - 1);
    let cholesky: Matrix | null = null;
    if (d <= fullCovarianceDims && n > d) {
      const cov = new Matrix(d, d);
      for (let i = 0; i < n; i++) {
        for (let a = 0; a < d; a++) {
          const da = codes[i * d + a] - mean[a];
          for (let b = 0; b <= a; b++) cov.set(a, b, cov.get(a, b) + (da * (codes[i * d + b] - mean[b])) / (n - 1));
        }
      }
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < a; b++) cov.set(b, a, cov.get(a, b));
        // A little ridge keeps a collapsed dimension from making the factorisation fail.
        cov.set(a, a, cov.get(a, a) + 1e-6 * (1 + std[a]));
      }
      const factor = new CholeskyDecomposition(cov);
      if (factor.isPositiveDefinite()) cholesky = factor.lowerTriangularMatrix;
    }
    for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]);
    const distribution = { mean, std, cholesky };
    this.codeCache.set(key, distribution);
    return distribution;
  }

  private async codesFor(parts: RunModel, recipe: CodeRecipe): Promise<{ codes: Float32Array; count: number }> {
    const d = parts.latentDims;
    switch (recipe.kind) {
      case 'codes': {
        const wrong = recipe.codes.find((code) => code.length !== d);
        if (wrong) {
          throw new UserError('invalid_argument', `Run ${parts.runId}'s codes have ${d} numbers, not ${wrong.length}.`);
        }
        return { codes: Float32Array.from(recipe.codes.flat()), count: recipe.codes.length };
      }
      case 'random': {
        const normal = seededNormal(recipe.seed);
        const codes = new Float32Array(recipe.count * d);
        const fitted = parts.variational ? null : await this.codeDistribution(parts);
        for (let i = 0; i < recipe.count; i++) {
          const e = Array.from({ length: d }, normal);
          for (let j = 0; j < d; j++) {
            if (!fitted) codes[i * d + j] = e[j];
            else if (fitted.cholesky) {
              let sum = fitted.mean[j];
              for (let k = 0; k <= j; k++) sum += fitted.cholesky.get(j, k) * e[k];
              codes[i * d + j] = sum;
            } else codes[i * d + j] = fitted.mean[j] + fitted.std[j] * e[j];
          }
        }
        return { codes, count: recipe.count };
      }
      case 'perturb': {
        const base = await this.codeOf(parts, recipe.cacheIndex);
        const spread = (await this.codeDistribution(parts)).std;
        const normal = seededNormal(recipe.seed);
        const codes = new Float32Array(recipe.count * d);
        for (let i = 0; i < recipe.count; i++) {
          for (let j = 0; j < d; j++) codes[i * d + j] = base[j] + recipe.scale * spread[j] * normal();
        }
        return { codes, count: recipe.count };
      }
      case 'interpolate': {
        const from = await this.codeOf(parts, recipe.from);
        const to = await this.codeOf(parts, recipe.to);
        const codes = new Float32Array(recipe.steps * d);
        for (let s = 0; s < recipe.steps; s++) {
          const t = s / (recipe.steps - 1);
          for (let j = 0; j < d; j++) codes[s * d + j] = (1 - t) * from[j] + t * to[j];
        }
        return { codes, count: recipe.steps };
      }
    }
  }

  private async codeOf(parts: RunModel, cacheIndex: number): Promise<Float32Array> {
    const batch: ImageBatch = datasetImages(this.sources(parts), [cacheIndex]);
    return (await encodeAndReconstruct(this.tf, parts, toModelInput(batch.pixels), 1)).codes;
  }

  async decode(query: DecodeQuery): Promise<DecodedCodes> {
    const started = performance.now();
    const parts = await this.load(query);
    if (!parts.decoder)
      throw new UserError('unsupported', `Run ${parts.runId} cannot decode codes: ${parts.decodeBlocker}`);
    const { codes, count } = await this.codesFor(parts, query.recipe);
    const images = await this.decodeCodes(parts, codes, count);
    const distribution = parts.variational
      ? { mean: new Float64Array(parts.latentDims), std: new Float64Array(parts.latentDims).fill(1) }
      : await this.codeDistribution(parts);
    return {
      runId: parts.runId,
      epoch: parts.epoch,
      dims: parts.latentDims,
      codes: b64(codes),
      count,
      height: parts.shape[0],
      width: parts.shape[1],
      channels: parts.shape[2] as 1 | 3,
      images: b64(toBytes(images)),
      codeMean: Array.from(distribution.mean),
      codeStd: Array.from(distribution.std),
      elapsedMs: performance.now() - started,
    };
  }
}

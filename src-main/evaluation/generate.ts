import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type * as tfType from '@tensorflow/tfjs';
import { splitIndex } from '../store/images';
import { UserError } from '../api/errors';
import { countOf } from '../api/units';
import type { CodeRecipe, DecodedCodes, DecodeQuery } from '../api/contract';
import { seededNormal } from '../app/random';
import { datasetImages, samplePositions, type ImageBatch } from './eval-images';
import { encodeAndReconstruct, toModelInput, type RunModel } from './run-model';
import { imageSources, type EvaluationContext } from './evaluation-context';
import { checkpointKey } from './model-cache';
import { b64, toBytes } from './image-bytes';
import type { RequestScope } from './request-scope';

/**
 * Training codes fitted to for the random codes of a plain AE: enough for a good covariance estimate (20 per number
 * in the code), at least 200, at most 2,000 — encoding more only makes the playground slower to open.
 */
const codeSampleSize = (dims: number) => Math.min(2_000, Math.max(200, 20 * dims));
/** Beyond this many numbers per code, random codes use each dimension's own spread instead of a full covariance. */
const fullCovarianceDims = 128;

interface CodeDistribution {
  mean: Float64Array;
  std: Float64Array;
  /** Lower-triangular L with LLᵀ = covariance, or null to draw each dimension on its own. */
  cholesky: Matrix | null;
}

/**
 * The playground: codes typed, drawn at random (from the training codes' spread for a plain AE, N(0, 1) for a VAE),
 * perturbed or interpolated, and decoded to images. The training codes' distribution is kept per checkpoint.
 */
export class CodeGenerator {
  private readonly distributions = new Map<string, CodeDistribution>();

  constructor(private readonly ctx: EvaluationContext) {}

  async decode(query: DecodeQuery, scope: RequestScope): Promise<DecodedCodes> {
    const started = performance.now();
    const parts = await this.ctx.models.load(query);
    if (!parts.decoder)
      throw new UserError('unsupported', `Run ${parts.runId} cannot decode codes: ${parts.decodeBlocker}`);
    const { codes, count } = await this.codesFor(parts, query.recipe, scope);
    const images = await this.decodeCodes(parts, codes, count);
    const distribution = parts.variational
      ? { mean: new Float64Array(parts.latentDims), std: new Float64Array(parts.latentDims).fill(1) }
      : await this.codeDistribution(parts, scope);
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

  private async decodeCodes(parts: RunModel, codes: Float32Array, n: number): Promise<Float32Array> {
    if (!parts.decoder)
      throw new UserError('unsupported', `Run ${parts.runId} cannot decode codes: ${parts.decodeBlocker}`);
    const { tf } = this.ctx;
    const decoder = parts.decoder;
    const codeShape = decoder.inputs[0].shape.slice(1) as number[];
    const out = tf.tidy(() => decoder.predict(tf.tensor(codes, [n, ...codeShape])) as tfType.Tensor);
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  }

  /** Mean and spread of the training images' codes (a seeded sample), and their covariance's Cholesky factor. */
  private async codeDistribution(parts: RunModel, scope: RequestScope): Promise<CodeDistribution> {
    const key = checkpointKey(parts);
    const cached = this.distributions.get(key);
    if (cached) return cached;
    const { idx } = splitIndex(this.ctx.db, parts.dataset.id, 'train');
    if (idx.length === 0)
      throw new UserError('not_found', `The dataset "${parts.dataset.name}" has no training images.`);
    const d = parts.latentDims;
    const picked = Array.from(samplePositions(idx.length, codeSampleSize(d), 7), (i) => idx[i]).sort((a, b) => a - b);
    const n = picked.length;
    scope.report({ what: `Encoding ${countOf(n, 'training image')} to fit the codes' spread`, done: 0, total: n });
    const batch = datasetImages(imageSources(this.ctx, parts, scope), picked);
    const { codes } = await encodeAndReconstruct(this.ctx.tf, parts, toModelInput(batch.pixels), n);
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
    this.distributions.set(key, distribution);
    return distribution;
  }

  private async codesFor(
    parts: RunModel,
    recipe: CodeRecipe,
    scope: RequestScope,
  ): Promise<{ codes: Float32Array; count: number }> {
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
        const fitted = parts.variational ? null : await this.codeDistribution(parts, scope);
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
        const base = await this.codeOf(parts, scope, recipe.cacheIndex);
        const spread = (await this.codeDistribution(parts, scope)).std;
        const normal = seededNormal(recipe.seed);
        const codes = new Float32Array(recipe.count * d);
        for (let i = 0; i < recipe.count; i++) {
          for (let j = 0; j < d; j++) codes[i * d + j] = base[j] + recipe.scale * spread[j] * normal();
        }
        return { codes, count: recipe.count };
      }
      case 'interpolate': {
        const from = await this.codeOf(parts, scope, recipe.from);
        const to = await this.codeOf(parts, scope, recipe.to);
        const codes = new Float32Array(recipe.steps * d);
        for (let s = 0; s < recipe.steps; s++) {
          const t = s / (recipe.steps - 1);
          for (let j = 0; j < d; j++) codes[s * d + j] = (1 - t) * from[j] + t * to[j];
        }
        return { codes, count: recipe.steps };
      }
    }
  }

  private async codeOf(parts: RunModel, scope: RequestScope, cacheIndex: number): Promise<Float32Array> {
    const batch: ImageBatch = datasetImages(imageSources(this.ctx, parts, scope), [cacheIndex]);
    return (await encodeAndReconstruct(this.ctx.tf, parts, toModelInput(batch.pixels), 1)).codes;
  }
}

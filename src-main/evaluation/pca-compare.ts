import type { DatasetRow } from '../store/datasets';
import { splitIndex } from '../store/images';
import { openPixelCache } from '../datasets/dataset-store';
import { UserError } from '../api/errors';
import { countOf } from '../api/units';
import type { PcaComparison, PcaQuery } from '../api/contract';
import { resolveImages, samplePositions } from './eval-images';
import { encodeAndReconstruct, meanSquaredErrors, toModelInput, type RunModel } from './run-model';
import { imageQuality } from '../app/image-quality';
import { fitRandomizedPca, pcaReconstruct, type PcaBasis } from './pca-baseline';
import { imageShape, imageSources, type EvaluationContext } from './evaluation-context';
import { b64, toBytes } from './image-bytes';
import type { RequestScope } from './request-scope';

/** PCA is fitted on at most this many training images, and on no more than this many pixel values in all. */
const pcaMaxImages = 20_000;
const pcaMaxValues = 32_000_000;
/** Test images per chunk of PCA's reconstruction of the whole test split. */
const testChunk = 1024;

/**
 * The linear baseline: PCA with as many components as the code has numbers, against the autoencoder, on the same
 * images and on the whole test split. Fits are kept per dataset and component count.
 */
export class PcaComparer {
  private readonly fits = new Map<string, { basis: PcaBasis; fittedOn: number }>();

  constructor(private readonly ctx: EvaluationContext) {}

  async compare(query: PcaQuery, scope: RequestScope): Promise<PcaComparison> {
    const { ctx } = this;
    const started = performance.now();
    const parts = await ctx.models.load(query);
    const components = query.components ?? parts.latentDims;
    const { basis, fittedOn } = await this.fit(parts.dataset, components, scope);
    const batch = await resolveImages(imageSources(ctx, parts, scope), query.images);
    const n = batch.items.length;
    const inputs = toModelInput(batch.pixels);
    const ae = (await encodeAndReconstruct(ctx.tf, parts, inputs, n)).outputs;
    const linear = await pcaReconstruct(ctx.tf, basis, inputs, n);
    const quality = imageQuality(inputs, ae, n, parts.shape);
    const pcaMse = meanSquaredErrors(inputs, linear, n);
    return {
      ...imageShape(parts),
      components: basis.k,
      fittedOn,
      explainedVariance: basis.explainedVariance,
      items: batch.items.map((item, i) => ({
        ...item,
        mse: quality.mse[i],
        psnr: quality.psnr[i],
        ssim: quality.ssim ? quality.ssim[i] : null,
        pcaMse: pcaMse[i],
      })),
      originals: b64(batch.pixels),
      reconstructions: b64(toBytes(ae)),
      pcaReconstructions: b64(toBytes(linear)),
      test: await this.testComparison(parts, basis, scope),
      elapsedMs: performance.now() - started,
    };
  }

  /** PCA fitted on (a seeded sample of) the training images, once per dataset and number of components. */
  private async fit(
    dataset: DatasetRow,
    components: number,
    scope: RequestScope,
  ): Promise<{ basis: PcaBasis; fittedOn: number }> {
    const key = `${dataset.id}:${components}`;
    const cached = this.fits.get(key);
    if (cached) return cached;
    const { idx } = splitIndex(this.ctx.db, dataset.id, 'train');
    if (idx.length === 0) throw new UserError('not_found', `The dataset "${dataset.name}" has no training images.`);
    const d = dataset.width * dataset.height * dataset.channels;
    const take = Math.min(idx.length, pcaMaxImages, Math.max(1, Math.floor(pcaMaxValues / d)));
    const picked = take === idx.length ? idx : Int32Array.from(samplePositions(idx.length, take, 1), (i) => idx[i]);
    const cache = openPixelCache(this.ctx.dataDir, dataset);
    let rows: Float32Array;
    try {
      rows = toModelInput(cache.read(Int32Array.from(picked).sort()));
    } finally {
      cache.close();
    }
    const what = `Fitting PCA on ${countOf(take, 'training image')}`;
    const basis = await fitRandomizedPca(this.ctx.tf, rows, take, d, components, 1, (done, total) => {
      scope.report({ what, done, total });
      return scope.letIn();
    });
    const fit = { basis, fittedOn: take };
    this.fits.set(key, fit);
    return fit;
  }

  /** Both methods' mean error over the whole test split. */
  private async testComparison(parts: RunModel, basis: PcaBasis, scope: RequestScope): Promise<PcaComparison['test']> {
    const { ctx } = this;
    const table = await ctx.tables.table(parts, 'test', scope);
    const count = table.errors.length;
    if (count === 0) return { count: 0, aeMse: 0, pcaMse: 0 };
    const cache = openPixelCache(ctx.dataDir, parts.dataset);
    let pcaSum = 0;
    const what = `Reconstructing the ${countOf(count, 'test image')} with PCA`;
    try {
      for (let start = 0; start < count; start += testChunk) {
        await scope.between();
        scope.report({ what, done: start, total: count });
        const n = Math.min(testChunk, count - start);
        const inputs = toModelInput(cache.read(table.cacheIndices.subarray(start, start + n)));
        const errors = meanSquaredErrors(inputs, await pcaReconstruct(ctx.tf, basis, inputs, n), n);
        pcaSum += errors.reduce((a, e) => a + e, 0);
      }
    } finally {
      cache.close();
    }
    return { count, aeMse: table.errors.reduce((a, e) => a + e, 0) / count, pcaMse: pcaSum / count };
  }
}

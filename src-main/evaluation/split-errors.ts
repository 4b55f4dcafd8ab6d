import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import { splitIndex } from '../store/images';
import { openPixelCache } from '../datasets/dataset-store';
import { UserError } from '../api/errors';
import { countOf } from '../api/units';
import type { Split, SplitErrors, SplitErrorsQuery } from '../api/contract';
import type { SplitErrorTable } from './eval-images';
import { encodeAndReconstruct, toModelInput, type RunModel } from './run-model';
import { imageQuality, ssimMinSide } from '../app/image-quality';
import { checkpointKey, type ModelCache } from './model-cache';
import type { RequestScope } from './request-scope';

/** Images per chunk of a whole split's reconstruction: short enough that a gallery asked for meanwhile waits little. */
const errorChunk = 128;

/**
 * Every image of a split reconstructed once per checkpoint (seconds to minutes on a large set): the error chart, the
 * worst/best picks, per-class means and PCA's test comparison read it.
 */
export class SplitErrorTables {
  private readonly tables = new Map<string, { table: Promise<SplitErrorTable>; signal: AbortSignal }>();

  constructor(
    private readonly tf: typeof tfType,
    private readonly db: Database,
    private readonly dataDir: string,
  ) {}

  async table(parts: RunModel, split: Split, scope: RequestScope): Promise<SplitErrorTable> {
    const key = `${checkpointKey(parts)}:${split}`;
    for (;;) {
      let entry = this.tables.get(key);
      if (!entry) {
        const table = this.compute(parts, split, scope);
        entry = { table, signal: scope.signal };
        table.catch(() => this.tables.delete(key));
        this.tables.set(key, entry);
      }
      try {
        return await entry.table;
      } catch (err) {
        // Another request began this table and was cancelled: this one, not cancelled, computes it afresh.
        if (entry.signal === scope.signal || !entry.signal.aborted || scope.signal.aborted) throw err;
      }
    }
  }

  private async compute(parts: RunModel, split: Split, scope: RequestScope): Promise<SplitErrorTable> {
    await Promise.resolve();
    const { idx, labels } = splitIndex(this.db, parts.dataset.id, split);
    const cache = openPixelCache(this.dataDir, parts.dataset);
    const errors = new Float32Array(idx.length);
    const psnr = new Float32Array(idx.length);
    const [height, width] = parts.shape;
    const ssim = height >= ssimMinSide && width >= ssimMinSide ? new Float32Array(idx.length) : null;
    const what = `Reconstructing the ${countOf(idx.length, split === 'train' ? 'training image' : 'test image')}`;
    try {
      for (let start = 0; start < idx.length; start += errorChunk) {
        await scope.between();
        scope.report({ what, done: start, total: idx.length });
        const n = Math.min(errorChunk, idx.length - start);
        const inputs = toModelInput(cache.read(idx.subarray(start, start + n)));
        const { outputs } = await encodeAndReconstruct(this.tf, parts, inputs, n);
        const quality = imageQuality(inputs, outputs, n, parts.shape);
        errors.set(quality.mse, start);
        psnr.set(quality.psnr, start);
        if (ssim && quality.ssim) ssim.set(quality.ssim, start);
      }
    } finally {
      cache.close();
    }
    return { cacheIndices: idx, labels, errors, psnr, ssim };
  }
}

/** A split's reconstruction errors summed up: the mean, per class, and a histogram. */
export async function splitErrors(
  models: ModelCache,
  tables: SplitErrorTables,
  query: SplitErrorsQuery,
  scope: RequestScope,
): Promise<SplitErrors> {
  const started = performance.now();
  const parts = await models.load(query);
  const table = await tables.table(parts, query.split, scope);
  const count = table.errors.length;
  if (count === 0)
    throw new UserError('not_found', `The dataset "${parts.dataset.name}" has no ${query.split} images.`);
  const sums = new Map<number, { sum: number; psnr: number; ssim: number; count: number }>();
  const total = { sum: 0, psnr: 0, ssim: 0, count };
  let max = 0;
  for (let i = 0; i < count; i++) {
    const entry = sums.get(table.labels[i]) ?? { sum: 0, psnr: 0, ssim: 0, count: 0 };
    for (const s of [entry, total]) {
      s.sum += table.errors[i];
      s.psnr += table.psnr[i];
      s.ssim += table.ssim?.[i] ?? 0;
    }
    entry.count++;
    sums.set(table.labels[i], entry);
    max = Math.max(max, table.errors[i]);
  }
  const means = (s: { sum: number; psnr: number; ssim: number; count: number }) => ({
    meanMse: s.sum / s.count,
    meanPsnr: s.psnr / s.count,
    meanSsim: table.ssim ? s.ssim / s.count : null,
  });
  const bins = 20;
  const histogramMax = max > 0 ? max : 1;
  const histogram = new Array<number>(bins).fill(0);
  for (const e of table.errors) histogram[Math.min(bins - 1, Math.floor((e / histogramMax) * bins))]++;
  return {
    runId: parts.runId,
    epoch: parts.epoch,
    split: query.split,
    count,
    ...means(total),
    perClass: [...sums.entries()]
      .sort(([a], [b]) => a - b)
      .map(([label, s]) => ({
        label,
        name: parts.dataset.classNames[label] ?? String(label),
        count: s.count,
        ...means(s),
      })),
    histogram,
    histogramMax,
    elapsedMs: performance.now() - started,
  };
}

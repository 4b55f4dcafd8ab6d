import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import { splitIndex } from '../store/images';
import { openPixelCache } from '../datasets/dataset-store';
import { UserError } from '../api/errors';
import { countOf } from '../api/units';
import type { Split, SplitErrors, SplitErrorsQuery } from '../api/contract';
import type { SplitErrorTable } from './eval-images';
import { encodeAndReconstruct, meanSquaredErrors, toModelInput, type RunModel } from './run-model';
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
    const what = `Reconstructing the ${countOf(idx.length, split === 'train' ? 'training image' : 'test image')}`;
    try {
      for (let start = 0; start < idx.length; start += errorChunk) {
        await scope.between();
        scope.report({ what, done: start, total: idx.length });
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

import type * as tfType from '@tensorflow/tfjs';
import type { Database } from '../store/database';
import type { LatentJobArgs, LatentProgress } from '../api/contract';
import { ensureEmbedding } from './encode';
import { computeProjection } from './project';

export type LatentStep = Pick<LatentProgress, 'phase' | 'done' | 'total'>;

export interface LatentJobContext {
  tf: typeof tfType;
  db: Database;
  dataDir: string;
  signal: AbortSignal;
  onProgress(step: LatentStep): void;
}

export interface LatentJobResult {
  embeddingId: number;
  projectionId: number | null;
}

/** Encodes a run's images (or reuses the stored codes) and, when asked, lays them out in 2-D. */
export async function runLatentJob(ctx: LatentJobContext, args: LatentJobArgs): Promise<LatentJobResult> {
  const { tf, db, dataDir, signal } = ctx;
  const embedding = await ensureEmbedding(
    { tf, db, dataDir, signal, onProgress: (done, total) => ctx.onProgress({ phase: 'encoding', done, total }) },
    args.runId,
    args.split,
    args.epoch,
    args.sample,
  );
  if (!args.projection) return { embeddingId: embedding.id, projectionId: null };
  const projection = await computeProjection(
    { db, dataDir, signal, onProgress: (phase, done, total) => ctx.onProgress({ phase, done, total }) },
    embedding,
    args.projection,
  );
  return { embeddingId: embedding.id, projectionId: projection.id };
}

import { statement, type Database } from './database';
import type { EmbeddingSample, EmbeddingSplit, ProjectionMethod } from '../api/contract';

export type { EmbeddingSample, EmbeddingSplit, ProjectionMethod };

/** A sample as the key's text: '' for the whole split, 'random:500:1', 'per-class:50:1'. */
export function sampleKey(sample: EmbeddingSample | undefined | null): string {
  return sample ? `${sample.perClass ? 'per-class' : 'random'}:${sample.count}:${sample.seed}` : '';
}

/** The sample a key names; null for the whole split. */
export function sampleOfKey(key: string): EmbeddingSample | null {
  const [kind, count, seed] = key.split(':');
  return key ? { count: Number(count), perClass: kind === 'per-class', seed: Number(seed) } : null;
}

export interface EmbeddingRow {
  id: number;
  runId: number;
  epoch: number;
  split: EmbeddingSplit;
  /** sampleKey of the sample the codes are of; '' for the whole split. */
  sample: string;
  count: number;
  dims: number;
  /** Relative to the data folder; the files are `path`.f32, .idx and .err (see latent/latent-files.ts). */
  path: string;
  elapsedMs: number;
  createdAt: string;
}

export interface ProjectionRow {
  id: number;
  embeddingId: number;
  method: ProjectionMethod;
  /** JSON of the method's parameters. */
  params: string;
  /** Relative to the data folder: count x 2 float32. */
  path: string;
  /** JSON: what the method reports (PCA's explained variance…). */
  meta: string;
  elapsedMs: number;
  createdAt: string;
}

const embeddingColumns =
  'id, run_id AS runId, epoch, split, sample, count, dims, path, elapsed_ms AS elapsedMs, created_at AS createdAt';
const projectionColumns =
  'id, embedding_id AS embeddingId, method, params, path, meta, elapsed_ms AS elapsedMs, created_at AS createdAt';

/** Stores (or replaces) the row of a run's codes for a split at an epoch; read it back with findEmbedding. */
export function insertEmbedding(db: Database, row: Omit<EmbeddingRow, 'id' | 'createdAt'>): void {
  // An upsert: two jobs that encoded the same split write the same files, and the last row wins.
  statement(
    db,
    `INSERT INTO embeddings (run_id, epoch, split, sample, count, dims, path, elapsed_ms, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, epoch, split, sample) DO UPDATE SET count = excluded.count, dims = excluded.dims,
       path = excluded.path, elapsed_ms = excluded.elapsed_ms, created_at = excluded.created_at`,
  ).run(
    row.runId,
    row.epoch,
    row.split,
    row.sample,
    row.count,
    row.dims,
    row.path,
    row.elapsedMs,
    new Date().toISOString(),
  );
}

export function findEmbedding(
  db: Database,
  runId: number,
  epoch: number,
  split: EmbeddingSplit,
  sample = '',
): EmbeddingRow | undefined {
  return statement(
    db,
    `SELECT ${embeddingColumns} FROM embeddings WHERE run_id = ? AND epoch = ? AND split = ? AND sample = ?`,
  ).get(runId, epoch, split, sample) as EmbeddingRow | undefined;
}

export function getEmbedding(db: Database, id: number): EmbeddingRow | undefined {
  return statement(db, `SELECT ${embeddingColumns} FROM embeddings WHERE id = ?`).get(id) as EmbeddingRow | undefined;
}

export function listEmbeddings(db: Database, runId: number): EmbeddingRow[] {
  return statement(db, `SELECT ${embeddingColumns} FROM embeddings WHERE run_id = ? ORDER BY id`).all(
    runId,
  ) as EmbeddingRow[];
}

export function insertProjection(db: Database, row: Omit<ProjectionRow, 'id' | 'createdAt'>): number {
  return Number(
    statement(
      db,
      `INSERT INTO projections (embedding_id, method, params, path, meta, elapsed_ms, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(row.embeddingId, row.method, row.params, row.path, row.meta, row.elapsedMs, new Date().toISOString())
      .lastInsertRowid,
  );
}

export function getProjection(db: Database, id: number): ProjectionRow | undefined {
  return statement(db, `SELECT ${projectionColumns} FROM projections WHERE id = ?`).get(id) as
    ProjectionRow | undefined;
}

/** A run's projections, newest first. */
export function listProjections(db: Database, runId: number): ProjectionRow[] {
  return statement(
    db,
    `SELECT p.id, p.embedding_id AS embeddingId, p.method, p.params, p.path, p.meta, p.elapsed_ms AS elapsedMs,
       p.created_at AS createdAt
     FROM projections p JOIN embeddings e ON e.id = p.embedding_id WHERE e.run_id = ? ORDER BY p.id DESC`,
  ).all(runId) as ProjectionRow[];
}

import { statement, type Database } from './database';
import type { Split } from './datasets';

export interface ImageRow {
  id: number;
  idx: number;
  split: Split;
  label: number;
  fileName: string;
  origWidth: number | null;
  origHeight: number | null;
}

export interface NewImage {
  idx: number;
  split: Split;
  label: number;
  fileName: string;
  contentHash?: string | null;
  origWidth?: number | null;
  origHeight?: number | null;
}

const columns = 'id, idx, split, label, file_name AS fileName, orig_width AS origWidth, orig_height AS origHeight';

/** Inserts many image rows; call inside the import's transaction. */
export function insertImages(db: Database, datasetId: number, images: Iterable<NewImage>): void {
  const insert = statement(
    db,
    `INSERT INTO images (dataset_id, idx, split, label, file_name, content_hash, orig_width, orig_height)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const image of images) {
    insert.run(
      datasetId,
      image.idx,
      image.split,
      image.label,
      image.fileName,
      image.contentHash ?? null,
      image.origWidth ?? null,
      image.origHeight ?? null,
    );
  }
}

export function countImages(db: Database, datasetId: number, split?: Split): number {
  const row = split
    ? statement(db, 'SELECT count(*) AS n FROM images WHERE dataset_id = ? AND split = ?').get(datasetId, split)
    : statement(db, 'SELECT count(*) AS n FROM images WHERE dataset_id = ?').get(datasetId);
  return (row as { n: number }).n;
}

/** Per-split, per-label image counts. */
export function classCounts(db: Database, datasetId: number): Array<{ split: Split; label: number; count: number }> {
  return statement(
    db,
    `SELECT split, label, count(*) AS count FROM images WHERE dataset_id = ?
       GROUP BY split, label ORDER BY split, label`,
  ).all(datasetId) as Array<{ split: Split; label: number; count: number }>;
}

/** One page of a split in pixel-cache order, optionally of one class only. */
export function listImages(
  db: Database,
  datasetId: number,
  split: Split,
  offset: number,
  limit: number,
  label?: number,
): ImageRow[] {
  if (label === undefined) {
    return statement(
      db,
      `SELECT ${columns} FROM images WHERE dataset_id = ? AND split = ? ORDER BY idx LIMIT ? OFFSET ?`,
    ).all(datasetId, split, limit, offset) as ImageRow[];
  }
  return statement(
    db,
    `SELECT ${columns} FROM images WHERE dataset_id = ? AND split = ? AND label = ? ORDER BY idx LIMIT ? OFFSET ?`,
  ).all(datasetId, split, label, limit, offset) as ImageRow[];
}

export function countImagesOfLabel(db: Database, datasetId: number, split: Split, label: number): number {
  return (
    statement(db, 'SELECT count(*) AS n FROM images WHERE dataset_id = ? AND split = ? AND label = ?').get(
      datasetId,
      split,
      label,
    ) as { n: number }
  ).n;
}

/** Pixel-cache positions and labels of a whole split, in cache order (for training). */
export function splitIndex(db: Database, datasetId: number, split: Split): { idx: Int32Array; labels: Int32Array } {
  const rows = statement(db, 'SELECT idx, label FROM images WHERE dataset_id = ? AND split = ? ORDER BY idx')
    .raw()
    .all(datasetId, split) as Array<[number, number]>;
  const idx = new Int32Array(rows.length);
  const labels = new Int32Array(rows.length);
  rows.forEach(([i, label], k) => {
    idx[k] = i;
    labels[k] = label;
  });
  return { idx, labels };
}

/** Image rows at the given pixel-cache positions, in the order asked for. */
export function getImagesAt(db: Database, datasetId: number, cacheIndices: readonly number[]): ImageRow[] {
  const at = statement(db, `SELECT ${columns} FROM images WHERE dataset_id = ? AND idx = ?`);
  return cacheIndices.map((idx) => at.get(datasetId, idx) as ImageRow | undefined).filter((row) => row !== undefined);
}

/** Split, label and file name of every image of a dataset, indexed by pixel-cache position (for maps and CSVs). */
export function imagesByCacheIndex(
  db: Database,
  datasetId: number,
): Map<number, { split: Split; label: number; fileName: string }> {
  const rows = statement(db, 'SELECT idx, split, label, file_name FROM images WHERE dataset_id = ?')
    .raw()
    .all(datasetId) as Array<[number, Split, number, string]>;
  return new Map(rows.map(([idx, split, label, fileName]) => [idx, { split, label, fileName }]));
}

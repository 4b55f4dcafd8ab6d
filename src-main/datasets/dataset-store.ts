import { mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Database } from '../store/database';
import * as datasets from '../store/datasets';
import * as images from '../store/images';
import { writeFileAtomic } from '../app/files';
import { dataLayout } from '../app/paths';
import { UserError } from '../api/errors';
import { PixelCache } from './pixel-cache';

export type NewDataset = Pick<datasets.DatasetRow, 'name' | 'source' | 'width' | 'height' | 'channels' | 'classNames'>;

/**
 * Stores a whole dataset or nothing. The row is first written as 'importing' (so a crash leaves a marker that
 * start-up clean-up removes), then the pixel file, then the image rows and the 'ready' flag in one transaction.
 */
export function createDataset(
  db: Database,
  dataDir: string,
  spec: NewDataset,
  imageRows: readonly images.NewImage[],
  pixels: readonly Uint8Array[],
): number {
  if (datasets.findDatasetByName(db, spec.name)) {
    throw new UserError('conflict', `A dataset named "${spec.name}" already exists. Choose another name.`);
  }
  const id = datasets.insertDataset(db, { ...spec, pixelFile: '' });
  const datasetDir = dataLayout(dataDir).datasetDir(id);
  try {
    mkdirSync(datasetDir, { recursive: true });
    const pixelFile = join(datasetDir, 'pixels.u8');
    writeFileAtomic(pixelFile, pixels);
    db.transaction(() => {
      images.insertImages(db, id, imageRows);
      db.prepare('UPDATE datasets SET pixel_file = ? WHERE id = ?').run(relative(dataDir, pixelFile), id);
      datasets.markDatasetReady(db, id);
    })();
    return id;
  } catch (err) {
    discardDataset(db, dataDir, id);
    throw err;
  }
}

/** Removes a dataset's rows and files; used for failed imports and crash leftovers. */
export function discardDataset(db: Database, dataDir: string, id: number): void {
  db.transaction(() => {
    db.prepare('DELETE FROM images WHERE dataset_id = ?').run(id);
    datasets.deleteDatasetRow(db, id);
  })();
  rmSync(dataLayout(dataDir).datasetDir(id), { recursive: true, force: true });
}

export function removeUnfinishedDatasets(db: Database, dataDir: string): void {
  for (const leftover of datasets.listUnfinishedDatasets(db)) discardDataset(db, dataDir, leftover.id);
}

export function openPixelCache(dataDir: string, dataset: datasets.DatasetRow): PixelCache {
  return new PixelCache(join(dataDir, dataset.pixelFile), dataset.width * dataset.height * dataset.channels);
}

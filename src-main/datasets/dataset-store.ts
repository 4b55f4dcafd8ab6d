import { mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Database } from '../store/database';
import * as datasets from '../store/datasets';
import * as images from '../store/images';
import * as runs from '../store/runs';
import { AtomicFileWriter } from '../app/files';
import { requireFreeSpace } from '../app/storage-errors';
import { dataLayout } from '../app/paths';
import { UserError } from '../api/errors';
import { PixelCache } from './pixel-cache';

export type NewDataset = Pick<datasets.DatasetRow, 'name' | 'source' | 'width' | 'height' | 'channels' | 'classNames'>;
export type NewImageRow = Omit<images.NewImage, 'idx'>;

/**
 * Builds one dataset, image by image, so that it is stored whole or not at all. The row is first written as
 * 'importing' with this process as its owner (a crash leaves a marker that start-up clean-up removes once the owner
 * is gone); pixels stream into a temporary file, so memory does not grow with the dataset; commit renames the file
 * into place and adds the image rows and the 'ready' flag in one transaction.
 */
export class DatasetWriter {
  readonly id: number;
  private readonly dir: string;
  private readonly pixels: AtomicFileWriter;
  private readonly rows: images.NewImage[] = [];
  private readonly imageBytes: number;
  private finished = false;

  /** `expectedImages`: how many images the import expects to store, to refuse one that cannot fit on the disk. */
  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
    readonly spec: NewDataset,
    expectedImages = 0,
  ) {
    if (datasets.isNameTaken(db, spec.name)) {
      throw new UserError('conflict', `A dataset named "${spec.name}" already exists. Choose another name.`);
    }
    this.imageBytes = spec.width * spec.height * spec.channels;
    // Pixels, plus about 100 bytes of store per image (its row and index entries).
    requireFreeSpace(
      dataDir,
      expectedImages * (this.imageBytes + 100),
      `Importing ${expectedImages.toLocaleString('en-US')} images`,
    );
    this.id = datasets.insertDataset(db, { ...spec, pixelFile: '' });
    this.dir = dataLayout(dataDir).datasetDir(this.id);
    try {
      mkdirSync(this.dir, { recursive: true });
      this.pixels = new AtomicFileWriter(join(this.dir, 'pixels.u8'));
    } catch (err) {
      discardDataset(db, dataDir, this.id);
      throw err;
    }
  }

  get count(): number {
    return this.rows.length;
  }

  /** Adds images; `pixels` holds them back to back (uint8, HWC, the dataset's size). */
  add(pixels: Uint8Array, rows: readonly NewImageRow[]): void {
    if (pixels.byteLength !== rows.length * this.imageBytes) {
      throw new Error(`Expected ${rows.length * this.imageBytes} bytes of pixels, got ${pixels.byteLength}`);
    }
    this.pixels.append(pixels);
    for (const row of rows) this.rows.push({ ...row, idx: this.rows.length });
  }

  /** The labels of the images added so far, in order. */
  labels(): number[] {
    return this.rows.map((row) => row.label);
  }

  /** Replaces the split of every image added so far (e.g. a stratified split over the images that decoded). */
  setSplits(splits: readonly images.NewImage['split'][]): void {
    if (splits.length !== this.rows.length) throw new Error(`${splits.length} splits for ${this.rows.length} images`);
    this.rows.forEach((row, i) => (row.split = splits[i]));
  }

  commit(report?: unknown): number {
    try {
      this.pixels.commit();
      this.db.transaction(() => {
        images.insertImages(this.db, this.id, this.rows);
        this.db
          .prepare('UPDATE datasets SET pixel_file = ? WHERE id = ?')
          .run(relative(this.dataDir, this.pixels.path), this.id);
        if (report !== undefined) datasets.setDatasetReport(this.db, this.id, report);
        datasets.markDatasetReady(this.db, this.id);
      })();
      this.finished = true;
      return this.id;
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Throws away everything written so far; safe to call more than once. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.pixels.abort();
    discardDataset(this.db, this.dataDir, this.id);
  }
}

/** Stores a whole in-memory dataset at once (the sample, tests). */
export function createDataset(
  db: Database,
  dataDir: string,
  spec: NewDataset,
  imageRows: readonly NewImageRow[],
  pixels: readonly Uint8Array[],
  report?: unknown,
): number {
  const writer = new DatasetWriter(db, dataDir, spec, imageRows.length);
  try {
    const imageBytes = spec.width * spec.height * spec.channels;
    let row = 0;
    for (const chunk of pixels) {
      const n = chunk.byteLength / imageBytes;
      writer.add(chunk, imageRows.slice(row, row + n));
      row += n;
    }
    if (row !== imageRows.length) throw new Error(`${imageRows.length} image rows but pixels for ${row}`);
    return writer.commit(report);
  } catch (err) {
    writer.abort();
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

/**
 * Deletes a dataset the user chose to remove, with the runs trained on it and all their files. Refused while one of
 * those runs is queued or training.
 */
export function deleteDataset(db: Database, dataDir: string, id: number): void {
  const own = runs.listRuns(db).filter((run) => run.datasetId === id);
  const busy = own.find((run) => run.status === 'queued' || run.status === 'running');
  if (busy)
    throw new UserError('conflict', `Run ${busy.id} is training on this dataset; stop it before deleting the dataset.`);
  db.transaction(() => {
    for (const run of own) db.prepare('DELETE FROM runs WHERE id = ?').run(run.id);
    db.prepare('DELETE FROM images WHERE dataset_id = ?').run(id);
    datasets.deleteDatasetRow(db, id);
  })();
  // Files go after the rows: a crash in between leaves only unreferenced files, never rows without files.
  for (const run of own) rmSync(dataLayout(dataDir).runDir(run.id), { recursive: true, force: true });
  rmSync(dataLayout(dataDir).datasetDir(id), { recursive: true, force: true });
}

/** Removes what imports killed or crashed left half-written (never an import another process is still running). */
export function removeAbandonedImports(db: Database, dataDir: string): void {
  for (const id of datasets.listAbandonedImports(db)) discardDataset(db, dataDir, id);
}

export function openPixelCache(dataDir: string, dataset: datasets.DatasetRow): PixelCache {
  return new PixelCache(join(dataDir, dataset.pixelFile), dataset.width * dataset.height * dataset.channels);
}

import type { Database } from '../store/database';
import * as datasets from '../store/datasets';
import * as images from '../store/images';
import { countRunsOfDataset } from '../store/runs';
import { UserError } from '../api/errors';
import { inOpenProject } from '../store/projects';
import { resolve } from 'node:path';
import type {
  DatasetSummary,
  FolderImportArgs,
  ImagePage,
  ImagePageQuery,
  ImageSet,
  ImagesAtQuery,
  ImportReport,
} from '../api/contract';
import { folderImportDefaults } from './folder-import';
import { deleteDataset, openPixelCache } from './dataset-store';

/** The open project's datasets. */
export function listDatasetSummaries(db: Database): DatasetSummary[] {
  return datasets
    .listDatasets(db)
    .filter(inOpenProject(db))
    .map((dataset) => summarize(db, dataset));
}

export function requireDataset(db: Database, id: number): datasets.DatasetRow {
  const dataset = datasets.getDataset(db, id);
  if (!dataset || dataset.status !== 'ready') throw new UserError('not_found', `There is no dataset with id ${id}.`);
  return dataset;
}

function summarize(db: Database, dataset: datasets.DatasetRow): DatasetSummary {
  const perClass = { train: dataset.classNames.map(() => 0), test: dataset.classNames.map(() => 0) };
  for (const { split, label, count } of images.classCounts(db, dataset.id)) perClass[split][label] = count;
  const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  return {
    id: dataset.id,
    name: dataset.name,
    source: dataset.source,
    width: dataset.width,
    height: dataset.height,
    channels: dataset.channels,
    classNames: dataset.classNames,
    classCounts: perClass,
    trainCount: sum(perClass.train),
    testCount: sum(perClass.test),
    runCount: countRunsOfDataset(db, dataset.id),
    createdAt: dataset.createdAt,
  };
}

/** One page of a split's images with their pixels, for thumbnails. */
export function readImagePage(db: Database, dataDir: string, query: ImagePageQuery): ImagePage {
  const dataset = requireDataset(db, query.datasetId);
  const rows = images.listImages(db, dataset.id, query.split, query.offset, query.limit, query.label);
  const cache = openPixelCache(dataDir, dataset);
  try {
    return {
      datasetId: dataset.id,
      split: query.split,
      total:
        query.label === undefined
          ? images.countImages(db, dataset.id, query.split)
          : images.countImagesOfLabel(db, dataset.id, query.split, query.label),
      offset: query.offset,
      width: dataset.width,
      height: dataset.height,
      channels: dataset.channels,
      images: rows.map(({ id, label, fileName, origWidth, origHeight }) => ({
        id,
        label,
        fileName,
        origWidth,
        origHeight,
      })),
      pixels: Buffer.from(cache.read(rows.map((row) => row.idx))).toString('base64'),
    };
  } finally {
    cache.close();
  }
}

/** Particular images (by pixel-cache position) with their pixels: map thumbnails, search results. */
export function readImagesAt(db: Database, dataDir: string, query: ImagesAtQuery): ImageSet {
  const dataset = requireDataset(db, query.datasetId);
  const rows = images.getImagesAt(db, dataset.id, query.cacheIndices);
  if (rows.length !== query.cacheIndices.length) {
    throw new UserError('not_found', `Some of those images are not in the dataset "${dataset.name}".`);
  }
  const cache = openPixelCache(dataDir, dataset);
  try {
    return {
      datasetId: dataset.id,
      width: dataset.width,
      height: dataset.height,
      channels: dataset.channels,
      images: rows.map(({ id, idx, split, label, fileName, origWidth, origHeight }) => ({
        id,
        label,
        fileName,
        origWidth,
        origHeight,
        split,
        cacheIndex: idx,
      })),
      pixels: Buffer.from(cache.read(rows.map((row) => row.idx))).toString('base64'),
    };
  } finally {
    cache.close();
  }
}

/**
 * Refuses to import a folder that is already a dataset of the open project at the same image size and colours: a
 * second copy is almost always a mistake (a double click, a forgotten earlier import). `again` imports it anyway.
 */
export function refuseRepeatedImport(db: Database, args: FolderImportArgs): void {
  if (args.again) return;
  const source = resolve(args.path);
  const size = args.size ?? folderImportDefaults.size;
  const channels = args.channels ?? folderImportDefaults.channels;
  const earlier = datasets
    .listDatasets(db)
    .filter(inOpenProject(db))
    .find((dataset) => {
      const report = datasets.getDatasetReport(db, dataset.id) as ImportReport | null;
      return (
        report?.source === source && dataset.width === size && dataset.height === size && dataset.channels === channels
      );
    });
  if (earlier) {
    throw new UserError(
      'conflict',
      `This folder is already imported as "${earlier.name}" (dataset ${earlier.id}, ${size}x${size} ` +
        `${channels === 1 ? 'grayscale' : 'RGB'}). Import it again only to keep a second copy.`,
    );
  }
}

export function getImportReport(db: Database, datasetId: number): ImportReport | null {
  requireDataset(db, datasetId);
  return datasets.getDatasetReport(db, datasetId) as ImportReport | null;
}

export function renameDatasetById(db: Database, datasetId: number, name: string): DatasetSummary {
  const dataset = requireDataset(db, datasetId);
  if (datasets.isNameTaken(db, name, dataset.id)) {
    throw new UserError('conflict', `A dataset named "${name}" already exists. Choose another name.`);
  }
  datasets.renameDataset(db, dataset.id, name);
  return summarize(db, requireDataset(db, dataset.id));
}

export function deleteDatasetById(db: Database, dataDir: string, datasetId: number): void {
  deleteDataset(db, dataDir, requireDataset(db, datasetId).id);
}
